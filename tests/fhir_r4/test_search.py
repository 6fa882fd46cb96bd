"""Search semantics: date prefixes, tokens and references, _lastUpdated, _count paging with Bundle links,
and free Slots from the one slot search."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from patients.models import Patient
from scheduling.models import Appointment
from scheduling.services import book_appointment
from tests.factories import AppointmentFactory, ChairFactory, PatientFactory, ProtocolFactory
from tests.fhir_r4.conftest import DAY, at, fhir_get, validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_of_appointments(center, chair, protocol):
    """Five appointments on DAY at 8, 10, 12, 14, 16 (one patient and one chair each, the first on ``chair``)."""
    chairs = [chair, *(ChairFactory(center=center, label=f"D0{n}") for n in range(2, 6))]
    return [
        AppointmentFactory(center=center, chair=c, protocol=protocol, start=at(hour))
        for c, hour in zip(chairs, (8, 10, 12, 14, 16), strict=True)
    ]


def ids(bundle) -> list[int]:
    return [int(e["resource"]["id"]) for e in bundle.get("entry", [])]


def test_date_prefixes_bound_the_start(engine, day_of_appointments):
    a = day_of_appointments
    bundle = fhir_get(engine, "Appointment", date=[f"ge{at(10).isoformat()}", f"lt{at(14).isoformat()}"]).json()
    assert ids(validated(bundle)) == [a[1].pk, a[2].pk]
    assert ids(fhir_get(engine, "Appointment", date=DAY.isoformat()).json()) == [x.pk for x in a]
    assert ids(fhir_get(engine, "Appointment", date=f"gt{DAY.isoformat()}").json()) == []
    assert ids(fhir_get(engine, "Appointment", date=f"le{at(8).isoformat()}").json()) == [a[0].pk]


def test_a_bad_date_is_a_400_naming_the_parameter(engine):
    response = fhir_get(engine, "Appointment", date="ge2026-13-40")
    assert response.status_code == 400
    outcome = validated(response.json())
    assert outcome["issue"][0]["expression"] == ["date"]


def test_status_patient_and_location_tokens(engine, day_of_appointments, nurse, chair):
    first = day_of_appointments[0]
    first.status = "cancelled"
    first.save()
    assert ids(fhir_get(engine, "Appointment", status="cancelled").json()) == [first.pk]
    assert ids(fhir_get(engine, "Appointment", patient=f"Patient/{first.patient_id}").json()) == [first.pk]
    assert ids(fhir_get(engine, "Appointment", location=f"Location/chair-{chair.pk}").json()) == [first.pk]
    assert len(ids(fhir_get(engine, "Appointment", location=f"Location/{chair.center_id}").json())) == 5
    assert len(ids(fhir_get(engine, "Appointment", **{"service-type": "nope"}).json())) == 0


def test_count_pages_with_next_and_previous_links(engine, day_of_appointments):
    first = fhir_get(engine, "Appointment", _count="2").json()
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links and "next" in links
    seen = ids(first)
    url = links["next"]
    while url:
        parts = urlsplit(url)
        page = engine.get(parts.path, dict(p.split("=", 1) for p in parts.query.split("&"))).json()
        validated(page)
        seen += ids(page)
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert seen == [a.pk for a in day_of_appointments]
    summary = fhir_get(engine, "Appointment", _count="0").json()
    assert summary["total"] == 5 and "entry" not in summary
    assert fhir_get(engine, "Appointment", _count="501").status_code == 400


def test_last_updated_finds_what_changed_since(engine, center):
    old, new = PatientFactory(center=center), PatientFactory(center=center)
    Patient.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))
    Patient.objects.filter(pk=new.pk).update(updated_at=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
    found = fhir_get(engine, "Patient", _lastUpdated="ge2026-11-01").json()
    assert ids(found) == [new.pk]
    assert ids(fhir_get(engine, "Patient", _lastUpdated="lt2026-11-01").json()) == [old.pk]


def test_patient_search_by_identifier_name_and_birthdate(engine, center):
    ann = PatientFactory(center=center, first_name="Ann", last_name="Okafor", date_of_birth=dt.date(1961, 4, 12))
    PatientFactory(center=center, first_name="Bob", last_name="Smith", date_of_birth=dt.date(1970, 1, 1))
    assert ids(fhir_get(engine, "Patient", identifier=f"urn:infusion-center:fhir:mrn|{ann.mrn}").json()) == [ann.pk]
    assert ids(fhir_get(engine, "Patient", family="oka").json()) == [ann.pk]
    assert ids(fhir_get(engine, "Patient", birthdate="1961-04-12").json()) == [ann.pk]
    assert ids(fhir_get(engine, "Patient", birthdate="lt1965").json()) == [ann.pk]
    assert ids(fhir_get(engine, "Patient", identifier="other-system|" + ann.mrn).json()) == []


def test_slots_are_the_planners_free_places_on_the_chair(engine, center, chair, shift, protocol):
    params = {
        "schedule": f"Schedule/{chair.pk}",
        "service-type": protocol.code,
        "start": [f"ge{DAY.isoformat()}", f"lt{(DAY + dt.timedelta(days=1)).isoformat()}"],
    }
    bundle = validated(fhir_get(engine, "Slot", **params).json())
    assert bundle["total"] > 0
    starts = [dt.datetime.fromisoformat(e["resource"]["start"]) for e in bundle["entry"]]
    assert starts == sorted(starts) and all(s.astimezone(center.tzinfo).date() == DAY for s in starts)
    first = bundle["entry"][0]["resource"]
    assert first["status"] == "free" and first["schedule"]["reference"] == f"Schedule/{chair.pk}"
    assert validated(fhir_get(engine, f"Slot/{first['id']}").json())["status"] == "free"
    # Once booked (by anyone), the slot reads busy and is no longer listed.
    other = PatientFactory(center=center)
    book_appointment(actor=None, patient=other, protocol=protocol, chair=chair, start=starts[0])
    assert fhir_get(engine, f"Slot/{first['id']}").json()["status"] == "busy"
    again = fhir_get(engine, "Slot", **params).json()
    assert first["id"] not in {e["resource"]["id"] for e in again.get("entry", [])}


def test_slot_search_needs_a_schedule_and_a_protocol(engine, chair):
    response = fhir_get(engine, "Slot", **{"service-type": "x"})
    assert response.status_code == 400 and validated(response.json())["issue"][0]["expression"] == ["schedule"]
    response = fhir_get(engine, "Slot", schedule=f"Schedule/{chair.pk}", **{"service-type": "nope"})
    assert response.status_code == 400


def test_slot_start_range_respects_the_chair_time(engine, center, chair, shift):
    protocol = ProtocolFactory(code="long")
    params = {
        "schedule": f"Schedule/{chair.pk}",
        "service-type": "long",
        "start": [f"ge{at(15).isoformat()}", f"lt{at(16).isoformat()}"],
    }
    for entry in fhir_get(engine, "Slot", **params).json().get("entry", []):
        start = dt.datetime.fromisoformat(entry["resource"]["start"])
        assert at(15) <= start < at(16)
        end = dt.datetime.fromisoformat(entry["resource"]["end"])
        assert end - start == dt.timedelta(minutes=protocol.chair_minutes(1))
    assert not Appointment.objects.exists()
