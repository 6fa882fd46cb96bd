"""Work queue filters (day, kind of missing item, protocol) and counts per kind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, PatientFactory
from tests.treatment.conftest import at, make_order
from treatment.models import AuthorizationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(center, chair, library, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 2, 7, tzinfo=dt.UTC), tick=False)
    today = dt.date(2026, 12, 2)
    no_order, pending, mri = (PatientFactory(center=center, last_name=n) for n in ("Noorder", "Pending", "Mri"))
    make_order(pending, library["ocr"], start=today, auth=AuthorizationStatus.PENDING)
    make_order(mri, library["lec"], start=today)
    for patient, code, days, dose in ((no_order, "ocr", 1, 4), (pending, "ocr", 10, 3), (mri, "lec", 5, 3)):
        AppointmentFactory(
            center=center,
            chair=chair,
            patient=patient,
            protocol=library[code],
            dose_number=dose,
            start=at(today + dt.timedelta(days=days), 9),
        )
    return today


def table_of(client, **params) -> str:
    page = client.get(reverse("work_queue"), params).content.decode()
    return page[page.index("Upcoming doses that are not ready") : page.index("Authorizations to renew")]


def test_work_queue_filters_by_kind_of_missing_item(client, front_desk, queue):
    client.force_login(front_desk)
    assert "Noorder" in table_of(client, kind="order") and "Pending" not in table_of(client, kind="order")
    assert "Pending" in table_of(client, kind="authorization") and "Mri" not in table_of(client, kind="authorization")
    only_checks = table_of(client, kind="check")
    assert "Mri" in only_checks and "Noorder" not in only_checks and "1 of 3" in only_checks


def test_work_queue_filters_by_day_and_protocol(client, front_desk, queue, library):
    client.force_login(front_desk)
    that_day = table_of(client, date=(queue + dt.timedelta(days=1)).isoformat())
    assert "Noorder" in that_day and "Mri" not in that_day and "Pending" not in that_day
    lecanemab = table_of(client, protocol=library["lec"].pk)
    assert "Mri" in lecanemab and "Noorder" not in lecanemab
    assert "No dose not ready matches these filters." in table_of(client, date="2026-12-25")


def test_work_queue_counts_each_kind(client, front_desk, queue):
    client.force_login(front_desk)
    page = client.get(reverse("work_queue")).content.decode()
    assert "Doctor&#x27;s order</a>: <strong>1</strong>" in page
    assert "Prior authorization</a>: <strong>1</strong>" in page
    assert "Checks before the dose</a>: <strong>1</strong>" in page


def test_work_queue_bad_day_is_a_form_error_not_a_crash(client, front_desk, queue):
    client.force_login(front_desk)
    response = client.get(reverse("work_queue"), {"date": "someday"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
