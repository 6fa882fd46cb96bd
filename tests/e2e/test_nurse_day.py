"""The nurse's day at three screen sizes in real headless Chromium: every page passes axe-core (the
page fixture fails a test on any serious or critical violation), no page scrolls sideways except the
board's time grid in its own scroller, a booking moves by drag and drop or from the keyboard through
the planner's check, and the printed day sheet lists every booked chair row."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from chairs.models import OpeningHours
from scheduling.models import Appointment, Protocol
from scheduling.protocol_library import seed_protocols
from tests.booking.conftest import at, next_monday
from tests.factories import (
    AppointmentFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    ProtocolFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = {
    "1366x768": {"width": 1366, "height": 768},
    "1024x768": {"width": 1024, "height": 768},
    "820x1180": {"width": 820, "height": 1180},
}


@pytest.fixture
def day(center, nurse):
    """Next Monday (always in the future) at a center with seven chairs and a bed, two nurses on shift,
    and a day of bookings: long names, a short infusion, several protocols."""
    seed_protocols()
    for weekday in (5, 6):
        OpeningHours.objects.get_or_create(
            center=center, weekday=weekday, defaults={"opens": dt.time(7), "closes": dt.time(19)}
        )
    chairs = [ChairFactory(center=center, label=f"C{n:02d}") for n in range(1, 8)]
    chairs.append(ChairFactory(center=center, label="B1", kind="bed", features=["pump"]))
    monday = next_monday()
    for person in (nurse, UserFactory(role="nurse", center=center)):
        for offset in range(7):
            d = monday + dt.timedelta(days=offset)
            NurseShiftFactory(center=center, nurse=person, start=at(d, 7), end=at(d, 19))
    ocr, nat = Protocol.objects.get(code="ocr"), Protocol.objects.get(code="nat")
    iron = ProtocolFactory(
        code="fe",
        name="Iron sucrose",
        drug="iron sucrose",
        first_dose_infusion_minutes=15,
        later_dose_infusion_minutes=15,
        premedication_minutes=0,
        observation_minutes=15,
    )
    people = [
        ("Maximiliana", "Rodriguez-Villanueva"),
        ("Ann", "Smith"),
        ("Bartholomew", "Okonkwo-Lindqvist"),
        ("Lee", "Wu"),
    ]
    booked = []
    for n, (first, last) in enumerate(people):
        patient = PatientFactory(center=center, first_name=first, last_name=last, mrn=f"MRN90{n:04d}")
        protocol = [iron, ocr, nat, ocr][n]
        start = at(monday, 8 + 2 * n)
        booked.append(
            AppointmentFactory(
                center=center,
                chair=chairs[n],
                patient=patient,
                protocol=protocol,
                start=start,
                end=protocol.end_of(start, 2),
                dose_number=2,
            )
        )
    return {"center": center, "monday": monday, "chairs": chairs, "booked": booked}


def pages_for(day) -> list[tuple[str, str]]:
    center, monday, first = day["center"], day["monday"], day["booked"][0]
    query = f"?center={center.pk}&date={monday.isoformat()}"
    return [
        ("board", reverse("board") + query),
        ("week", reverse("board_week") + query),
        ("day-sheet", reverse("board_sheet") + query),
        ("slot-finder", reverse("slot_finder") + f"?center={center.pk}"),
        ("appointment", reverse("appointment_detail", args=[first.pk])),
        ("move", reverse("appointment_move", args=[first.pk])),
        ("arrivals", reverse("arrivals")),
        ("waiting-room", reverse("waiting_room")),
        ("in-chairs", reverse("in_chairs")),
        ("patients", reverse("patient_list")),
        ("patient", reverse("patient_detail", args=[first.patient_id])),
        ("work-queue", reverse("work_queue")),
        ("reminders", reverse("reminders:list")),
        ("wait-times", reverse("flow_report")),
    ]


def page_width_overflow(page) -> int:
    """How many pixels the page is wider than the window (the board's own scroller does not count)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("viewport", list(SCREENS.values()), ids=list(SCREENS))
def test_every_page_passes_axe_and_never_scrolls_sideways(page, login, screenshot, axe_audit, viewport, day):
    size = f"{viewport['width']}x{viewport['height']}"
    login("nina.nurse")
    expect(page).to_have_url(re.compile(r"/board/"))  # the nurse's home is the board
    too_wide = {}
    for name, url in pages_for(day):
        page.goto(url)
        page.wait_for_load_state("load")
        axe_audit.check(page)
        overflow = page_width_overflow(page)
        if overflow > 0:
            too_wide[name] = overflow
        screenshot(f"nurse-day-{size}-{name}")
    assert not too_wide, f"pages wider than {viewport['width']} px: {too_wide}"
    assert len(axe_audit.pages) >= len(pages_for(day))
    if viewport["width"] < 1200:  # the navigation collapses behind its toggle, and opens
        page.get_by_role("button", name="Toggle navigation").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.get_by_role("link", name="Wait times")).to_be_visible()
        axe_audit.check(page)
        screenshot(f"nurse-day-{size}-menu-open")


