"""A center admin adds a webhook receiver in the setup pages, in real headless Chromium (axe-core and the
Content-Security-Policy checked on every page by the e2e conftest), then sends a test event and sees it
in the delivery log, delivered to a real local receiver."""

from __future__ import annotations

import json
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.accounts.conftest import code_for
from tests.factories import UserFactory
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_adds_a_receiver_and_its_test_event_is_delivered(page, login, screenshot, center):
    UserFactory(username="ada.admin", role="center_admin", center=center, is_staff=True)
    receiver = Receiver()
    try:
        login("ada.admin")
        page.get_by_label("Code from the app").fill(code_for(TOTPDevice.objects.get(user__username="ada.admin")))
        page.get_by_role("button", name="Turn on").click()
        page.get_by_role("link", name=re.compile("I have saved them")).click()
        page.goto(f"/setup/{center.pk}/")
        page.get_by_label("Setup sections").get_by_role("link", name="Webhooks", exact=True).click()
        expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
        page.get_by_label(re.compile(r"^\s*Name")).fill("Epic bridge")
        page.get_by_label(re.compile(r"^\s*Receiver URL")).fill(receiver.url)
        page.get_by_label("Appointment booked").check()
        page.get_by_role("button", name="Add receiver").click()
        expect(page.get_by_text("Events now go to Epic bridge")).to_be_visible()
        subscription = Subscription.objects.get()
        expect(page.locator("#signing-secret")).to_have_text(subscription.secret)
        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_role("cell", name="ping", exact=True)).to_be_visible()
        services.deliver_due()
        page.reload()
        expect(page.get_by_role("cell", name="Delivered", exact=True)).to_be_visible()
        screenshot("webhooks")
        assert json.loads(receiver.requests[0]["body"])["type"] == "ping"
    finally:
        receiver.stop()
