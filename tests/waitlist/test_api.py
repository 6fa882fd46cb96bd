"""The waitlist's REST API, used as a scheduling system would: list, add, change, withdraw, offers."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import PatientAccess
from scheduling.services import cancel_appointment
from tests.api.conftest import client_for
from tests.factories import PatientFactory, UserFactory
from tests.waitlist.conftest import MONDAY, at
from waitlist import services
from waitlist.models import EntryStatus, OfferStatus, Release, WaitlistEntry

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/waitlist/entries/"
OFFERS = "/api/v1/waitlist/offers/"


def test_entries_are_listed_most_urgent_first_with_their_earliest_slot(clock, nurse, booked, wait):
    relaxed = wait(latest=MONDAY + dt.timedelta(days=20))
    urgent = wait(latest=MONDAY + dt.timedelta(days=2))

    answer = client_for(nurse).get(ENTRIES, {"center": booked.center_id})

    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["id"] for row in rows] == [urgent.pk, relaxed.pk]
    assert rows[0]["days_left"] == 5 and rows[0]["is_overdue"] is False
    slot = rows[0]["earliest_slot"]
    assert slot["chair"] == booked.chair_id and dt.datetime.fromisoformat(slot["start"]) >= at(MONDAY, 7)


def test_front_desk_adds_an_entry_through_the_pages_checks_and_it_is_in_the_history(
    clock, front_desk, booked, protocol
):
    patient = PatientFactory(center=booked.center)
    api = client_for(front_desk)
    body = {"patient": patient.pk, "protocol": protocol.pk, "dose_number": 1, "channel": "sms",
            "earliest": str(MONDAY), "preferred_weekdays": [0, 2], "short_notice_minutes": 30}  # fmt: skip

    created = api.post(ENTRIES, body, format="json")

    assert created.status_code == 201, created.json()
    entry = WaitlistEntry.objects.get(pk=created.json()["id"])
    assert (entry.earliest, entry.preferred_weekdays, entry.short_notice_minutes) == (MONDAY, [0, 2], 30)
    assert entry.history.get().history_user == front_desk
    again = api.post(ENTRIES, body, format="json")
    assert again.status_code == 400 and "dose_number" in again.json()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"latest": "2027-12-31"}, "latest"),  # outside the dose's label window
        ({"earliest": "2026-11-01"}, "earliest"),  # before today
        ({"channel": "fax"}, "channel"),
        ({"short_notice_minutes": 1}, "short_notice_minutes"),
        ({"preferred_weekdays": [9]}, "preferred_weekdays"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(clock, nurse, booked, protocol, change, field):
    patient = PatientFactory(center=booked.center)
    body = {"patient": patient.pk, "protocol": protocol.pk, "dose_number": 1, "channel": "sms", **change}

    refused = client_for(nurse).post(ENTRIES, body, format="json")

    assert refused.status_code == 400 and field in refused.json(), refused.json()
    assert not WaitlistEntry.objects.exists()


def test_an_unknown_patient_is_a_404_naming_the_field(clock, nurse, booked, protocol):
    body = {"patient": 999999, "protocol": protocol.pk, "dose_number": 1, "channel": "sms"}
    refused = client_for(nurse).post(ENTRIES, body, format="json")
    assert refused.status_code == 404 and "patient" in refused.json()


def test_an_entry_is_changed_and_withdrawn_and_its_offers_listed(clock, nurse, booked, wait):
    entry = wait(latest=MONDAY + dt.timedelta(days=3))
    api = client_for(nurse)

    changed = api.patch(f"{ENTRIES}{entry.pk}/", {"preferred_time_of_day": "morning", "notes": "Can come early"},
                        format="json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["preferred_time_of_day"] == "morning"
    outside = api.patch(f"{ENTRIES}{entry.pk}/", {"latest": "2027-12-31"}, format="json")
    assert outside.status_code == 400 and "latest" in outside.json()
    fixed = api.patch(f"{ENTRIES}{entry.pk}/", {"dose_number": 4}, format="json")
    assert fixed.status_code == 400 and "dose_number" in fixed.json()

    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient", reason="Unwell")
    (offer_id,) = services.fill_gap(Release.objects.get(cause="cancelled").pk)
    services.send_offer(offer_id)
    offers = api.get(f"{ENTRIES}{entry.pk}/offers/").json()
    assert PatientAccess.objects.filter(patient_id=entry.patient_id, user_id=nurse.pk).exists()  # who looked
    assert [(o["id"], o["status"], o["freed_appointment"]) for o in offers] == [(offer_id, "sent", booked.pk)]
    by_appointment = api.get(OFFERS, {"appointment": booked.pk}).json()["results"]
    assert [o["id"] for o in by_appointment] == [offer_id]

    withdrawn = api.post(f"{ENTRIES}{entry.pk}/withdraw/", {"reason": "Feeling better"}, format="json")

    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == EntryStatus.REMOVED
    assert api.get(f"{OFFERS}{offer_id}/").json()["status"] == OfferStatus.WITHDRAWN
    assert entry.history.first().history_user == nurse
    assert api.patch(f"{ENTRIES}{entry.pk}/", {"notes": "x"}, format="json").status_code == 400


def test_roles_without_the_waitlist_and_other_centers_are_refused(clock, booked, wait, other_center, protocol):
    entry = wait()
    pharmacist = UserFactory(username="pia.pharmacy", role="pharmacy", center=booked.center)
    assert client_for(pharmacist).get(ENTRIES).status_code == 403
    stranger = client_for(UserFactory(username="olga.other", role="nurse", center=other_center))
    assert stranger.get(f"{ENTRIES}{entry.pk}/").status_code == 404
    assert stranger.get(ENTRIES).json()["results"] == []
    body = {"patient": entry.patient_id, "protocol": protocol.pk, "dose_number": 2, "channel": "sms"}
    assert "patient" in stranger.post(ENTRIES, body, format="json").json()


def test_the_waitlist_endpoints_are_in_the_api_schema(client, nurse):
    client.force_login(nurse)
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/waitlist/entries/" in schema and "/api/v1/waitlist/offers/" in schema
