"""Late arrivals: say when the booked slot no longer fits, offer today's remaining fits, let a nurse move it."""

from __future__ import annotations

from django.urls import reverse

from frontdesk.selectors import late_arrival_problem
from tests.factories import AppointmentFactory, ChairFactory
from tests.frontdesk.conftest import at


def check_in(client, appointment, htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("flow_action", args=[appointment.pk, "check_in"]), **headers)


def test_on_time_patient_has_no_problem(booked):
    assert late_arrival_problem(appointment=booked, now=at(9), closes_at=at(19), next_booking_at=at(14, 10)) is None


def test_late_patient_who_still_fits_has_no_problem(booked):
    assert late_arrival_problem(appointment=booked, now=at(9, 30), closes_at=at(19), next_booking_at=None) is None


def test_late_patient_clashing_with_next_booking(booked):
    problem = late_arrival_problem(appointment=booked, now=at(9, 45), closes_at=at(19), next_booking_at=at(14, 10))
    assert problem == (
        "Not here yet, 45 min after the booked start (09:00): 5 h 10 min of chair time from now would end at 14:55, "
        "after the next booking on C01 at 14:10. The booked slot no longer fits."
    )


def test_patient_waiting_too_long_is_flagged_too(booked):
    booked.status, booked.arrived_at = "arrived", at(8, 50)
    problem = late_arrival_problem(appointment=booked, now=at(9, 30), closes_at=at(19), next_booking_at=at(14, 10))
    assert problem.startswith("Still not seated 30 min after the booked start (09:00)")


def test_late_patient_past_closing(center, chair, patient, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol, start=at(13, 45))
    problem = late_arrival_problem(appointment=appointment, now=at(14, 0), closes_at=at(19), next_booking_at=None)
    assert "would end at 19:10, after closing at 19:00" in problem


def test_check_in_of_late_patient_says_so_and_links_to_fits(front_desk_client, clock, staffed, booked, protocol):
    AppointmentFactory(center=booked.center, chair=booked.chair, protocol=protocol, start=at(14, 10))
    clock.set(at(9, 45))
    arrivals = front_desk_client.get(reverse("arrivals")).content.decode()
    assert "Late: no longer fits" in arrivals
    response = check_in(front_desk_client, booked, htmx=True)
    html = response.content.decode()
    assert "Late arrival: Arrived 45 min late (booked 09:00)" in html
    assert reverse("late_arrival", args=[booked.pk]) in html
    booked.refresh_from_db()
    assert booked.status == "arrived"


def test_late_page_offers_todays_remaining_fits_and_nurse_moves_it(nurse_client, clock, staffed, booked, protocol):
    AppointmentFactory(center=booked.center, chair=booked.chair, protocol=protocol, start=at(14, 10))
    spare = ChairFactory(center=booked.center, label="C02")
    clock.set(at(9, 40))
    check_in(nurse_client, booked)
    page = nurse_client.get(reverse("late_arrival", args=[booked.pk])).content.decode()
    assert "The booked slot no longer fits." in page
    assert "Move to C02 at 09:45" in page  # the next grid start on the free chair
    assert "Move to C01" not in page
    response = nurse_client.post(
        reverse("late_arrival", args=[booked.pk]), {"chair": spare.pk, "start": at(9, 45).isoformat()}
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.chair, booked.start, booked.end, booked.status) == (spare, at(9, 45), at(14, 55), "arrived")
    assert booked.arrived_at == at(9, 40)


def test_booked_late_patient_can_be_moved_before_check_in(nurse_client, clock, staffed, booked, protocol):
    AppointmentFactory(center=booked.center, chair=booked.chair, protocol=protocol, start=at(14, 10))
    spare = ChairFactory(center=booked.center, label="C02")
    clock.set(at(9, 50))
    nurse_client.post(reverse("late_arrival", args=[booked.pk]), {"chair": spare.pk, "start": at(10).isoformat()})
    booked.refresh_from_db()
    assert (booked.chair, booked.start, booked.status) == (spare, at(10), "booked")


def test_move_to_a_time_that_does_not_fit_is_refused_with_reason(nurse_client, clock, staffed, booked, protocol):
    blocker = AppointmentFactory(center=booked.center, chair=booked.chair, protocol=protocol, start=at(14, 10))
    clock.set(at(9, 40))
    check_in(nurse_client, booked)
    response = nurse_client.post(
        reverse("late_arrival", args=[booked.pk]),
        {"chair": blocker.chair_id, "start": at(9, 45).isoformat()},
        follow=True,
    )
    assert "Not moved:" in response.content.decode()
    booked.refresh_from_db()
    assert (booked.start, booked.status) == (at(9), "arrived")


def test_nothing_fits_says_so(front_desk_client, clock, staffed, center, chair, patient, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol, start=at(13, 45))
    clock.set(at(14, 0))
    page = front_desk_client.get(reverse("late_arrival", args=[appointment.pk])).content.decode()
    assert "after closing at 19:00" in page
    assert "Nothing fits for the rest of today." in page
    assert "Find a slot on another day" in page


def test_front_desk_cannot_move(front_desk_client, clock, staffed, booked):
    spare = ChairFactory(center=booked.center, label="C02")
    clock.set(at(9, 50))
    response = front_desk_client.post(
        reverse("late_arrival", args=[booked.pk]), {"chair": spare.pk, "start": at(10).isoformat()}
    )
    assert response.status_code == 403
    page = front_desk_client.get(reverse("late_arrival", args=[booked.pk])).content.decode()
    assert "Ask a nurse" in page
