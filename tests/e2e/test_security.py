"""Sign-in security in the browser: the Content-Security-Policy is enforced (and the suite's check sees a
violation), a center admin sets up two-step sign-in, Swagger UI works under the policy."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.accounts.conftest import code_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_policy_blocks_an_inline_script_and_the_check_reports_it(page, login, nurse):
    login("nina.nurse")
    page.goto("/board/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.append(s); }"
    )
    assert page.evaluate("window.ran") is None  # blocked
    for _ in range(100):  # the report reaches the test asynchronously
        if any(problem.startswith("CSP violation: script-src") for problem in page.browser_problems):
            break
        page.wait_for_timeout(100)
    assert any(problem.startswith("CSP violation: script-src") for problem in page.browser_problems)
    page.browser_problems.clear()  # this one was on purpose


def test_center_admin_sets_up_two_step_sign_in_then_reaches_the_pages(page, login, center_admin, patient):
    login("ada.admin")
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code of the authenticator key")).to_be_visible()
    device = TOTPDevice.objects.get(user=center_admin, confirmed=False)
    page.get_by_label("Code from the app").fill(code_for(device))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name=re.compile("I have saved them")).click()

    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Access log").click()
    expect(page.get_by_role("heading", name=re.compile("Who viewed"))).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("(ada.admin)")
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("Your role requires it.")).to_be_visible()
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_swagger_ui_works_under_the_policy(page, login, nurse):
    login("nina.nurse")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Infusion Center API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
