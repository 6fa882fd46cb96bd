"""The visit summary (``insights.visits``): a past day's visits stored once, read back as computed
live, and forgotten by every write that changes what the waits, no-shows and nurse-load views read
— pages, API, admin, bulk updates, raw SQL, reminders, the center's time zone.

On top of the hand-computed Monday of conftest.py, G (chair C2, 15:00–16:00) was still booked when
the day ended: due, not yet marked a no-show. The clock is on Tuesday, so Monday is a past day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.forms import MultiWidget
from django.urls import reverse

from insights import selectors
from insights.models import SlotFigure, StartFigure, SummarizedDay, VisitDay, VisitFigure
from insights.period import Period
from reminders.models import Reminder
from scheduling.models import Appointment
from tests.insights.conftest import MONDAY, NOW, at, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(center, protocol, monday):
    g = visit(center=center, chair=monday["chairs"][1], protocol=protocol, start=at(15), end=at(16))
    return {**monday, "G": g}


def figures(center, now=NOW) -> dict:
    period = Period(center=center, date_from=MONDAY, date_to=MONDAY, now=now)
    return {
        "waits": selectors.waits(period=period),
        "noshows": selectors.noshows(period=period),
        "nurse_load": selectors.nurse_load(period=period),
    }


def total(center) -> dict:
    return next(r for r in figures(center)["noshows"] if r["part"] == "all")


def outcomes(center) -> dict:
    return {r["outcome"]: r["due"] for r in figures(center)["noshows"] if r["part"] == "outcome"}


def is_stored(center) -> bool:
    return VisitDay.objects.filter(center=center, day=MONDAY).exists()


def test_a_past_day_is_stored_once_and_read_back_as_computed_live(center, day):
    live = figures(center, now=at(18))  # Monday is today: computed live, not stored
    assert not is_stored(center)
    assert figures(center) == live and is_stored(center)  # Tuesday: Monday is past, stored
    assert VisitFigure.objects.filter(center=center, day=MONDAY).count() == 7  # A–G
    assert figures(center) == live  # read back
    assert (total(center)["due"], total(center)["noshows"]) == (6, 1)  # G is due; F was cancelled early


def test_a_bulk_update_of_a_visit_column_forgets_the_day_and_only_this_summary(center, day):
    assert figures(center)["waits"]["overall"][0]["p90_wait"] == pytest.approx(13)
    # A arrived at 08:40, not 08:55 (recorded the next day): waits 30, 5, 5.
    Appointment.objects.filter(pk=day["A"].pk).update(arrived_at=at(8, 40))
    assert not is_stored(center)
    assert figures(center)["waits"]["overall"][0]["p90_wait"] == pytest.approx(25)  # 5 + 0.8 × 25
    # A confirmation: the outcome changes; the slot figures (which do not read it) stay stored.
    assert SummarizedDay.objects.filter(center=center, day=MONDAY).exists()
    Appointment.objects.filter(pk=day["D"].pk).update(confirmed_at=at(9) - dt.timedelta(days=1))
    assert not is_stored(center)
    assert SummarizedDay.objects.filter(center=center, day=MONDAY).exists()
    assert SlotFigure.objects.filter(center=center, day=MONDAY).exists()
    assert outcomes(center)["confirmed"] == 2


def test_raw_sql_forgets_the_day(center, day):
    leads = {r["lead_bucket"]: r["due"] for r in figures(center)["noshows"] if r["part"] == "lead"}
    assert leads == {1: 6}
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_appointment SET created_at = %s WHERE id = %s",
            [at(9) - dt.timedelta(days=40), day["A"].pk],
        )
    assert not is_stored(center)
    leads = {r["lead_bucket"]: r["due"] for r in figures(center)["noshows"] if r["part"] == "lead"}
    assert leads == {1: 5, 4: 1}  # A now booked 40 days ahead: "31+ days"


def test_a_reminders_status_added_or_removed_forgets_its_appointments_day(center, day):
    assert outcomes(center) == {"confirmed": 1, "no reply": 1, "cancelled": 1, "no reminder sent": 3}
    Reminder.objects.filter(appointment=day["B"]).update(status="failed")  # never reached B
    assert not is_stored(center)
    assert outcomes(center) == {"confirmed": 1, "cancelled": 1, "no reminder sent": 4}
    reminder = Reminder.objects.create(
        appointment=day["G"],
        patient=day["G"].patient,
        center=center,
        kind="24h",
        offset_hours=24,
        channel="sms",
        status="delivered",
        due_at=at(15) - dt.timedelta(days=1),
        planned_for=at(15),
    )
    assert outcomes(center) == {"confirmed": 1, "no reply": 1, "cancelled": 1, "no reminder sent": 3}
    reminder.delete()
    assert outcomes(center) == {"confirmed": 1, "cancelled": 1, "no reminder sent": 4}


def change_form_data(response, **changes) -> dict:
    """The admin change form's current values as its POST data, with ``changes``."""
    data = {}
    for field in response.context["adminform"].form:
        widget, value = field.field.widget, field.value()
        if isinstance(widget, MultiWidget):
            data |= {f"{field.html_name}_{i}": v or "" for i, v in enumerate(widget.decompress(value))}
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        else:
            data[field.html_name] = "" if value is None else value
    return data | changes