def test_short_infusion_tile_shows_full_name_and_readiness_on_focus(page, login, day):
    login("nina.nurse")
    page.goto(reverse("board") + f"?center={day['center'].pk}&date={day['monday'].isoformat()}")
    short = day["booked"][0]  # iron sucrose: 40 minutes in the chair, drawn as a compact tile
    tile = page.locator(f'a.board-appt[href="/appointments/{short.pk}/"]')
    expect(tile).to_have_class(re.compile("is-compact"))
    tile.focus()
    tooltip = page.get_by_role("tooltip")
    expect(tooltip).to_contain_text("Maximiliana Rodriguez-Villanueva")
    expect(tooltip).to_contain_text("FE dose 2")
    expect(tooltip).to_contain_text("Not ready: No doctor's order")


def _x_for(page, track, start: dt.datetime) -> float:
    """The x offset inside a chair's track where ``start`` falls on the board's time axis."""
    box = track.bounding_box()
    board = page.locator(".board")
    opens = dt.datetime.fromisoformat(board.get_attribute("data-opens"))
    span = int(board.get_attribute("data-span-seconds"))
    return (start - opens).total_seconds() / span * box["width"]


def test_drag_and_drop_moves_a_booking_after_the_planners_check(page, login, screenshot, day):
    login("nina.nurse")
    center, monday = day["center"], day["monday"]
    appointment = day["booked"][1]  # Ann Smith on C02 at 10:00
    page.goto(reverse("board") + f"?center={center.pk}&date={monday.isoformat()}")
    tile = page.locator(f'a.board-appt[href="/appointments/{appointment.pk}/"]')
    target = page.locator(f'.board-track[data-chair-id="{day["chairs"][5].pk}"]')  # C06, empty all day
    tile.drag_to(
        target,
        source_position={"x": 1, "y": 5},
        target_position={"x": _x_for(page, target, at(monday, 13, 30)) + 1, "y": 8},
    )
    expect(page.get_by_role("heading", name="Move this appointment?")).to_be_visible()
    expect(page.get_by_text(re.compile("13:30–"))).to_be_visible()
    screenshot("board-drag-confirm")
    page.get_by_role("button", name="Confirm move").click()
    expect(page.get_by_text(re.compile(r"Moved to C06, Mon .* 13:30\. The old time is free again\."))).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.chair == day["chairs"][5]
    assert appointment.start == at(monday, 13, 30)

    # Dropped onto a chair that is taken then: the move page's refusal, and nothing moves.
    page.goto(reverse("board") + f"?center={center.pk}&date={monday.isoformat()}")
    tile = page.locator(f'a.board-appt[href="/appointments/{appointment.pk}/"]')
    busy = page.locator(f'.board-track[data-chair-id="{day["chairs"][0].pk}"]')  # C01 at 08:00
    tile.drag_to(
        busy, source_position={"x": 1, "y": 5}, target_position={"x": _x_for(page, busy, at(monday, 8)) + 1, "y": 8}
    )
    expect(
        page.get_by_text("Sorry, this slot was just taken by someone else. The appointment was not moved.")
    ).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.start == at(monday, 13, 30) and appointment.chair == day["chairs"][5]


def test_keyboard_moves_a_booking_with_m_arrows_and_enter(page, login, day):
    login("nina.nurse")
    center, monday = day["center"], day["monday"]
    appointment = day["booked"][3]  # Lee Wu on C04 at 14:00
    page.goto(reverse("board") + f"?center={center.pk}&date={monday.isoformat()}")
    tile = page.locator(f'a.board-appt[href="/appointments/{appointment.pk}/"]')
    tile.focus()
    page.keyboard.press("m")
    expect(page.locator("#board-move-status")).to_contain_text("Moving Wu, Lee to C04 at 14:00")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-move-status")).to_contain_text("to C05 at 14:30")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Move this appointment?")).to_be_visible()
    page.get_by_role("button", name="Confirm move").click()
    expect(page.get_by_text(re.compile(r"Moved to C05, Mon .* 14:30"))).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.chair == day["chairs"][4] and appointment.start == at(monday, 14, 30)


