"""A nurse in real headless Chromium: find a slot, book it, see it on the board, move it, cancel it,
and be told plainly when someone else took the slot first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chairs.models import OpeningHours
from chairside.services import record_vitals
from scheduling.models import Appointment, AppointmentStatus, Protocol
from scheduling.protocol_library import seed_protocols
from scheduling.services import book_appointment, transition
from tests.booking.conftest import at, next_monday
from tests.e2e.htmx import when_ready
from tests.e2e.slot_finder import choose_protocol
from tests.factories import ChairBlockFactory, ChairFactory, NurseShiftFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic(center, nurse):
    """Chairs, a bed, two nurses on shift every day for two weeks, the protocol library, one patient."""
    seed_protocols()
    for weekday in (5, 6):
        OpeningHours.objects.get_or_create(
            center=center, weekday=weekday, defaults={"opens": dt.time(7), "closes": dt.time(19)}
        )
    chairs = [ChairFactory(center=center, label=f"C{n:02d}") for n in range(1, 9)]
    chairs += [ChairFactory(center=center, label=f"B{n}", kind="bed", features=["pump"]) for n in (1, 2)]
    today = timezone.localdate(timezone=center.tzinfo)
    staff = [nurse, UserFactory(role="nurse", center=center)]
    for offset in range(-1, 15):
        day = today + dt.timedelta(days=offset)
        for person in staff:
            NurseShiftFactory(center=center, nurse=person, start=at(day, 0), end=at(day + dt.timedelta(days=1), 0))
    patient = PatientFactory(center=center, first_name="Ann", last_name="Smith", mrn="MRN424242")
    return {"center": center, "chairs": chairs, "patient": patient, "ocr": Protocol.objects.get(code="ocr")}


def find_first_ocrelizumab_slot(page, day: dt.date, *, keyboard: bool = False) -> None:
    page.get_by_role("link", name="Find a slot").first.click()
    search = when_ready(page.get_by_label("Patient", exact=True))
    search.fill("smi")
    option = page.get_by_role("option", name=re.compile("Smith, Ann"))
    if keyboard:  # pick with the arrow keys and Enter, as a nurse at a keyboard would
        expect(option).to_be_visible()
        search.press("ArrowDown")
        expect(option).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_label("Protocol")).to_be_focused()
    else:
        option.click()
    expect(page.get_by_text("Ann Smith · MRN MRN424242")).to_be_visible()
    choose_protocol(page, "Ocrelizumab (OCR) — Ocrevus")
    page.get_by_label("Dose number").fill("1")
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("To", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Find slots").click()
    expect(page.get_by_role("link", name=re.compile("^Book… ")).first).to_be_visible()


def test_nurse_books_sees_moves_and_cancels(page, login, screenshot, clinic):
    monday = next_monday()
    login("nina.nurse")
    find_first_ocrelizumab_slot(page, monday)
    screenshot("booking-slot-finder")
    page.get_by_role("link", name=re.compile("^Book… ")).first.click()
    expect(page.get_by_role("heading", name="Book this slot?")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Booked Ann Smith: OCR dose 1")).to_be_visible()
    appointment = Appointment.objects.get(patient=clinic["patient"])
    assert appointment.start.astimezone(clinic["center"].tzinfo).date() == monday

    # On the board of that day, the block opens the appointment.
    page.get_by_label("breadcrumb").get_by_role("link", name=re.compile("^Chair board")).click()
    block = page.locator(f'a.board-appt[href="/appointments/{appointment.pk}/"]')
    expect(block).to_contain_text("Smith, Ann")
    expect(block).to_contain_text("OCR #1")
    block.click()

    # Move: the slot finder is pre-filled; the old time is released only when the new one is booked.
    page.get_by_role("link", name="Move…").click()
    expect(page.get_by_role("heading", name=re.compile("Move Ann Smith"))).to_be_visible()
    page.get_by_label("From", exact=True).fill((monday + dt.timedelta(days=1)).isoformat())
    page.get_by_label("To", exact=True).fill((monday + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Find slots").click()
    tuesday = monday + dt.timedelta(days=1)
    move_here = page.get_by_role("link", name=re.compile(f"^Move here… .* on {tuesday:%a} {tuesday.day} {tuesday:%b} "))
    expect(move_here.first).to_be_visible()
    move_here.first.click()
    page.get_by_role("button", name="Confirm move").click()
    expect(page.get_by_text(re.compile("Moved to .* The old time is free again."))).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.start.astimezone(clinic["center"].tzinfo).date() == monday + dt.timedelta(days=1)

    # Cancel with who and why.
    page.get_by_role("link", name="Cancel appointment…").click()
    page.get_by_label("Patient", exact=True).check()
    page.get_by_label("Reason").fill("Feeling unwell")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("The appointment is cancelled")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Reason: Feeling unwell"))).to_be_visible()
    screenshot("booking-appointment")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_by == "patient"


def test_slot_taken_by_someone_else_is_told_plainly(page, login, screenshot, clinic):
    monday = next_monday()
    login("nina.nurse")
    find_first_ocrelizumab_slot(page, monday, keyboard=True)
    page.get_by_role("link", name=re.compile("^Book… ")).first.click()
    expect(page.get_by_role("heading", name="Book this slot?")).to_be_visible()

    # Meanwhile a colleague books that very chair and time.
    chair_id = int(page.locator('input[name="chair"]').input_value())
    start = dt.datetime.fromisoformat(page.locator('input[name="start"]').input_value())
    colleague = UserFactory(role="nurse", center=clinic["center"])
    book_appointment(
        actor=colleague,
        patient=PatientFactory(center=clinic["center"]),
        protocol=clinic["ocr"],
        chair=clinic["center"].chairs.get(pk=chair_id),
        start=start,
    )

    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("alert")).to_contain_text("this slot was just taken by someone else")
    screenshot("booking-slot-taken")
    expect(page.get_by_role("link", name=re.compile("^Book… ")).first).to_be_visible()
    assert not Appointment.objects.filter(patient=clinic["patient"]).exists()


def test_board_screenshot(page, login, screenshot, clinic):
    """Today's board with every state, a blocked chair and the now line: saved for a human to look at."""
    center, chairs, ocr = clinic["center"], clinic["chairs"], clinic["ocr"]
    now = timezone.now().astimezone(center.tzinfo)
    today = now.date()
    protocols = {p.code: p for p in Protocol.objects.all()}
    booker = UserFactory(role="nurse", center=center)
    # Open twelve hours around now, so the now line shows whatever the time of the test run.
    opens = dt.time(min(max(now.hour - 4, 0), 11))
    OpeningHours.objects.update_or_create(
        center=center, weekday=today.weekday(), defaults={"opens": opens, "closes": dt.time(opens.hour + 12)}
    )
    plan = [  # chair, minutes after opening, protocol, dose
        (0, 0, "ocr", 3),
        (0, 330, "nat", 5),
        (1, 30, "lec", 4),
        (1, 180, "ept", 2),
        (1, 420, "don", 3),
        (2, 60, "ivig", 3),
        (3, 120, "nat", 8),
        (3, 360, "lec", 6),
        (4, 240, "ocr", 4),
        (5, 15, "efg", 2),
        (5, 480, "ept", 3),
        (6, 210, "mp", 1),
        (8, 150, "ocr", 1),
    ]
    made = []
    for chair_index, offset, code, dose in plan:
        protocol = protocols.get(code, ocr)
        try:
            made.append(
                book_appointment(
                    actor=booker,
                    patient=PatientFactory(center=center),
                    protocol=protocol,
                    chair=chairs[chair_index],
                    start=at(today, opens.hour) + dt.timedelta(minutes=offset),
                    dose_number=dose,
                    # late in the day the opening is clamped to 11:00 and the plan lies partly behind now
                    allow_past=True,
                )
            )
        except Exception:  # noqa: BLE001 — a busy slot just leaves a gap in the picture
            continue
    steps = [["check_in"], ["check_in", "seat"], ["check_in", "seat", "start_infusion"]]
    for appointment, actions in zip(made[:3], steps, strict=False):
        for action in actions:
            if action == "start_infusion":  # the chair-side gate: pre-infusion vitals first
                record_vitals(actor=booker, appointment=appointment, phase="pre", systolic=120, diastolic=80, pulse=70)
            appointment = transition(actor=booker, appointment=appointment, action=action)
    ChairBlockFactory(
        chair=chairs[7], start=at(today, opens.hour + 5), end=at(today, opens.hour + 9), reason="Recliner repair"
    )
    login("nina.nurse")
    page.goto("/board/")
    expect(page.locator("a.board-appt").first).to_be_visible()
    # Tall enough for the whole board: the staffing strip sticks to the window's bottom edge.
    page.set_viewport_size({"width": 1366, "height": 1000})
    path = screenshot("booking-board")
    assert path.exists()
    page.set_viewport_size({"width": 820, "height": 1180})
    screenshot("booking-board-tablet")


