"""Every insights page in real headless Chromium: it draws its charts and tables and logs no console error."""

from __future__ import annotations

import re

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from insights.views import INSIGHTS
from tests.accounts.conftest import code_for
from tests.factories import UserFactory
from tests.insights.conftest import NOW, build_monday

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def test_every_insight_opens_without_a_console_error(clock, page, login, screenshot, center, protocol):
    build_monday(center, protocol)
    UserFactory(username="ada.admin", role="center_admin", center=center, is_staff=True)
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} {message.location.get('url')}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    login("ada.admin")
    # Center admins turn on two-step sign-in before any page (the code is read as the app would make it).
    page.get_by_label("Code from the app").fill(code_for(TOTPDevice.objects.get(user__username="ada.admin")))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    log_out = page.get_by_role("button", name="Log out").bounding_box()
    assert log_out["x"] + log_out["width"] <= 1366 and log_out["y"] < 60  # the navigation still fits one line
    page.get_by_role("link", name="Insights", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Insights"))).to_be_visible()
    for insight in INSIGHTS:
        page.goto(f"{insight.url}?center={center.pk}&from=2026-12-07&to=2026-12-07")
        expect(page.get_by_role("heading", level=1)).to_contain_text(insight.title)
        expect(page.locator("table").first).to_be_visible()
        if insight.slug != "today":
            expect(page.locator("svg[role=img]").first).to_be_visible()
        screenshot(f"insights-{insight.slug}")
    page.goto(f"/insights/today/?center={center.pk}")
    assert page.evaluate("flowScreenIsActive()") is True  # the Today panel polls while the screen is in use
    assert errors == []