def test_printed_day_sheet_lists_every_booked_chair_row(page, login, screenshot, day):
    from pypdf import PdfReader

    login("nina.nurse")
    page.goto(reverse("board") + f"?center={day['center'].pk}&date={day['monday'].isoformat()}")
    page.get_by_role("link", name="Day sheet").click()
    expect(page.get_by_role("heading", name=re.compile("^Day sheet"))).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()  # no navigation on paper
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    screenshot("day-sheet-print")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages)
    text = re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text))  # lines wrapped in a cell join up again
    for appointment in Appointment.objects.filter(center=day["center"]).select_related("chair", "patient", "protocol"):
        local = appointment.start.astimezone(day["center"].tzinfo)
        assert appointment.patient.full_name in text
        assert appointment.chair.label in text and f"{local:%H:%M}" in text
        assert appointment.protocol.name in text
    assert "Log out" not in text


def test_board_full_page_render_leaves_every_chair_row_uncovered(page, login, screenshot, day):
    login("nina.nurse")
    page.set_viewport_size({"width": 1366, "height": 500})  # shorter than the board
    page.goto(reverse("board") + f"?center={day['center'].pk}&date={day['monday'].isoformat()}")
    screenshot("board-full-page")  # a full-page render
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        staffing = page.locator(".board-staffing").bounding_box()
        for row in page.locator(".board-body .board-row").all():
            box = row.bounding_box()
            assert box["y"] >= staffing["y"] + staffing["height"] - 1, media  # the strip is above, not over


@pytest.mark.parametrize("viewport", list(SCREENS.values()), ids=list(SCREENS))
def test_front_desk_pages_pass_axe_and_never_scroll_sideways(
    page, login, screenshot, axe_audit, viewport, day, front_desk
):
    size = f"{viewport['width']}x{viewport['height']}"
    center, monday = day["center"], day["monday"]
    # Today's list (on the real clock: the arrivals page is always today): one due now, one later.
    now = timezone.now().replace(second=0, microsecond=0)
    for n, (first, last) in enumerate([("Maximiliana", "Rodriguez-Villanueva"), ("Lee", "Wu")]):
        AppointmentFactory(
            center=center,
            chair=day["chairs"][5 + n],
            patient=PatientFactory(center=center, first_name=first, last_name=f"{last}-Today"),
            protocol=day["booked"][0].protocol,
            start=now - dt.timedelta(minutes=5) + dt.timedelta(minutes=30 * n),
        )
    login("frank.desk")
    expect(page).to_have_url(re.compile(r"/arrivals/"))  # the front desk's home is the arrivals list
    pages = [
        ("arrivals", reverse("arrivals")),
        ("arrivals-search", reverse("arrivals") + "?q=Smith"),
        ("waiting-room", reverse("waiting_room")),
        ("patients", reverse("patient_list")),
        ("patient", reverse("patient_detail", args=[day["booked"][1].patient_id])),
        ("board", reverse("board") + f"?center={center.pk}&date={monday.isoformat()}"),
        ("wait-times", reverse("flow_report")),
    ]
    too_wide = {}
    for name, url in pages:
        page.goto(url)
        page.wait_for_load_state("load")
        axe_audit.check(page)
        if (overflow := page_width_overflow(page)) > 0:
            too_wide[name] = overflow
        screenshot(f"front-desk-{size}-{name}")
    page.goto(reverse("arrivals"))
    page.get_by_role("button", name="Check in: Maximiliana Rodriguez-Villanueva-Today").click()
    expect(page.locator("#flow-messages")).to_contain_text("is checked in")
    axe_audit.check(page)
    screenshot(f"front-desk-{size}-arrivals-checked-in")
    assert page_width_overflow(page) <= 0
    for name in ("Check in: Lee Wu-Today", "Undo check-in: Maximiliana Rodriguez-Villanueva-Today"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()  # the list may be swapping itself in after the check-in
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"], f"{name} is beyond the right edge"
    assert not too_wide, f"pages wider than {viewport['width']} px: {too_wide}"
