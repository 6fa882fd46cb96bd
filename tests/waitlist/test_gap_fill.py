"""Gap fill in one process: who is offered a freed time, in what order, and what their answer does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chairs.models import ChairBlock, NurseShift
from reminders.models import DevelopmentSms
from reminders.services import handle_inbound_sms
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import status_history
from scheduling.services import book_appointment, cancel_appointment, move_appointment, transition
from tests.factories import PatientFactory, UserFactory
from tests.waitlist.conftest import FRIDAY, MONDAY, at
from waitlist import services
from waitlist.models import EntryStatus, Offer, OfferStatus, Release

pytestmark = pytest.mark.django_db


def cancel(appointment, nurse) -> Release:
    cancel_appointment(actor=nurse, appointment=appointment, cancelled_by="patient", reason="Unwell")
    return Release.objects.get(cause="cancelled", appointment=appointment)


def offers_of(release) -> list[Offer]:
    return list(Offer.objects.filter(release=release).select_related("entry").order_by("pk"))


def test_entry_window_defaults_to_the_label_window_and_never_leaves_it(center, one_chair, protocol, nurse, patient):
    # Dose 3 after dose 2 on 1 Dec (given): ocrelizumab every 168 days ± 14.
    given = book_appointment(
        actor=nurse, patient=patient, protocol=protocol, chair=one_chair, start=at(FRIDAY, 13), dose_number=2
    )
    Appointment.objects.filter(pk=given.pk).update(start=at(dt.date(2026, 12, 1), 9), end=at(dt.date(2026, 12, 1), 14))
    entry = services.add_to_waitlist(actor=nurse, center=center, patient=patient, protocol=protocol, dose_number=3,
                                     channel="sms")  # fmt: skip
    due = dt.date(2026, 12, 1) + dt.timedelta(days=168)
    assert (entry.earliest, entry.latest, entry.due_date) == (
        due - dt.timedelta(days=14),
        due + dt.timedelta(days=14),
        due,
    )
    entry.delete()
    with pytest.raises(ValidationError) as refused:
        services.add_to_waitlist(actor=nurse, center=center, patient=patient, protocol=protocol, dose_number=3,
                                 channel="sms", latest=due + dt.timedelta(days=15))  # fmt: skip
    assert "latest" in refused.value.message_dict
    assert "label allows this dose" in refused.value.message_dict["latest"][0]


def test_a_patient_without_consent_can_only_be_called(center, one_chair, wait):
    silent = PatientFactory(center=center, has_reminder_consent=False)
    with pytest.raises(ValidationError) as refused:
        wait(patient=silent, channel="sms")
    assert "phone call" in refused.value.message_dict["channel"][0]
    assert wait(patient=silent, channel="phone").channel == "phone"


def test_a_cancellation_offers_the_time_to_the_most_urgent_first(booked, wait, nurse, settings):
    settings.WAITLIST_OFFERS_AT_ONCE = 2
    relaxed = wait(latest=MONDAY + dt.timedelta(days=20))
    urgent = wait(latest=MONDAY + dt.timedelta(days=2))
    middle = wait(latest=MONDAY + dt.timedelta(days=9))
    release = cancel(booked, nurse)

    made = services.fill_gap(release.pk)

    offers = offers_of(release)
    assert [o.pk for o in offers] == made
    assert [o.entry_id for o in offers] == [urgent.pk, middle.pk]  # two at a time, most urgent first
    assert all(o.start == at(MONDAY, 9) and o.chair_id == booked.chair_id for o in offers)
    assert all(o.expires_at == o.created_at + dt.timedelta(minutes=30) for o in offers)  # Monday is > 24 h away
    assert relaxed.offers.count() == 0
    assert services.fill_gap(release.pk) == []  # safe to run twice: the wave is out


def test_a_freed_time_that_fits_nobody_sends_nothing(booked, wait, nurse):
    wait(preferred_weekdays=[1])  # Tuesdays only
    wait(earliest=FRIDAY, latest=FRIDAY + dt.timedelta(days=1))  # only until Saturday
    wait(earliest=MONDAY + dt.timedelta(days=1))  # not before Tuesday
    release = cancel(booked, nurse)

    assert services.fill_gap(release.pk) == []
    assert not Offer.objects.exists() and not DevelopmentSms.objects.exists()
    release.refresh_from_db()
    assert release.is_open and "No one on the waitlist fits" in release.note


def test_consent_and_stop_are_respected_and_the_next_patient_is_offered(booked, wait, nurse, center):
    stopped = wait(latest=MONDAY + dt.timedelta(days=1))
    withdrawn = wait(latest=MONDAY + dt.timedelta(days=2))
    reachable = wait(latest=MONDAY + dt.timedelta(days=3))
    handle_inbound_sms(from_number=str(stopped.patient.phone), body="STOP")
    withdrawn.patient.has_reminder_consent = False
    withdrawn.patient.save()
    release = cancel(booked, nurse)

    services.fill_gap(release.pk)

    assert [o.entry_id for o in offers_of(release)] == [reachable.pk]


def test_quiet_hours_hold_texts_but_staff_may_still_call(booked, wait, nurse, clock):
    texted = wait(latest=MONDAY + dt.timedelta(days=1))
    called = wait(latest=MONDAY + dt.timedelta(days=2), channel="phone")
    clock.move_to(at(FRIDAY, 22))  # 22:00 in New York: quiet hours 21:00–08:00
    release = cancel(booked, nurse)

    services.fill_gap(release.pk)

    offers = offers_of(release)
    assert [(o.entry_id, o.status) for o in offers] == [(called.pk, OfferStatus.TO_CALL)]
    assert texted.offers.count() == 0
    # An offer already made is not texted during quiet hours either.
    offer = Offer.objects.create(entry=texted, release=release, chair_id=offers[0].chair_id, start=offers[0].start,
                                 end=offers[0].end, channel="sms", code="1234", expires_at=at(MONDAY, 8),
                                 created_at=at(FRIDAY, 22))  # fmt: skip
    assert services.send_offer(offer.pk) == OfferStatus.FAILED
    assert not DevelopmentSms.objects.exists()
    # At 08:00 beat's advance offers the time to the texted patient (the called one's offer expired).
    clock.move_to(at(dt.date(2026, 12, 5), 8, 5))
    services.advance()
    assert texted.offers.filter(status=OfferStatus.PENDING).exists()


def test_offer_text_names_only_the_first_name_time_and_center(booked, wait, nurse, protocol):
    entry = wait()
    release = cancel(booked, nurse)
    (offer_id,) = services.fill_gap(release.pk)

    assert services.send_offer(offer_id) == OfferStatus.SENT
    assert services.send_offer(offer_id) == "not-pending"  # a task delivered twice sends once

    offer = Offer.objects.get(pk=offer_id)
    (sms,) = DevelopmentSms.objects.all()
    assert sms.body == offer.body and sms.to == str(entry.patient.phone)
    assert f"Reply YES {offer.code}" in sms.body and "Mon Dec 7 at 9:00 AM" in sms.body
    assert entry.patient.first_name.split()[0] in sms.body and entry.patient.last_name not in sms.body
    for word in ("infusion", protocol.drug, protocol.brand, protocol.code, "dose"):
        assert word.lower() not in sms.body.lower()
    assert len(sms.body) <= 160


def test_first_yes_books_the_others_are_withdrawn_and_a_late_yes_is_told_it_is_taken(
    booked, wait, nurse, django_capture_on_commit_callbacks
):
    first = wait(latest=MONDAY + dt.timedelta(days=2))
    second = wait(latest=MONDAY + dt.timedelta(days=3))
    release = cancel(booked, nurse)
    offer_ids = services.fill_gap(release.pk)
    for offer_id in offer_ids:
        services.send_offer(offer_id)
    one, two = (Offer.objects.get(pk=pk) for pk in offer_ids)

    with django_capture_on_commit_callbacks(execute=True):  # the polite texts go out after commit
        won = handle_inbound_sms(from_number=str(first.patient.phone), body=f"Yes {one.code}")
        late = handle_inbound_sms(from_number=str(second.patient.phone), body=f"YES {two.code}")

    assert won.action == "offer_accept" and won.reply.startswith("Booked: Mon Dec 7 at 9:00 AM.")
    assert late.action == "offer_accept"
    assert late.reply.startswith("Sorry, that time has been taken; you are still on the list.")
    booking = Appointment.objects.active().get(chair=booked.chair, start=at(MONDAY, 9))
    assert booking.patient_id == first.patient_id
    one.refresh_from_db(), two.refresh_from_db(), first.refresh_from_db(), second.refresh_from_db()
    assert (one.status, one.appointment_id) == (OfferStatus.ACCEPTED, booking.pk)
    assert two.status == OfferStatus.WITHDRAWN
    assert first.status == EntryStatus.BOOKED and second.status == EntryStatus.WAITING
    release.refresh_from_db()
    assert release.filled_at is not None
    # The withdrawn patient got a polite text, and nothing names the treatment.
    assert DevelopmentSms.objects.filter(to=str(second.patient.phone), body__startswith="Sorry, that time").exists()
    assert status_history(appointment=booking)[0].who == "Patient, by waitlist offer"


def test_taking_an_offer_moves_the_appointment_it_replaces(booked, wait, nurse, center, one_chair, protocol):
    patient = PatientFactory(center=center)
    later = book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair,
                             start=at(MONDAY + dt.timedelta(days=7), 9), dose_number=1)  # fmt: skip
    entry = wait(patient=patient, replaces=later)
    release = cancel(booked, nurse)
    (offer_id,) = services.fill_gap(release.pk)
    services.send_offer(offer_id)

    answer = services.accept_offer(offer=Offer.objects.get(pk=offer_id))

    assert answer.outcome == "booked" and answer.appointment.pk == later.pk
    later.refresh_from_db()
    assert later.start == at(MONDAY, 9) and later.status == AppointmentStatus.BOOKED
    assert Appointment.objects.filter(patient=patient).count() == 1  # moved, not doubled
    # The time it left is a release of its own, offered on in turn.
    assert Release.objects.filter(cause="moved", appointment=later, start=at(MONDAY + dt.timedelta(days=7), 9)).exists()
    entry.refresh_from_db()
    assert entry.booked_appointment_id == later.pk


def test_only_earlier_times_are_offered_for_a_replaced_appointment(booked, wait, nurse, center, one_chair, protocol):
    patient = PatientFactory(center=center)
    sooner = book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair,
                              start=at(MONDAY, 14, 0), dose_number=1)  # fmt: skip
    wait(patient=patient, replaces=sooner)
    release = cancel(booked, nurse)  # 09:00 is earlier: offered
    assert len(services.fill_gap(release.pk)) == 1
    Offer.objects.all().delete()
    release.offers.all().delete()
    later_release = Release.objects.create(center=center, chair=one_chair, start=at(MONDAY, 15), end=at(MONDAY, 19),
                                           cause="cancelled", created_at=at(FRIDAY, 10))  # fmt: skip
    assert services.fill_gap(later_release.pk) == []


def test_unanswered_offers_expire_and_the_next_patients_are_offered(booked, wait, nurse, clock, settings):
    settings.WAITLIST_OFFERS_AT_ONCE = 1
    first = wait(latest=MONDAY + dt.timedelta(days=1))
    second = wait(latest=MONDAY + dt.timedelta(days=2))
    release = cancel(booked, nurse)
    (offer_id,) = services.fill_gap(release.pk)
    services.send_offer(offer_id)

    clock.move_to(at(FRIDAY, 10, 31))
    services.advance()

    assert Offer.objects.get(pk=offer_id).status == OfferStatus.EXPIRED
    assert [o.entry_id for o in offers_of(release)] == [first.pk, second.pk]
    late = handle_inbound_sms(from_number=str(first.patient.phone), body=f"YES {Offer.objects.get(pk=offer_id).code}")
    assert "expired; you are still on the list" in late.reply
    assert not Appointment.objects.active().filter(patient=first.patient).exists()


def test_no_declines_and_the_next_wave_goes_out(booked, wait, nurse, settings):
    settings.WAITLIST_OFFERS_AT_ONCE = 1
    first = wait(latest=MONDAY + dt.timedelta(days=1))
    second = wait(latest=MONDAY + dt.timedelta(days=2))
    release = cancel(booked, nurse)
    (offer_id,) = services.fill_gap(release.pk)
    services.send_offer(offer_id)

    reply = handle_inbound_sms(from_number=str(first.patient.phone), body=f"no {Offer.objects.get(pk=offer_id).code}")
    assert reply.action == "offer_decline" and "keep your time" in reply.reply
    services.fill_gap(release.pk)
    assert [o.entry_id for o in offers_of(release)] == [first.pk, second.pk]
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING


def test_plain_yes_still_confirms_a_reminder(booked, nurse):
    reply = handle_inbound_sms(from_number=str(booked.patient.phone), body="YES")
    assert reply.action == "confirm"
    booked.refresh_from_db()
    assert booked.confirmed_at is not None


def test_no_offer_goes_out_for_a_time_taken_meanwhile(booked, wait, nurse, center, one_chair, protocol):
    wait()
    release = cancel(booked, nurse)
    (offer_id,) = services.fill_gap(release.pk)
    book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=one_chair,
                     start=at(MONDAY, 9), dose_number=1)  # fmt: skip

    assert services.send_offer(offer_id) == OfferStatus.WITHDRAWN
    assert not DevelopmentSms.objects.exists()


@pytest.mark.parametrize("cause", ["noshow", "moved", "block_lifted", "shift_added"])
def test_every_door_that_frees_time_records_a_release(cause, booked, nurse, center, one_chair, clock):
    if cause == "noshow":
        clock.move_to(at(MONDAY, 9, 31))
        transition(actor=nurse, appointment=booked, action="no_show")
        expected = (None, booked.end)
    elif cause == "moved":
        move_appointment(actor=nurse, appointment=booked, chair=one_chair, start=at(MONDAY + dt.timedelta(days=1), 9))
        expected = (at(MONDAY, 9), booked.end)
    elif cause == "block_lifted":
        block = ChairBlock.objects.create(chair=one_chair, start=at(MONDAY, 14), end=at(MONDAY, 16), reason="Pump")
        block.delete()
        expected = (at(MONDAY, 14), at(MONDAY, 16))
    else:
        shift = NurseShift.objects.create(center=center, nurse=UserFactory(role="nurse", center=center),
                                          start=at(MONDAY, 7), end=at(MONDAY, 15))  # fmt: skip
        expected = (shift.start, shift.end)
    release = Release.objects.get(cause=cause, end=expected[1])
    if cause == "noshow":  # only the time still ahead is freed
        assert at(MONDAY, 9, 31) <= release.start < at(MONDAY, 9, 32)
    else:
        assert release.start == expected[0]
    assert release.center_id == center.pk


def test_a_declined_offer_is_replaced_at_once_while_the_rest_of_the_wave_waits(booked, wait, nurse, settings):
    settings.WAITLIST_OFFERS_AT_ONCE = 2
    first = wait(latest=MONDAY + dt.timedelta(days=1))
    second = wait(latest=MONDAY + dt.timedelta(days=2))
    third = wait(latest=MONDAY + dt.timedelta(days=3))
    release = cancel(booked, nurse)
    for offer_id in services.fill_gap(release.pk):
        services.send_offer(offer_id)
    offer = first.offers.get()

    handle_inbound_sms(from_number=str(first.patient.phone), body=f"NO {offer.code}")
    services.fill_gap(release.pk)  # queued by the answer

    assert [(o.entry_id, o.status) for o in offers_of(release)] == [
        (first.pk, OfferStatus.DECLINED),
        (second.pk, OfferStatus.SENT),  # still open: the wave rolls, it is not re-sent
        (third.pk, OfferStatus.PENDING),
    ]


def freed_today(center, one_chair, protocol, nurse, *, start: dt.datetime):
    appointment = book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol,
                                   chair=one_chair, start=start, dose_number=1)  # fmt: skip
    return cancel(appointment, nurse)


def test_a_time_within_hours_goes_to_more_patients_at_once_with_less_time_to_answer(
    center, one_chair, protocol, nurse, wait, clock
):
    entries = [wait(earliest=FRIDAY, latest=FRIDAY + dt.timedelta(days=n + 1)) for n in range(6)]
    release = freed_today(center, one_chair, protocol, nurse, start=at(FRIDAY, 13))  # three hours from now

    services.fill_gap(release.pk)

    offers = offers_of(release)
    assert [o.entry_id for o in offers] == [e.pk for e in entries[: services.offers_at_once(start=at(FRIDAY, 13),
                                                                                          now=at(FRIDAY, 10))]]  # fmt: skip
    assert len(offers) == 5
    assert [o.expires_at - o.created_at for o in offers] == [dt.timedelta(minutes=10)] * 5, [
        (o.start, o.created_at) for o in offers
    ]


def test_a_no_shows_chair_goes_to_a_patient_minutes_away_and_not_to_one_who_needs_notice(
    center, one_chair, protocol, nurse, wait, clock
):
    clock.move_to(at(FRIDAY, 7))
    no_show = book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol,
                               chair=one_chair, start=at(FRIDAY, 8), dose_number=1)  # fmt: skip
    book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=one_chair,
                     start=at(FRIDAY, 13, 30), dose_number=1)  # fmt: skip
    needs_notice = wait(earliest=FRIDAY, latest=FRIDAY + dt.timedelta(days=1))
    nearby = wait(earliest=FRIDAY, latest=FRIDAY + dt.timedelta(days=9), short_notice_minutes=30)
    clock.move_to(at(FRIDAY, 8, 31))
    transition(actor=nurse, appointment=no_show, action="no_show")
    release = Release.objects.get(cause="noshow")

    services.fill_gap(release.pk)

    (offer,) = offers_of(release)
    # 30 minutes away and 10 to answer: 09:15, which ends (250 minutes) before the 13:30 booking; the
    # patient who needs an hour's notice could only start at 09:45, which would not end in time.
    assert offer.entry_id == nearby.pk and offer.start == at(FRIDAY, 9, 15)
    assert offer.expires_at - offer.created_at == dt.timedelta(minutes=10)
    assert needs_notice.offers.count() == 0
    services.send_offer(offer.pk)
    reply = handle_inbound_sms(from_number=str(nearby.patient.phone), body=f"YES {offer.code}")
    assert reply.action == "offer_accept"
    assert Appointment.objects.active().get(patient=nearby.patient).start == at(FRIDAY, 9, 15)


def test_short_notice_is_checked_like_every_field(center, one_chair, wait):
    with pytest.raises(ValidationError) as refused:
        wait(short_notice_minutes=2)
    assert "short_notice_minutes" in refused.value.message_dict


def test_the_withdrawn_notice_respects_stop_and_quiet_hours(
    booked, wait, nurse, clock, django_capture_on_commit_callbacks
):
    first = wait(latest=MONDAY + dt.timedelta(days=1))
    stopped = wait(latest=MONDAY + dt.timedelta(days=2))
    late = wait(latest=MONDAY + dt.timedelta(days=3))
    release = cancel(booked, nurse)
    offers = services.fill_gap(release.pk)
    for offer_id in offers:
        services.send_offer(offer_id)
    handle_inbound_sms(from_number=str(stopped.patient.phone), body="STOP")
    clock.move_to(at(FRIDAY, 21, 5))  # quiet hours from 21:00: the last patient is not texted now either
    DevelopmentSms.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        won = services.accept_offer(offer=first.offers.get(), now=at(FRIDAY, 10, 10))

    assert won.outcome == "booked"
    assert {o.status for o in Offer.objects.filter(entry__in=[stopped, late])} == {OfferStatus.WITHDRAWN}
    assert not DevelopmentSms.objects.exists()
