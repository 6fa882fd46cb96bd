"""A new center from nothing, in real headless Chromium: a system admin creates it and invites its admin,
who sets a password from the emailed link, sets hours, a chair, a nurse, the nurse's rota and reviews the
protocols, imports a patient; the checklist turns green and the nurse books the center's first appointment."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from chairs.models import Center, NurseShift
from scheduling.models import Appointment, Protocol
from scheduling.protocol_library import seed_protocols
from tests.accounts.conftest import code_for
from tests.e2e.htmx import loaded, when_ready
from tests.e2e.slot_finder import choose_protocol
from tests.factories import ChairFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase-9"


def tab(page, name: str) -> None:
    page.get_by_label("Setup sections").get_by_role("link", name=name, exact=True).click()


def field(page, label: str):
    """A form field by its whole label (crispy marks required ones with an asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def test_a_new_center_is_set_up_from_nothing_and_books_its_first_appointment(
    page, login, screenshot, tmp_path, axe_audit
):
    seed_protocols()  # the installation's protocol library
    UserFactory(username="sam.system", role="system_admin")
    login("sam.system")
    page.get_by_role("link", name="Center setup").click()
    page.get_by_role("link", name="New center").click()
    field(page, "Name").fill("Lakeside Infusion")
    field(page, "Timezone").select_option("America/Chicago")
    field(page, "Admin's user name").fill("lena.lead")
    field(page, "Admin's first name").fill("Lena")
    field(page, "Admin's last name").fill("Lead")
    field(page, "Admin's email").fill("lena@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Lakeside Infusion is created")).to_be_visible()
    expect(page.get_by_text("To do", exact=True)).to_have_count(5)
    center = Center.objects.get(name="Lakeside Infusion")

    # The new admin follows the emailed link and sets a password.
    link = re.search(r"http\S+/accounts/set-password/\S+", mail.outbox[-1].body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    field(page, "New password").fill(PASSWORD)
    field(page, "New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    login("lena.lead", PASSWORD)
    # Center admins turn on two-step sign-in before any page (the code is read as the app would make it).
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    device = TOTPDevice.objects.get(user__username="lena.lead", confirmed=False)
    page.get_by_label("Code from the app").fill(code_for(device))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Center setup").click()
    expect(page.get_by_role("heading", name="Lakeside Infusion")).to_be_visible()

    # Hours: open every day 07:00–19:00 (so the test does not depend on today's weekday).
    tab(page, "Hours")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(f"Open on {day}").check()
        page.get_by_label(f"{day} opens").fill("07:00")
        page.get_by_label(f"{day} closes").fill("19:00")
    page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text("Opening hours saved.")).to_be_visible()

    tab(page, "Chairs")
    field(page, "Label").fill("C01")
    page.get_by_label("Infusion pump").check()
    page.get_by_role("button", name="Add chair").click()
    expect(page.get_by_text("C01 added.")).to_be_visible()
    # From here the setup pages change rows in place (htmx): the page is never reloaded.
    loaded(page).evaluate("window.__samePage = true")
    field(page, "Label").fill("B1")
    page.get_by_role("button", name="Add chair").click()
    expect(page.get_by_text("B1 added.")).to_be_visible()
    page.locator("tr", has_text="C01").get_by_role("link", name=re.compile("^Edit")).click()
    editor = page.locator("tr.table-active")
    expect(editor.get_by_label("Label")).to_be_focused()
    editor.get_by_label("Label").fill("B1")
    editor.get_by_role("button", name=re.compile("^Save")).click()
    expect(editor.get_by_text(re.compile("already exists"))).to_be_visible()
    editor.get_by_label("Label").fill("W1")
    editor.get_by_label("By a window").check()
    screenshot("setup-chairs-inline-edit")
    editor.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_text("W1 saved.")).to_be_visible()
    expect(page.locator("tr", has_text="W1")).to_contain_text("window")
    page.locator("tr", has_text="B1").get_by_role("button", name=re.compile("^Deactivate")).click()
    expect(page.get_by_text("B1 is out of service.")).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "the chairs page reloaded"
    page.mouse.move(0, 0)  # not hovering a button mid-transition while axe measures colours
    page.wait_for_timeout(300)
    axe_audit.check(page)

    tab(page, "Closures")
    loaded(page).evaluate("window.__samePage = true")
    closed = timezone.localdate(timezone=center.tzinfo) + dt.timedelta(days=60)
    field(page, "Date").fill(closed.isoformat())
    field(page, "Reason").fill("Staff training")
    page.get_by_role("button", name="Add closure", exact=True).click()
    expect(page.get_by_role("cell", name="Staff training")).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "the closures page reloaded"

    tab(page, "Staff")
    field(page, "Username").fill("nora.nurse")
    field(page, "First name").fill("Nora")
    field(page, "Last name").fill("Nurse")
    page.get_by_label("Nurse", exact=True).check()
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Add and invite").click()
    expect(page.get_by_text("Nora Nurse can sign in now.")).to_be_visible()
    loaded(page).evaluate("window.__samePage = true")
    page.locator("tr", has_text="nora.nurse").get_by_role("link", name=re.compile("^Roles")).click()
    page.locator("tr.table-active").get_by_label("Front desk").check()
    page.locator("tr.table-active").get_by_role("button", name=re.compile("^Save roles")).click()
    expect(page.locator("tr", has_text="nora.nurse")).to_contain_text("Frontdesk")
    assert page.evaluate("window.__samePage === true"), "the staff page reloaded"

    # Rota: every day 07:00–19:00 from this week, two weeks of shifts.
    today = timezone.localdate(timezone=center.tzinfo)
    tab(page, "Rota")
    field(page, "Nurse").select_option(label="Nora Nurse")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_role("checkbox", name=day, exact=True).check()
    field(page, "Starts (local time)").fill("07:00")
    field(page, "Ends (local time)").fill("19:00")
    field(page, "First week").fill(today.isoformat())
    page.get_by_role("button", name="Add pattern").click()
    expect(page.get_by_text("Pattern added for Nora Nurse")).to_be_visible()  # the panel is swapped in
    page.get_by_role("button", name=re.compile("^Generate shifts")).click()
    # Generating two weeks of shifts and drawing the week's staffing can take a while on a busy machine.
    expect(page.get_by_text(re.compile(r"\d+ shift\(s\) created"))).to_be_visible(timeout=20_000)
    assert NurseShift.objects.filter(center=center, nurse__username="nora.nurse").count() >= 13

    # Protocols: this center observes after ocrelizumab for 90 minutes (the label says at least 60).
    tab(page, "Protocols")
    page.get_by_role("link", name="Edit Ocrelizumab").click()
    page.get_by_label("Observation minutes at Lakeside Infusion", exact=True).fill("90")
    page.get_by_role("button", name="Save protocol").click()
    expect(page.get_by_text("bookings made from now on use the new values")).to_be_visible()
    expect(page.locator("tr[data-setting=observation_minutes]")).to_contain_text("differs from the label")
    screenshot("setup-protocol-center-values")
    tab(page, "Protocols")
    page.get_by_role("button", name=re.compile("I have reviewed these protocols")).click()
    expect(page.get_by_text("Everything is in place: this center can book.")).to_be_visible()
    screenshot("setup-checklist-ready")

    # Import the first patient from the old system.
    csv = tmp_path / "patients.csv"
    csv.write_text("mrn,first_name,last_name,date_of_birth,phone\nL0001,Ann,Smith,1960-05-01,+13125550142\n")
    tab(page, "Import")
    page.get_by_label("Patients").check()
    field(page, "File").set_input_files(str(csv))
    page.get_by_role("button", name=re.compile("Check the file")).click()
    expect(page.get_by_text("All 1 row can be imported")).to_be_visible()
    page.get_by_role("button", name="Import all 1 row").click()
    expect(page.get_by_text("1 patients imported.")).to_be_visible()

    # The nurse books the center's first appointment through the slot finder.
    day = today + dt.timedelta(days=8)
    page.context.clear_cookies()
    login("nora.nurse", PASSWORD)
    page.get_by_role("link", name="Find a slot").first.click()
    when_ready(page.get_by_label("Patient", exact=True)).fill("smi")
    page.get_by_role("option", name=re.compile("Smith, Ann")).click()
    choose_protocol(page, "Ocrelizumab (OCR) — Ocrevus")
    page.get_by_label("Dose number").fill("1")
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("To", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Find slots").click()
    page.get_by_role("link", name=re.compile("^Book")).first.click()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Booked Ann Smith: OCR dose 1")).to_be_visible()
    screenshot("setup-first-booking")
    appointment = Appointment.objects.get(center=center)
    assert appointment.start.astimezone(center.tzinfo).date() == day
    assert appointment.chair.label == "W1"
    ocrelizumab = appointment.protocol
    assert ocrelizumab.observation_minutes == 60, "the installation's value is unchanged"
    assert appointment.end - appointment.start == dt.timedelta(minutes=ocrelizumab.chair_minutes(1) + 30)


SCREENS = {
    "1366x768": {"width": 1366, "height": 768},
    "1024x768": {"width": 1024, "height": 768},
    "820x1180": {"width": 820, "height": 1180},
}


@pytest.mark.parametrize("viewport", list(SCREENS.values()), ids=list(SCREENS))
def test_every_setup_page_passes_axe_and_never_scrolls_sideways(page, login, screenshot, axe_audit, viewport, center):
    seed_protocols()
    chair = ChairFactory(center=center, label="C01", features=["pump", "recliner", "near_station", "window"])
    UserFactory(username="ada.admin", role="center_admin", center=center, is_staff=True)
    UserFactory(username="nina.nurse", role="nurse", center=center)
    login("ada.admin")
    page.get_by_label("Code from the app").fill(code_for(TOTPDevice.objects.get(user__username="ada.admin")))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    ocr = Protocol.objects.get(code="ocr")
    pages = {
        "checklist": f"/setup/{center.pk}/",
        "settings": f"/setup/{center.pk}/settings/",
        "hours": f"/setup/{center.pk}/hours/",
        "closures": f"/setup/{center.pk}/closures/",
        "chairs": f"/setup/{center.pk}/chairs/",
        "chair-blocks": f"/setup/{center.pk}/chairs/{chair.pk}/blocks/",
        "staff": f"/setup/{center.pk}/staff/",
        "rota": f"/setup/{center.pk}/rota/",
        "protocols": f"/setup/{center.pk}/protocols/",
        "protocol": f"/setup/{center.pk}/protocols/{ocr.pk}/",
        "import": f"/setup/{center.pk}/import/",
    }
    size = f"{viewport['width']}x{viewport['height']}"
    too_wide = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("load")
        axe_audit.check(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide[name] = overflow
        screenshot(f"setup-{size}-{name}")
    # The inline editors too.
    page.goto(pages["chairs"])
    page.locator("tr", has_text="C01").get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.locator("tr.table-active")).to_be_visible()
    axe_audit.check(page)
    screenshot(f"setup-{size}-chair-inline")
    assert not too_wide, f"setup pages wider than {viewport['width']} px: {too_wide}"
