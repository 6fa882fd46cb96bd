"""Gap fill end to end with a real Celery worker (and beat) on the real Redis broker (REDIS_URL).

The test process books and cancels through the booking service as a page would; the worker picks up
the release, offers the time and texts the patients (the development SMS backend records them);
replies arrive as they would from Twilio, two at the same moment on two connections.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from chairs.models import NurseShift
from reminders.models import DevelopmentSms
from reminders.services import handle_inbound_sms, opt_out
from scheduling.models import Appointment
from scheduling.services import book_appointment, cancel_appointment
from tests.factories import ChairFactory, PatientFactory, UserFactory
from tests.reminders.conftest import at, future_monday
from tests.reminders.test_worker import wait_until
from treatment.models import AuthorizationStatus, Order, PriorAuthorization
from waitlist import services
from waitlist.models import Offer, OfferStatus, Release

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_center(center, protocol, settings):
    """One chair, two nurses all week, no quiet hours (the worker runs on the real clock), orders required."""
    settings.BOOKING_REQUIRES_ORDER = True
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)
    center.save()
    chair = ChairFactory(center=center, label="C01")
    monday = future_monday()
    for _ in range(2):
        nurse = UserFactory(role="nurse", center=center)
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            NurseShift.objects.create(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
    return chair


def ready_patient(center, protocol, **kwargs):
    """A patient with a doctor's order and an approved authorization (readiness passes in the worker)."""
    patient = PatientFactory(center=center, **kwargs)
    today = timezone.localdate()
    order = Order.objects.create(patient=patient, protocol=protocol, ordering_provider="Dr. Alvarez",
                                 start_date=today - dt.timedelta(days=30), valid_until=today + dt.timedelta(days=365))  # fmt: skip
    PriorAuthorization.objects.create(patient=patient, order=order, payer="Blue Cross", status=AuthorizationStatus.APPROVED,
                                      approved_from=order.start_date, approved_until=order.valid_until)  # fmt: skip
    return patient


@pytest.fixture
def waitlisted_cancellation(ready_center, center, protocol, nurse):
    """Monday 09:00 booked, and a function that puts ready patients on the list then cancels it."""
    monday = future_monday()
    taken = book_appointment(actor=nurse, patient=ready_patient(center, protocol), protocol=protocol,
                             chair=ready_center, start=at(monday, 9), dose_number=1)  # fmt: skip

    def _run(*patients, **entry):
        entries = [
            services.add_to_waitlist(
                actor=nurse,
                center=center,
                patient=p,
                protocol=protocol,
                dose_number=1,
                channel="sms",
                earliest=monday,
                **entry,
            )  # fmt: skip
            for p in patients
        ]
        cancel_appointment(actor=nurse, appointment=taken, cancelled_by="patient", reason="Unwell")
        return entries

    _run.slot = (ready_center, at(monday, 9))
    return _run


def texts_to(patient) -> list[DevelopmentSms]:
    return list(DevelopmentSms.objects.filter(to=str(patient.phone)))


def test_cancel_offers_and_two_simultaneous_yes_book_exactly_once(
    broker, processes, waitlisted_cancellation, center, protocol
):
    first, second = ready_patient(center, protocol), ready_patient(center, protocol)
    processes("worker")
    waitlisted_cancellation(first, second)

    wait_until(lambda: len(texts_to(first)) == 1 and len(texts_to(second)) == 1, timeout=90,
               what="the worker to text both offers", logs=processes.logs)  # fmt: skip
    codes = {p.pk: Offer.objects.get(entry__patient=p).code for p in (first, second)}
    for patient in (first, second):
        assert f"Reply YES {codes[patient.pk]}" in texts_to(patient)[0].body

    replies: dict[int, str] = {}
    barrier = threading.Barrier(2)

    def answer(patient):
        try:
            barrier.wait(10)
            replies[patient.pk] = handle_inbound_sms(
                from_number=str(patient.phone), body=f"YES {codes[patient.pk]}"
            ).reply
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    chair, start = waitlisted_cancellation.slot
    bookings = list(Appointment.objects.active().filter(chair=chair, start=start))
    assert len(bookings) == 1
    winner = bookings[0].patient_id
    loser = second.pk if winner == first.pk else first.pk
    assert replies[winner].startswith("Booked:")
    assert replies[loser].startswith("Sorry, that time has been taken; you are still on the list.")
    assert Offer.objects.get(entry__patient_id=winner).status == OfferStatus.ACCEPTED
    assert Offer.objects.get(entry__patient_id=loser).status == OfferStatus.WITHDRAWN
    assert Release.objects.get(cause="cancelled").filled_at is not None