def test_board_shows_a_front_desk_check_in_by_itself(page, login, clinic, monkeypatch):
    from scheduling import views_booking

    monkeypatch.setattr(views_booking, "BOARD_REFRESH_SECONDS", 1)  # the page polls every 20 s; no need to wait here
    center, chairs = clinic["center"], clinic["chairs"]
    monday = next_monday()
    appointment = book_appointment(
        actor=UserFactory(role="nurse", center=center),
        patient=clinic["patient"],
        protocol=clinic["ocr"],
        chair=chairs[0],
        start=at(monday, 9),
    )
    login("nina.nurse")
    page.goto(f"/board/?center={center.pk}&date={monday.isoformat()}")
    block = page.locator(f'a.board-appt[href="/appointments/{appointment.pk}/"]')
    expect(block).to_contain_text("Booked")
    transition(actor=UserFactory(role="front_desk", center=center), appointment=appointment, action="check_in")
    expect(block).to_contain_text("Arrived", timeout=10_000)
    expect(block).to_have_class(re.compile("status-arrived"))


@pytest.mark.parametrize("viewport", [{"width": 820, "height": 1180}, {"width": 1024, "height": 768}], ids=str)
def test_the_patients_chair_preference_is_set_on_the_form_and_offered_first(page, login, screenshot, clinic, viewport):
    """Ann likes to sit by a window: the nurse says so on her record, and the slot finder offers C05,
    the one window chair, before the others (and still the others)."""
    window = clinic["chairs"][4]
    window.features = [*window.features, "window"]
    window.save()
    monday = next_monday()
    login("nina.nurse")
    page.goto(f"/patients/{clinic['patient'].pk}/edit/")
    page.get_by_label("By a window").check()
    screenshot(f"patient-chair-preference-{viewport['width']}")
    page.get_by_role("button", name="Save patient").click()
    expect(page.get_by_text("Prefers by a window")).to_be_visible()

    # From her record straight to the slot finder: Ann is picked already.
    page.get_by_role("main").get_by_role("link", name="Find a slot").click()
    expect(page.get_by_text("Ann Smith · MRN MRN424242")).to_be_visible()
    choose_protocol(page, "Ocrelizumab (OCR) — Ocrevus")
    page.get_by_label("Dose number").fill("1")
    page.get_by_label("From", exact=True).fill(monday.isoformat())
    page.get_by_label("To", exact=True).fill(monday.isoformat())
    page.get_by_role("button", name="Find slots").click()
    expect(page.get_by_text("prefers by a window")).to_be_visible()
    first = page.locator(".candidate-list li").first
    expect(first).to_contain_text("C05")
    expect(first).to_contain_text("preferred chair")
    screenshot(f"slot-finder-chair-preference-{viewport['width']}")
    page.get_by_role("link", name=re.compile("^Book… ")).first.click()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text(re.compile("Booked Ann Smith: OCR dose 1 on C05"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
