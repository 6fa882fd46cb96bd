"""The template page: center admins only, their centers only; curve, grid and compliance."""

from __future__ import annotations

import pytest

from booking_templates import services
from tests.booking_templates.conftest import PAST_MONDAYS, TODAY

pytestmark = pytest.mark.django_db
URL = "/templates/"


@pytest.fixture
def built(template_center):
    services.build_center_templates(center=template_center, today=TODAY, weeks=4, seconds=2)
    return template_center


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nurses_may_not_see_the_template_page(nurse_client):
    assert nurse_client.get(URL).status_code == 403


def test_center_admin_sees_the_grid_the_curve_and_compliance(admin_client_for_center, built):
    monday = PAST_MONDAYS[0]
    response = admin_client_for_center.get(URL, {"center": built.pk, "day": monday.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="template-grid"' in page and "up to 315 min" in page
    assert page.count("<svg") == 2 and 'id="plan-table"' in page
    plan = response.context["plan"]
    assert max(s.planned_in_chairs for s in plan.slots) == 2
    assert all(s.planned_starts <= s.start_capacity for s in plan.slots)
    # The two visits that day were booked at the times the template keeps.
    assert plan.compliance.bookings == 2
    assert response.context["history"][-1].day == monday


def test_another_center_s_template_is_not_shown(admin_client_for_center, other_center):
    response = admin_client_for_center.get(URL, {"center": other_center.pk})
    assert "template-grid" not in response.content.decode()
    assert response.context.get("plan") is None


def test_a_bad_day_is_a_form_error_not_a_500(admin_client_for_center, built):
    response = admin_client_for_center.get(URL, {"center": built.pk, "day": "2026-13-40"})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_a_day_without_template_explains_how_to_build_one(admin_client_for_center, center):
    response = admin_client_for_center.get(URL, {"center": center.pk, "day": TODAY.isoformat()})
    assert response.status_code == 200
    assert "build_templates" in response.content.decode()