def test_an_unanswered_offer_expires_and_beat_offers_the_next_patient(
    broker, processes, waitlisted_cancellation, center, protocol
):
    first, second = ready_patient(center, protocol), ready_patient(center, protocol)
    env = {"WAITLIST_OFFERS_AT_ONCE": "1", "WAITLIST_OFFER_MINUTES": "0.05"}  # three seconds to answer
    processes("worker", **env)
    processes("beat", WAITLIST_ADVANCE_SECONDS="1", REMINDERS_DISPATCH_SECONDS="3600", **env)
    # The first is the more urgent (the window ends sooner).
    monday = future_monday()
    first_entry = services.add_to_waitlist(actor=None, center=center, patient=first, protocol=protocol, dose_number=1,
                                           channel="sms", earliest=monday, latest=monday + dt.timedelta(days=1))  # fmt: skip
    first_entry.refresh_from_db()
    waitlisted_cancellation(second)

    wait_until(lambda: len(texts_to(second)) == 1, timeout=90, what="the second patient's offer after the first expired",
               logs=processes.logs)  # fmt: skip
    assert len(texts_to(first)) == 1
    expired = Offer.objects.get(entry=first_entry)
    assert expired.status == OfferStatus.EXPIRED
    late = handle_inbound_sms(from_number=str(first.phone), body=f"YES {expired.code}")
    assert "expired; you are still on the list" in late.reply
    assert not Appointment.objects.active().filter(patient=first).exists()


def test_stop_and_quiet_hours_send_nothing_to_those_patients(
    broker, processes, waitlisted_cancellation, center, protocol
):
    stopped = ready_patient(center, protocol)
    elsewhere = ready_patient(center, protocol, timezone="Asia/Tokyo")  # it is night there, quiet hours apply
    reachable = ready_patient(center, protocol)
    opt_out(phone=str(stopped.phone))
    # Two quiet hours around Tokyo's current hour; New York (14 hours behind) stays outside them.
    tokyo_hour = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=9))).hour
    center.quiet_hours_start = dt.time(tokyo_hour)
    center.quiet_hours_end = dt.time((tokyo_hour + 2) % 24)
    center.save()
    processes("worker")
    waitlisted_cancellation(stopped, elsewhere, reachable)

    wait_until(
        lambda: len(texts_to(reachable)) == 1, timeout=90, what="the reachable patient's offer", logs=processes.logs
    )
    wait_until(lambda: broker_idle(broker), timeout=30, what="the worker to finish", logs=processes.logs)
    assert texts_to(stopped) == [] and texts_to(elsewhere) == []
    assert list(Offer.objects.values_list("entry__patient_id", flat=True)) == [reachable.pk]


def test_a_freed_time_that_fits_nobody_sends_nothing(broker, processes, waitlisted_cancellation, center, protocol):
    tuesday_only = ready_patient(center, protocol)
    processes("worker")
    waitlisted_cancellation(tuesday_only, preferred_weekdays=[1])

    wait_until(lambda: Release.objects.filter(cause="cancelled").exclude(note="").exists(), timeout=90,
               what="the worker to run gap fill", logs=processes.logs)  # fmt: skip
    wait_until(lambda: broker_idle(broker), timeout=30, what="the worker to finish", logs=processes.logs)
    assert not Offer.objects.exists()
    assert not DevelopmentSms.objects.exists()
    assert "No one on the waitlist fits" in Release.objects.get(cause="cancelled").note


def broker_idle(client) -> bool:
    return client.llen("celery") == 0 and client.hlen("unacked") == 0