def test_a_reminder_changed_in_the_admin_forgets_the_day(admin_client_for_center, center, day):
    assert outcomes(center)["no reply"] == 1
    reminder = Reminder.objects.get(appointment=day["B"])
    url = f"/admin/reminders/reminder/{reminder.pk}/change/"
    response = admin_client_for_center.post(url, change_form_data(admin_client_for_center.get(url), status="failed"))
    assert response.status_code == 302
    assert Reminder.objects.get(pk=reminder.pk).status == "failed"
    assert not is_stored(center)
    assert "no reply" not in outcomes(center)


def test_a_no_show_marked_on_the_page_forgets_the_day(front_desk_client, center, day):
    assert total(center)["noshows"] == 1
    front_desk_client.post(reverse("flow_action", args=[day["G"].pk, "no_show"]))
    assert Appointment.objects.get(pk=day["G"].pk).status == "noshow"
    assert not is_stored(center)
    assert total(center)["noshows"] == 2


def test_a_no_show_marked_through_the_api_forgets_the_day(front_desk, center, day):
    from tests.api.conftest import client_for

    assert total(center)["noshows"] == 1
    response = client_for(front_desk).post(f"/api/v1/appointments/{day['G'].pk}/no-show/")
    assert response.status_code == 200
    assert not is_stored(center)
    assert total(center)["noshows"] == 2


def test_a_new_time_zone_forgets_every_stored_day_of_the_center(center, day):
    figures(center)
    center.timezone = "America/Chicago"
    center.save()
    assert not VisitDay.objects.filter(center=center).exists()
    assert not VisitFigure.objects.filter(center=center).exists()


def test_the_nightly_task_stores_the_visits_of_the_default_range(center, day):
    from insights.tasks import store_past_days

    store_past_days()
    assert VisitDay.objects.filter(center=center).count() == 27  # the past days of the last four weeks
    assert VisitFigure.objects.filter(center=center, day=MONDAY).count() == 7


def test_a_new_start_window_length_forgets_the_stored_start_counts(center, day):
    windows = {r["at"]: r for r in figures(center)["nurse_load"]["windows"]}
    assert windows[dt.time(9)]["actual"] == 2  # A 09:20 and D 09:28 (30-minute windows)
    assert StartFigure.objects.filter(center=center, day=MONDAY).exists()
    center.start_window_minutes = 60
    center.save()
    assert not StartFigure.objects.filter(center=center).exists() and not is_stored(center)
    windows = {r["at"]: r for r in figures(center)["nurse_load"]["windows"]}
    assert windows[dt.time(9)]["actual"] == 3  # A, D and C (09:50) in the hour
    assert windows[dt.time(9)]["scheduled"] == 3  # A, D and C (B was a no-show)
