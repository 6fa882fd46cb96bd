"""API fixtures: token-authenticated clients per role, a staffed day in the future, booking helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import NEW_YORK, ChairFactory, NurseShiftFactory, PatientFactory, UserFactory


def _next_monday(weeks_ahead: int = 2) -> dt.date:
    today = timezone.localdate(timezone=NEW_YORK)
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_ahead)


# A Monday a couple of weeks ahead: the center (CenterFactory) is open 07:00–19:00 on weekdays.
DAY = _next_monday()


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def nurse_api(nurse):
    return client_for(nurse)


@pytest.fixture
def desk_api(front_desk):
    return client_for(front_desk)


@pytest.fixture
def admin_api(center_admin):
    return client_for(center_admin)


@pytest.fixture
def other_nurse(other_center):
    return UserFactory(username="olga.other", role="nurse", center=other_center)


@pytest.fixture
def other_api(other_nurse):
    return client_for(other_nurse)


@pytest.fixture
def shift(center, nurse):
    """One nurse on duty all day on DAY: 4 patients watched at once, 2 starts per 30-minute window."""
    return NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))


@pytest.fixture
def chairs(center, chair):
    return [chair, *(ChairFactory(center=center, label=f"C{n:02d}") for n in range(2, 6))]


@pytest.fixture
def other_patient(other_center):
    return PatientFactory(center=other_center)


def booking(patient, protocol, chair, start, dose_number=3, **extra) -> dict:
    return {
        "patient": patient.pk,
        "protocol": protocol.pk,
        "chair": chair.pk,
        "start": iso(start),
        "dose_number": dose_number,
        **extra,
    }
