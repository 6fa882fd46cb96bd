"""The insights pages: who may see them, scoping to the user's centers, bad input, exports, and the
center admin's "use the observed chair time"."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from chairs.models import Center
from insights.views import INSIGHTS
from scheduling.models import Appointment, CenterProtocolSettings, Protocol
from scheduling.protocol_settings import protocol_for_center
from tests.factories import AppointmentFactory, ChairFactory, UserFactory
from tests.insights.conftest import MONDAY, at

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-12-07", "to": "2026-12-07"}


def urls(center: Center) -> list[str]:
    return [f"{i.url}?center={center.pk}&from=2026-12-07&to=2026-12-07" for i in INSIGHTS] + [
        f"/insights/?center={center.pk}"
    ]


@pytest.mark.parametrize("role", ["nurse", "front_desk", "center_admin"])
def test_every_view_opens_for_each_role_with_a_chart_and_its_table(client, center, monday, role):
    client.force_login(UserFactory(role=role, center=center))
    for url in urls(center):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if url.split("?")[0] != "/insights/":
            assert "<table" in body, url
        if "/today/" not in url and url.split("?")[0] != "/insights/":
            assert 'role="img"' in body and "<title id=" in body and "<desc id=" in body, url


def test_navigation_links_insights_for_every_role(client, center):
    client.force_login(UserFactory(role="front_desk", center=center))
    assert 'href="/insights/"' in client.get("/", follow=True).content.decode()


def test_user_without_a_role_is_refused(client, center):
    client.force_login(UserFactory(center=center))
    assert client.get(f"/insights/waits/?center={center.pk}").status_code == 403


def test_another_centers_insights_are_not_found(client, center, other_center, nurse):
    client.force_login(nurse)
    for url in urls(other_center):
        assert client.get(url).status_code == 404, url


def test_default_range_is_the_last_four_weeks_in_the_centers_zone(nurse_client, center):
    response = nurse_client.get(f"/insights/waits/?center={center.pk}")
    period = response.context["period"]
    assert (period.date_from, period.date_to) == (dt.date(2026, 11, 11), dt.date(2026, 12, 8))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-12-08&to=2026-12-01", "from"),
        ("from=2024-01-01&to=2026-12-01", "from"),
        ("export=pdf", "export"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(nurse_client, center, query, field):
    response = nurse_client.get(f"/insights/no-shows/?center={center.pk}&{query}")
    assert response.status_code == 400
    assert response.content.decode().startswith(field)


def test_occupancy_day_outside_the_range_is_a_400(nurse_client, center):
    response = nurse_client.get(f"/insights/occupancy/?center={center.pk}&from=2026-12-07&to=2026-12-07&day=2026-12-01")
    assert response.status_code == 400 and response.content.decode().startswith("day")


def test_csv_export_parses_back_to_the_tables(nurse_client, center, monday):
    response = nurse_client.get(f"/insights/waits/?center={center.pk}&from=2026-12-07&to=2026-12-07&export=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows.index(["Waits by hour of the booked start"])
    assert rows[header + 1][:3] == ["Hour", "Visits seated", "Median wait (min)"]
    assert rows[header + 2][:4] == ["09:00", "3", "5.0", "13.0"]


def test_xlsx_export_parses_back_one_sheet_per_table(nurse_client, center, monday):
    response = nurse_client.get(f"/insights/no-shows/?center={center.pk}&from=2026-12-07&to=2026-12-07&export=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["By protocol", "By weekday", "By lead time", "By reminder outcome", "Doses wasted"]
    sheet = workbook["By weekday"]
    assert [c.value for c in sheet[1]][:4] == ["Weekday", "Due", "No-shows", "No-show rate %"]
    assert [c.value for c in sheet[2]][:4] == ["Monday", 5, 1, 20]


def test_every_view_exports_csv_and_xlsx(nurse_client, center, monday):
    for insight in INSIGHTS:
        for kind in ("csv", "xlsx"):
            response = nurse_client.get(f"{insight.url}?center={center.pk}&from=2026-12-07&to=2026-12-07&export={kind}")
            assert response.status_code == 200, (insight.slug, kind)
            if kind == "xlsx":
                assert load_workbook(io.BytesIO(response.content)).sheetnames


def test_today_shows_the_charge_nurses_figures_and_refreshes_itself(client, center, protocol, time_machine):
    time_machine.move_to(at(9, 35))
    nurse = UserFactory(role="nurse", center=center)
    client.force_login(nurse)
    from tests.factories import NurseShiftFactory

    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    chairs = [ChairFactory(center=center, label=f"T{i}") for i in range(4)]
    AppointmentFactory(
        center=center,
        chair=chairs[0],
        protocol=protocol,
        start=at(9),
        status="checked-in",
        chair_stage="infusing",
        chair_start_at=at(9, 5),
    )
    AppointmentFactory(
        center=center, chair=chairs[1], protocol=protocol, start=at(9, 30), status="arrived", arrived_at=at(9, 20)
    )
    AppointmentFactory(center=center, chair=chairs[2], protocol=protocol, start=at(10))
    AppointmentFactory(center=center, chair=chairs[3], protocol=protocol, start=at(9))  # not here yet
    response = client.get(f"/insights/today/?center={center.pk}")
    today = response.context["today"]
    assert (today.in_use, today.chairs) == (1, 4)
    assert [w.waited_minutes for w in today.waiting] == [15]
    assert (today.starts_due, today.nurses_now, today.start_capacity) == (1, 1, 4)
    assert len(today.late) == 1
    assert len(today.not_ready) == 3  # none of the three has an order
    body = response.content.decode()
    assert 'hx-trigger="every 30s" data-polls-while-active' in body and "js/frontdesk.js" in body
    partial = client.get(f"/insights/today/?center={center.pk}", HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="today-panel"')


def _apply(client, center, protocol, basis="median", group="later"):
    return client.post(
        "/insights/chair-minutes/apply/",
        {"center": center.pk, **RANGE, "protocol": protocol.pk, "group": group, "basis": basis},
    )


def test_center_admin_applies_the_observed_median_for_future_bookings_only(
    admin_client_for_center, center, other_center, center_admin, monday, protocol
):
    # The protocol books later doses for 60 minutes (as the visits were); they took 70 (median).
    Protocol.objects.filter(pk=protocol.pk).update(
        premedication_minutes=0, observation_minutes=0, later_dose_infusion_minutes=50
    )
    protocol.refresh_from_db()
    existing = {a.pk: a.end for a in Appointment.objects.all()}
    installation_setup = protocol.setup_minutes
    response = _apply(admin_client_for_center, center, protocol)
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.setup_minutes == installation_setup  # the installation's value (other centers) is untouched
    runs = protocol_for_center(protocol, center)
    assert runs.chair_minutes(3) == 70
    assert runs.setup_minutes == 20
    assert runs.first_dose_infusion_minutes == 150  # the label's times are untouched
    assert {a.pk: a.end for a in Appointment.objects.all()} == existing  # booked appointments keep their end
    latest = CenterProtocolSettings.objects.get(center=center, protocol=protocol).history.first()
    assert latest.history_user == center_admin
    assert "observed median" in latest.history_change_reason
    start = at(9, day=dt.date(2026, 12, 14))
    assert runs.end_of(start, 3) - start == dt.timedelta(minutes=70)  # what booking, moves and the planner ask
    assert (
        protocol_for_center(protocol, other_center).chair_minutes(3) == 50 + installation_setup
    )  # other centers keep theirs


def test_applying_a_length_the_set_up_time_cannot_reach_is_refused_with_a_message(
    admin_client_for_center, center, monday, protocol
):
    Protocol.objects.filter(pk=protocol.pk).update(
        setup_minutes=0, premedication_minutes=0, observation_minutes=0, later_dose_infusion_minutes=300
    )
    response = _apply(admin_client_for_center, center, protocol, basis="p80")
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol_for_center(protocol, center).setup_minutes == 0
    assert not CenterProtocolSettings.objects.filter(center=center, setup_minutes__isnull=False).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("set-up time of" in m for m in messages)


@pytest.mark.parametrize("role", ["nurse", "front_desk"])
def test_only_a_center_admin_may_apply_the_observed_chair_time(client, center, monday, protocol, role):
    client.force_login(UserFactory(role=role, center=center))
    assert _apply(client, center, protocol).status_code == 403
    body = client.get(f"/insights/chair-minutes/?center={center.pk}&from=2026-12-07&to=2026-12-07").content.decode()
    assert "Use median" not in body


def test_apply_refuses_bad_fields_with_a_400(admin_client_for_center, center, monday, protocol):
    assert _apply(admin_client_for_center, center, protocol, basis="mean").content.decode().startswith("basis")
    assert _apply(admin_client_for_center, center, protocol, group="all").status_code == 400


def test_apply_for_another_center_is_not_found(admin_client_for_center, other_center, protocol):
    response = admin_client_for_center.post(
        "/insights/chair-minutes/apply/",
        {"center": other_center.pk, **RANGE, "protocol": protocol.pk, "group": "later", "basis": "median"},
    )
    assert response.status_code == 404


def test_monday_is_the_fixture_day():
    assert MONDAY.weekday() == 0


def test_template_compliance_over_time_counts_the_days_bookings(nurse_client, center, monday):
    response = nurse_client.get(f"/insights/template-compliance/?center={center.pk}&from=2026-12-07&to=2026-12-07")
    (table,) = response.context["report"].tables
    # A, C and D held their chairs (B was a no-show, E and F cancelled); the center has no template yet.
    assert table.rows == [["2026-12-07", 3, 0, 0.0]]


# Queries per page, whatever the number of appointments: the session, the user and their roles
# and centers, then one query per table (plus storing the range's unstored past days, in batches of
# 31 days: a year's range stores in at most 12 batches the first time it is asked for).
MAX_QUERIES = {
    "utilization": 22,
    "occupancy": 26,
    "nurse-load": 22,
    "waits": 26,
    "no-shows": 20,
    "chair-minutes": 20,
    "time-to-treatment": 25,  # one more table than before: the recorded stages (issue 22)
    "template-compliance": 24,
    "today": 26,
}


@pytest.mark.parametrize("insight", INSIGHTS, ids=[i.slug for i in INSIGHTS])
def test_each_view_answers_in_a_bounded_number_of_queries(
    admin_client_for_center, center, monday, insight, django_assert_max_num_queries
):
    url = f"{insight.url}?center={center.pk}"
    admin_client_for_center.get(url)  # the first request stores the range's past days
    with django_assert_max_num_queries(MAX_QUERIES[insight.slug]):
        assert admin_client_for_center.get(url).status_code == 200
    # Ten times the appointments, the same queries.
    for week in range(1, 11):
        for key in ("A", "C", "D"):
            original = monday[key]
            shift = dt.timedelta(weeks=-week)
            AppointmentFactory(
                center=center,
                chair=original.chair,
                protocol=original.protocol,
                start=original.start + shift,
                status=original.status,
                arrived_at=original.arrived_at + shift,
                chair_start_at=original.chair_start_at + shift,
                infusion_start_at=original.infusion_start_at + shift,
                discharged_at=original.discharged_at + shift,
            )
    year = f"{url}&from=2025-12-09&to=2026-12-08"
    admin_client_for_center.get(year)
    with django_assert_max_num_queries(MAX_QUERIES[insight.slug]):
        assert admin_client_for_center.get(year).status_code == 200
