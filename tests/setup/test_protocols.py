"""Protocols: chair-time components, interval and prerequisites edited beside the label's values,
recorded in history, applied to future bookings only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Protocol
from scheduling.protocol_library import seed_protocols
from tests.factories import NEW_YORK, AppointmentFactory
from treatment.models import ProtocolPrerequisite
from treatment.prerequisite_library import seed_prerequisites

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecanemab(db):
    seed_protocols()
    seed_prerequisites()
    return Protocol.objects.get(code="lec")


def protocol_post(protocol: Protocol, **changes) -> dict:
    fields = [
        "setup_minutes",
        "premedication_minutes",
        "first_dose_infusion_minutes",
        "later_dose_infusion_minutes",
        "initial_dose_count",
        "observation_minutes",
        "interval_days",
        "interval_window_days",
        "min_days_between_doses",
        "required_chair_kind",
        "notes",
    ]
    data = {f"protocol-{f}": ("" if getattr(protocol, f) is None else getattr(protocol, f)) for f in fields}
    data["protocol-is_active"] = "on"
    prerequisites = list(protocol.prerequisites.all())
    data |= {
        "prereq-TOTAL_FORMS": str(len(prerequisites)),
        "prereq-INITIAL_FORMS": str(len(prerequisites)),
        "prereq-MIN_NUM_FORMS": "0",
        "prereq-MAX_NUM_FORMS": "1000",
    }
    for i, p in enumerate(prerequisites):
        data |= {
            f"prereq-{i}-id": p.pk,
            f"prereq-{i}-kind": p.kind,
            f"prereq-{i}-applies_to": p.applies_to,
            f"prereq-{i}-dose_numbers": ",".join(str(n) for n in p.dose_numbers),
            f"prereq-{i}-window_days": "" if p.window_days is None else p.window_days,
            f"prereq-{i}-min_days_before": "" if p.min_days_before is None else p.min_days_before,
            f"prereq-{i}-notes": p.notes,
            f"prereq-{i}-is_active": "on",
        }
    return data | {f"protocol-{k}": v for k, v in changes.items()}


def test_protocol_page_shows_the_label_value_and_flags_where_the_center_differs(admin_client, center, lecanemab):
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    assert "differs from the label" not in admin_client.get(url).content.decode()
    lecanemab.observation_minutes = 60
    lecanemab.save()
    page = admin_client.get(url).content.decode()
    assert page.count("differs from the label") == 1
    assert "MRI" in page  # the library's prerequisites, beside the center's rows


def test_protocol_change_is_recorded_with_who_and_applies_to_future_bookings_only(
    admin_client, center, center_admin, lecanemab, chair
):
    booked = AppointmentFactory(
        center=center, chair=chair, protocol=lecanemab, start=dt.datetime(2026, 12, 9, 9, tzinfo=NEW_YORK)
    )
    old_end = booked.end
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    response = admin_client.post(url, protocol_post(lecanemab, observation_minutes=45))
    assert response.status_code == 302
    lecanemab.refresh_from_db()
    assert lecanemab.observation_minutes == 45
    assert lecanemab.history.first().history_user == center_admin
    booked.refresh_from_db()
    assert booked.end == old_end


def test_protocol_validation_errors_are_shown_not_saved(admin_client, center, lecanemab):
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    response = admin_client.post(url, protocol_post(lecanemab, interval_window_days=7))
    assert response.status_code == 200
    assert "The window must be less than half the interval." in response.content.decode()
    lecanemab.refresh_from_db()
    assert lecanemab.interval_window_days == 3


def test_prerequisites_are_edited_as_data(admin_client, center, center_admin, lecanemab):
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    listed = lecanemab.prerequisites.get(applies_to="listed")
    data = protocol_post(lecanemab)
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == listed.pk)
    data[f"prereq-{index}-window_days"] = 21
    assert admin_client.post(url, data).status_code == 302
    listed.refresh_from_db()
    assert listed.window_days == 21
    assert listed.history.first().history_user == center_admin
    data[f"prereq-{index}-dose_numbers"] = ""
    page = admin_client.post(url, data).content.decode()
    assert "List the dose numbers this check applies to." in page
    assert ProtocolPrerequisite.objects.get(pk=listed.pk).dose_numbers == [3, 5, 7, 14]
