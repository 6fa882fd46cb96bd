"""A request reads each cached version once, sees its own writes, and the next request sees everyone's
(issue 14: a booking asked the cache for the same versions a dozen times)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.cache import cache
from django.core.signals import request_finished, request_started

from infusion_center import versioned_cache
from tests.api.conftest import DAY, at, booking
from tests.factories import ChairFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime.combine(DAY - dt.timedelta(days=7), dt.time(8), tzinfo=dt.UTC), tick=False):
        yield


def _another_process_bumps(scope: str) -> None:
    """What a bump in another web process or worker looks like from here: only the cache changes."""
    key = versioned_cache._version_key(scope)
    cache.set(key, int(cache.get(key) or 0) + 1, None)


def test_a_request_keeps_the_versions_it_read_and_sees_its_own_bumps():
    scope = "test-scope:1"
    versioned_cache.bump(scope)
    request_started.send(sender=None)
    try:
        first = versioned_cache.versions([scope])[scope]
        _another_process_bumps(scope)
        assert versioned_cache.versions([scope])[scope] == first  # as of the request's first read
        versioned_cache.bump(scope)  # this request's own write
        assert versioned_cache.versions([scope])[scope] == first + 2  # its own bump and the other's
    finally:
        request_finished.send(sender=None)
    _another_process_bumps(scope)
    assert versioned_cache.versions([scope])[scope] == first + 3  # outside a request: always the cache's


def test_a_booking_reads_each_version_once(nurse_api, shift, center, chair, protocol, monkeypatch):
    reads: Counter[str] = Counter()
    read_versions = versioned_cache._read_versions

    def counting(keys):
        reads.update(keys)
        return read_versions(keys)

    body = booking(PatientFactory(center=center), protocol, chair, at(9))
    assert nurse_api.post("/api/v1/appointments/", body, format="json").status_code == 201  # caches filled
    monkeypatch.setattr(versioned_cache, "_read_versions", counting)
    body = booking(PatientFactory(center=center), protocol, ChairFactory(center=center, label="C02"), at(9))
    response = nurse_api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201, response.json()
    assert reads and max(reads.values()) == 1, reads


def test_a_role_removed_between_requests_applies_to_the_next(nurse_api, nurse, center, chair, protocol):
    assert nurse_api.get(f"/api/v1/chairs/{chair.pk}/").status_code == 200
    nurse.groups.clear()
    assert nurse_api.get(f"/api/v1/chairs/{chair.pk}/").status_code == 403


def test_a_chair_out_of_service_is_refused_by_the_planner_not_unknown(nurse_api, shift, center, protocol):
    retired = ChairFactory(center=center, label="C07", is_active=False)
    body = booking(PatientFactory(center=center), protocol, retired, at(9))
    response = nurse_api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 409
    assert "chair_inactive_or_unknown" in str(response.json())


def test_a_chair_added_a_moment_ago_can_be_booked(nurse_api, shift, center, chair, protocol):
    body = booking(PatientFactory(center=center), protocol, chair, at(9))
    assert nurse_api.post("/api/v1/appointments/", body, format="json").status_code == 201  # fixed input cached
    added = ChairFactory(center=center, label="C08")
    body = booking(PatientFactory(center=center), protocol, added, at(9))
    response = nurse_api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["chair_label"] == "C08"


def test_a_shared_value_is_decoded_once_per_request_and_moves_on_with_a_bump():
    scope, loads = "test-scope:2", []

    def read(**options):
        return versioned_cache.cached([scope], "test-shared", lambda: loads.append(1) or {"rows": [1, 2]}, **options)

    read()  # cached (and kept in this process)
    assert read() is not read()  # outside a request every call gets its own copy
    request_started.send(sender=None)
    try:
        first = read(share_in_request=True)
        assert read(share_in_request=True) is first
        assert read() is not first  # a caller that did not ask to share still gets its own copy
        versioned_cache.bump(scope)  # this request's own write: the next read is of the new version
        again = read(share_in_request=True)
        assert again is not first and again == first
        assert read(share_in_request=True) is again
    finally:
        request_finished.send(sender=None)
    assert read(share_in_request=True) is not read(share_in_request=True)  # no request: no sharing
    assert len(loads) == 2  # once per version: the bump made the second


def test_history_managers_are_built_once_and_still_record_who_booked(nurse_api, nurse, shift, center, chair, protocol):
    from scheduling.models import Appointment

    assert type(Appointment.history) is type(Appointment.history)  # noqa: E721  (the same class object each time)
    body = booking(PatientFactory(center=center), protocol, chair, at(9))
    response = nurse_api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert [(h.history_type, h.history_user) for h in appointment.history.all()] == [("+", nurse)]
