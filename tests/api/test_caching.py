"""Cached reads (issue 14) are never stale: every write that changes an answer bumps its version."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group

from chairs.models import Closure, NurseShift
from tests.api.conftest import DAY, at, booking
from tests.factories import ChairBlockFactory, ChairFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime.combine(DAY - dt.timedelta(days=7), dt.time(8), tzinfo=dt.UTC), tick=False):
        yield


def _ask(api, center, protocol, **extra):
    params = {"center": center.pk, "protocol": protocol.pk, "dose_number": 3, "date_from": DAY, "date_to": DAY}
    response = api.get(URL, params | {"limit": 50} | extra)
    assert response.status_code == 200, response.json()
    return response.json()["candidates"]


def test_a_booking_takes_its_slot_out_of_the_cached_answer(nurse_api, shift, center, chair, protocol):
    first = _ask(nurse_api, center, protocol)
    assert _ask(nurse_api, center, protocol) == first  # asked again: the same (cached) answer
    top = first[0]
    body = booking(PatientFactory(center=center), protocol, chair, dt.datetime.fromisoformat(top["start"]))
    assert nurse_api.post("/api/v1/appointments/", body, format="json").status_code == 201
    after = _ask(nurse_api, center, protocol)
    assert top["start"] not in [c["start"] for c in after if c["chair"] == chair.pk]


def test_a_new_chair_is_offered_at_once(nurse_api, shift, center, chair, protocol):
    ChairBlockFactory(chair=chair, start=at(7), end=at(19))
    assert _ask(nurse_api, center, protocol) == []
    added = ChairFactory(center=center, label="C09")
    assert {c["chair"] for c in _ask(nurse_api, center, protocol)} == {added.pk}


def test_a_chair_block_and_a_closure_apply_at_once(nurse_api, shift, center, chair, protocol):
    other = ChairFactory(center=center, label="C02")
    assert {c["chair"] for c in _ask(nurse_api, center, protocol)} == {chair.pk}  # the first label wins ties
    ChairBlockFactory(chair=chair, start=at(7), end=at(19))
    assert {c["chair"] for c in _ask(nurse_api, center, protocol)} == {other.pk}
    Closure.objects.create(center=center, date=DAY, reason="Training day")
    assert _ask(nurse_api, center, protocol) == []


def test_a_removed_shift_applies_at_once(nurse_api, shift, center, chair, protocol):
    assert _ask(nurse_api, center, protocol)
    NurseShift.objects.get(pk=shift.pk).delete()
    assert _ask(nurse_api, center, protocol) == []


def test_a_protocol_change_applies_at_once(nurse_api, shift, center, chair, protocol):
    before = _ask(nurse_api, center, protocol)
    protocol.observation_minutes += 60
    protocol.save()
    after = _ask(nurse_api, center, protocol)
    length = dt.timedelta(minutes=protocol.chair_minutes(3))
    assert all(dt.datetime.fromisoformat(c["end"]) - dt.datetime.fromisoformat(c["start"]) == length for c in after)
    assert len(after) < len(before)


def test_a_role_or_center_taken_away_applies_to_the_next_request(nurse_api, nurse, shift, center, chair, protocol):
    assert _ask(nurse_api, center, protocol)
    center.staff.remove(nurse)
    assert nurse_api.get(URL, {"center": center.pk, "protocol": protocol.pk}).status_code == 404
    center.staff.add(nurse)
    assert _ask(nurse_api, center, protocol)
    nurse.groups.remove(Group.objects.get(name="nurse"))
    assert nurse_api.get(URL, {"center": center.pk, "protocol": protocol.pk}).status_code == 403
