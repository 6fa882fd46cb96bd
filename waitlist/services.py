"""Every change to the waitlist happens here: entries, gap fill, offers and their answers.

* :func:`add_to_waitlist` puts a dose on the list, inside its label window (:func:`label_window`).
* :func:`fill_gap` (the ``waitlist.fill_gap`` task, queued after a release commits, and again by
  beat while the release is open) offers a released time to the most urgent entries it fits, a
  few at a time. "Fits" is asked of the one slot search (``scheduling.slot_search.find_candidates``:
  chair, hours, nurse watch and start capacity, the add-on reserve, the patient's own bookings) and
  the dose rules (``scheduling.dose_rules.screen_plan``: order and spacing), and readiness is asked
  of the booking guard (``treatment.services.guard_booking``), so an offer is only made for a time
  that booking would accept.
* :func:`send_offer` sends one offer under the reminders' rules: consent and channel
  (``reminders.services.channels_for``, so never a text after STOP) and quiet hours
  (``reminders.policy``); the text names only the first name, the time and the center.
* :func:`accept_offer` books through the booking service (``book_appointment``, or
  ``move_appointment`` for the appointment the entry replaces), whose lock on the center's day makes
  the first YES win; the loser's booking is refused (``SlotTaken`` or a refusal) and it is told the
  time has been taken. Other open offers whose time no longer fits are withdrawn with a polite text.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import update_change_reason

from chairs.models import Center, Chair
from chairs.roles import Actor
from patients.models import Patient
from reminders import content, links, policy, transports
from reminders.services import HandledReply, channels_for, keyword_action, normalize_phone, patient_tz, quiet_hours_of
from scheduling import dose_rules
from scheduling.errors import BookingRefused, CenterBusy, InvalidTransition, Reason
from scheduling.locking import center_day_key, lock_center_days
from scheduling.models import Appointment, AppointmentStatus, Protocol
from scheduling.planner_input import fixed_input_for, planner_input_for
from scheduling.services import book_appointment, move_appointment, placement_refusals
from scheduling.slot_search import find_candidates
from treatment.errors import DoseNotReady
from treatment.services import guard_booking
from waitlist.models import (
    OPEN_OFFER_STATUSES,
    EntryStatus,
    Offer,
    OfferChannel,
    OfferStatus,
    Release,
    WaitlistEntry,
)

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 28  # a first dose (no label window yet): the next four weeks
OFFER_MINUTES = 30
SOON_OFFER_MINUTES = 15  # for a time within 24 hours
NEAR_OFFER_MINUTES = 10  # for a time within NEAR_HOURS: every minute of the chair counts
NEAR_HOURS = 4
MIN_LEAD_MINUTES = 60  # the usual notice: never offer a time starting sooner than this …
SHORT_NOTICE_ANSWER_MINUTES = 10  # … unless the patient can come at short notice: minutes away plus these
MIN_SHORT_LEAD_MINUTES = 20  # and never sooner than this, even next door
PATIENT_REASON_OFFER = "patient, by waitlist offer"
PATIENT_REASON_LINK = "patient, by link"
# The appointment an entry replaces is moved to the offered time while it is still ahead in one of these.
MOVED_WHEN_REPLACED = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)


def offers_at_once(*, start: dt.datetime | None = None, now: dt.datetime | None = None) -> int:
    """How many patients hear of one released time at once: 3 (``WAITLIST_OFFERS_AT_ONCE``), 5 for a
    time within ``NEAR_HOURS`` (``WAITLIST_NEAR_OFFERS_AT_ONCE``), where a chain of answers is too slow."""
    if start is not None and now is not None and start - now < dt.timedelta(hours=NEAR_HOURS):
        return getattr(settings, "WAITLIST_NEAR_OFFERS_AT_ONCE", 5)
    return getattr(settings, "WAITLIST_OFFERS_AT_ONCE", 3)


def lead_minutes(entry: WaitlistEntry) -> int:
    """How soon before its start this entry's patient may be offered a time."""
    if entry.short_notice_minutes:
        return max(MIN_SHORT_LEAD_MINUTES, entry.short_notice_minutes + SHORT_NOTICE_ANSWER_MINUTES)
    return MIN_LEAD_MINUTES


# --- Windows and urgency --------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelWindow:
    earliest: dt.date
    latest: dt.date
    due: dt.date | None  # the dose's due date, when the label gives one


def label_window(
    *, patient: Patient, protocol: Protocol, dose_number: int, tz, today: dt.date, exclude_appointment_id=None
) -> LabelWindow:
    """The days the label allows this dose on from today: the due date ± its window after the previous
    dose, inside the spacing rules of the rest of the series (``dose_rules.dose_window``)."""
    doses = dose_rules.series_doses(
        patient_id=patient.pk, protocol_id=protocol.pk, exclude_appointment_id=exclude_appointment_id
    )
    earliest, latest = dose_rules.dose_window(protocol=protocol, dose_number=dose_number, doses=doses, tz=tz)
    previous = [d for d in doses if d.dose_number == dose_number - 1]
    gap = dose_rules.gap_after(protocol, dose_number - 1) if previous and dose_number > 1 else None
    due = None
    if gap is not None:
        due = previous[0].start.astimezone(tz).date() + dt.timedelta(days=gap.days)
        earliest = max(earliest, due - dt.timedelta(days=gap.window))
        latest = min(latest, due + dt.timedelta(days=gap.window))
    elif latest == dt.date.max:
        latest = max(earliest, today) + dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    return LabelWindow(max(earliest, today), latest, due)


def urgency_key(entry: WaitlistEntry, *, today: dt.date) -> tuple:
    """Overdue doses first, then the closest to the end of their window, then the longest waiting."""
    due = entry.due_date or entry.latest
    return (0 if due < today else 1, (entry.latest - today).days, entry.created_at, entry.pk)


# --- Entries --------------------------------------------------------------------------------------


def reachable_problem(patient: Patient, channel: str) -> str:
    """Why the patient cannot be offered a time on this channel ('' when they can)."""
    if channel == OfferChannel.PHONE:
        return "" if patient.phone else "The patient has no phone number."
    if channel not in channels_for(patient):
        if not patient.has_reminder_consent:
            return "The patient has not agreed to texts or emails; choose a phone call by staff."
        return f"The patient cannot be reached by {OfferChannel(channel).label.lower()} (no address, or opted out)."
    return ""


@transaction.atomic
def add_to_waitlist(
    *,
    actor: Actor,
    center: Center,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    channel: str,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    preferred_time_of_day: str = "any",
    preferred_weekdays: list[int] | None = None,
    replaces: Appointment | None = None,
    order=None,
    short_notice_minutes: int | None = None,
    notes: str = "",
    today: dt.date | None = None,
) -> WaitlistEntry:
    """Put a dose on the waitlist; ValidationError naming the field for anything that does not fit."""
    tz = center.tzinfo
    today = today or timezone.now().astimezone(tz).date()
    if patient.center_id != center.pk:
        raise ValidationError({"patient": "The patient is registered at another center."})
    if replaces is not None:
        same_dose = (
            replaces.patient_id == patient.pk
            and replaces.protocol_id == protocol.pk
            and replaces.dose_number == dose_number
        )
        if not same_dose or replaces.status not in MOVED_WHEN_REPLACED:
            raise ValidationError({"replaces": "Choose a booked appointment of this patient for this dose."})
    if order is not None and (order.patient_id != patient.pk or order.protocol_id != protocol.pk):
        raise ValidationError({"order": "That order is for another patient or protocol."})
    earliest, latest, window = _checked_window(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        tz=tz,
        today=today,
        replaces=replaces,
        earliest=earliest,
        latest=latest,
    )
    problem = reachable_problem(patient, channel)
    if problem:
        raise ValidationError({"channel": problem})
    if WaitlistEntry.objects.filter(
        patient=patient, protocol=protocol, dose_number=dose_number, status=EntryStatus.WAITING
    ).exists():
        raise ValidationError({"dose_number": "This dose is already on the waitlist."})
    entry = WaitlistEntry(
        center=center,
        patient=patient,
        protocol=protocol,
        order=order,
        dose_number=dose_number,
        earliest=earliest,
        latest=latest,
        due_date=window.due,
        preferred_time_of_day=preferred_time_of_day or "any",
        preferred_weekdays=sorted(set(preferred_weekdays or [])),
        replaces=replaces,
        channel=channel,
        short_notice_minutes=short_notice_minutes or None,
        notes=notes[:255],
        created_by=actor,
    )
    entry._history_user = actor  # type: ignore[attr-defined]
    _save_checked(entry)
    _offer_open_releases(entry)
    return entry


def _checked_window(
    *, patient, protocol, dose_number: int, tz, today: dt.date, replaces, earliest, latest
) -> tuple[dt.date, dt.date, LabelWindow]:
    """The entry's days (blank: the label window), refused when they leave the dose's label window."""
    window = label_window(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        tz=tz,
        today=today,
        exclude_appointment_id=replaces.pk if replaces else None,
    )
    if window.earliest > window.latest:
        raise ValidationError({"dose_number": "This dose has no day left in its label window."})
    earliest = earliest or window.earliest
    latest = latest or window.latest
    if earliest < window.earliest or latest > window.latest:
        raise ValidationError(
            {
                "earliest" if earliest < window.earliest else "latest": (
                    f"The label allows this dose from {window.earliest:%a %d %b %Y} to {window.latest:%a %d %b %Y}; "
                    "keep the dates inside that window."
                )
            }
        )
    if latest < earliest:
        raise ValidationError({"latest": "The last day is before the first day."})
    return earliest, latest, window


def _save_checked(entry: WaitlistEntry) -> None:
    entry.full_clean()  # the model's own limits too (a short-notice time under 5 minutes, …), by field
    entry.save()


def _offer_open_releases(entry: WaitlistEntry) -> None:
    """Chair time already free inside the entry's window may fit it: gap fill looks again after commit."""
    tz = entry.center.tzinfo
    open_releases = list(
        Release.objects.filter(
            center_id=entry.center_id,
            is_open=True,
            start__lt=dt.datetime.combine(entry.latest + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
            end__gt=dt.datetime.combine(entry.earliest, dt.time.min, tzinfo=tz),
        ).values_list("pk", flat=True)[:50]
    )
    transaction.on_commit(lambda: _enqueue_fills(open_releases))


EDITABLE_FIELDS = (
    "earliest",
    "latest",
    "preferred_time_of_day",
    "preferred_weekdays",
    "channel",
    "short_notice_minutes",
    "notes",
)


@transaction.atomic
def update_waitlist_entry(
    *, actor: Actor, entry: WaitlistEntry, today: dt.date | None = None, **changes
) -> WaitlistEntry:
    """Change a waiting entry's days, preferences or channel, under the same checks as adding it."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {sorted(unknown)[0]: "This field cannot be changed; withdraw the entry and add it again."}
        )
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("center", "patient", "protocol", "replaces")
        .get(pk=entry.pk)
    )
    if entry.status != EntryStatus.WAITING:
        raise ValidationError({"status": "Only a waiting entry can be changed."})
    tz = entry.center.tzinfo
    today = today or timezone.now().astimezone(tz).date()
    replaces = entry.replaces if entry.replaces and entry.replaces.status in MOVED_WHEN_REPLACED else None
    if "earliest" in changes or "latest" in changes:
        entry.earliest, entry.latest, window = _checked_window(
            patient=entry.patient,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            tz=tz,
            today=today,
            replaces=replaces,
            earliest=changes.get("earliest", entry.earliest),
            latest=changes.get("latest", entry.latest),
        )
        entry.due_date = window.due
    if "channel" in changes:
        problem = reachable_problem(entry.patient, changes["channel"])
        if problem:
            raise ValidationError({"channel": problem})
        entry.channel = changes["channel"]
    if "preferred_time_of_day" in changes:
        entry.preferred_time_of_day = changes["preferred_time_of_day"] or "any"
    if "preferred_weekdays" in changes:
        entry.preferred_weekdays = sorted(set(changes["preferred_weekdays"] or []))
    if "short_notice_minutes" in changes:
        entry.short_notice_minutes = changes["short_notice_minutes"] or None
    if "notes" in changes:
        entry.notes = (changes["notes"] or "")[:255]
    entry._history_user = actor  # type: ignore[attr-defined]
    _save_checked(entry)
    _offer_open_releases(entry)
    return entry


@transaction.atomic
def remove_from_waitlist(*, actor: Actor, entry: WaitlistEntry, reason: str = "") -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != EntryStatus.WAITING:
        return entry
    entry.status = EntryStatus.REMOVED
    entry._history_user = actor  # type: ignore[attr-defined]
    entry._change_reason = reason[:100]  # type: ignore[attr-defined]
    entry.save()
    _withdraw(entry.offers.filter(status__in=OPEN_OFFER_STATUSES), outcome="The patient left the waitlist.")
    return entry


# --- Which entries a released time fits ---------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    entry: WaitlistEntry
    chair_id: int
    start: dt.datetime
    end: dt.datetime


def _local_days(center: Center, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    tz = center.tzinfo
    first, last = start.astimezone(tz).date(), (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _is_ready(entry: WaitlistEntry, *, chair_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether booking this dose then would pass the readiness guard (the booking service's own check)."""
    appointment = Appointment(
        center=entry.center,
        patient=entry.patient,
        protocol=entry.protocol,
        chair_id=chair_id,
        start=start,
        end=end,
        dose_number=entry.dose_number,
    )
    try:
        guard_booking(actor=None, appointment=appointment)
    except DoseNotReady:
        return False
    return True


def fits_for_release(release: Release, *, now: dt.datetime, entries=None, can_offer=None) -> Iterator[Fit]:
    """The waiting entries the released time fits, most urgent first, each with its best time in it.

    Lazy: gap fill takes the first few, so the planner is asked about no more entries than it needs;
    ``can_offer(entry)`` (consent, STOP, quiet hours) is asked first, as it costs no search."""
    center = release.center
    tz = center.tzinfo
    today = now.astimezone(tz).date()
    not_before = max(release.start, now + dt.timedelta(minutes=MIN_SHORT_LEAD_MINUTES))
    if not_before >= release.end:
        return
    days = _local_days(center, not_before, release.end)
    if entries is None:
        entries = (
            WaitlistEntry.objects.filter(
                center=center, status=EntryStatus.WAITING, earliest__lte=days[-1], latest__gte=days[0]
            )
            .exclude(offers__status__in=OPEN_OFFER_STATUSES)
            # Asked once about this time is enough (an offer that could not be sent does not count).
            .exclude(pk__in=Offer.objects.filter(release=release).exclude(status=OfferStatus.FAILED).values("entry_id"))
            .select_related("patient", "patient__center", "protocol", "replaces", "center")
        )
    pins = {day: planner_input_for(center=center, date_from=day, date_to=day) for day in days}
    for entry in sorted(entries, key=lambda e: urgency_key(e, today=today)):
        entry_not_before = max(release.start, now + dt.timedelta(minutes=lead_minutes(entry)))
        if entry_not_before >= release.end:
            continue  # too soon for this patient
        if can_offer is not None and not can_offer(entry):
            continue
        fit = _best_fit(entry, release=release, days=days, pins=pins, not_before=entry_not_before)
        if fit is not None:
            yield fit


def _best_fit(entry: WaitlistEntry, *, release: Release, days, pins, not_before: dt.datetime) -> Fit | None:
    center, tz = entry.center, entry.center.tzinfo
    replaces = entry.replaces if entry.replaces and entry.replaces.is_active else None
    for day in days:
        if not entry.earliest <= day <= entry.latest:
            continue
        if entry.preferred_weekdays and day.weekday() not in entry.preferred_weekdays:
            continue
        result = find_candidates(
            center=center,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            date_from=day,
            date_to=day,
            patient=entry.patient,
            time_of_day=entry.preferred_time_of_day,
            exclude_appointment_id=replaces.pk if replaces else None,
            limit=30,
            now=not_before,
            planner_input=pins[day],
        )
        result = dose_rules.screen_plan(
            result,
            patient_id=entry.patient_id,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            tz=tz,
            exclude_appointment_id=replaces.pk if replaces else None,
        )
        # The freed chair first, and the time nearest the freed start: the gap refilled, not fragmented.
        nearest = max(release.start, not_before)
        for candidate in sorted(
            result.candidates, key=lambda c: (c.chair_id != release.chair_id, abs(c.start - nearest))
        ):
            if not (candidate.start < release.end and release.start < candidate.end):
                continue  # not the released time
            if not _wanted_time(entry, candidate.start):
                continue
            if replaces is not None and candidate.start >= replaces.start:
                continue  # only earlier than what the patient has
            if _is_ready(entry, chair_id=candidate.chair_id, start=candidate.start, end=candidate.end):
                return Fit(entry, candidate.chair_id, candidate.start, candidate.end)
    return None


def _wanted_time(entry: WaitlistEntry, start: dt.datetime) -> bool:
    local = start.astimezone(entry.center.tzinfo).time()
    if entry.preferred_time_of_day == "morning":
        return local < dt.time(12)
    if entry.preferred_time_of_day == "afternoon":
        return local >= dt.time(12)
    return True


# --- Gap fill -------------------------------------------------------------------------------------


def offer_expiry(*, start: dt.datetime, now: dt.datetime, lead: int = MIN_LEAD_MINUTES) -> dt.datetime:
    """30 minutes, 15 when the time is within 24 hours, 10 within ``NEAR_HOURS`` (``WAITLIST_OFFER_MINUTES``,
    ``WAITLIST_SOON_OFFER_MINUTES``, ``WAITLIST_NEAR_OFFER_MINUTES``); never later than half the
    patient's lead time (``lead_minutes``) before the start, so who takes it can still come."""
    ahead = start - now
    if ahead < dt.timedelta(hours=NEAR_HOURS):
        minutes = getattr(settings, "WAITLIST_NEAR_OFFER_MINUTES", NEAR_OFFER_MINUTES)
    elif ahead < dt.timedelta(hours=24):
        minutes = getattr(settings, "WAITLIST_SOON_OFFER_MINUTES", SOON_OFFER_MINUTES)
    else:
        minutes = getattr(settings, "WAITLIST_OFFER_MINUTES", OFFER_MINUTES)
    return min(now + dt.timedelta(minutes=minutes), start - dt.timedelta(minutes=lead // 2))


def _new_code(phone: str) -> str:
    taken = set(
        Offer.objects.filter(status__in=OPEN_OFFER_STATUSES, entry__patient__phone=phone).values_list("code", flat=True)
    )
    while True:
        code = f"{random.randint(1000, 9999)}"
        if code not in taken:
            return code


def _quiet_now(patient: Patient, center: Center, now: dt.datetime) -> bool:
    return policy.next_allowed_time(now, tz=patient_tz(patient), quiet=quiet_hours_of(center)) > now


def fill_gap(release_id: int, *, now: dt.datetime | None = None) -> list[int]:
    """Offer the released time to the next few entries it fits; returns the offers made (safe to run twice)."""
    now = now or timezone.now()
    with transaction.atomic():
        release = Release.objects.select_for_update().select_related("center").filter(pk=release_id).first()
        if release is None or not release.is_open:
            return []
        if release.end <= now + dt.timedelta(minutes=MIN_SHORT_LEAD_MINUTES):
            release.is_open = False
            release.note = release.note or "Too close to start to offer."
            release.save(update_fields=["is_open", "note"])
            return []
        # A rolling wave: each answer, expiry or failure makes room for the next patient at once.
        room = (
            offers_at_once(start=max(release.start, now), now=now)
            - release.offers.filter(status__in=OPEN_OFFER_STATUSES).count()
        )
        if room <= 0:
            return []
        Release.objects.filter(pk=release.pk).update(last_filled_at=now)
        made: list[Offer] = []

        def can_offer(entry: WaitlistEntry) -> bool:  # consent, STOP or quiet hours: skipped for now
            return entry.channel == OfferChannel.PHONE or not (
                reachable_problem(entry.patient, entry.channel) or _quiet_now(entry.patient, entry.center, now)
            )

        for fit in fits_for_release(release, now=now, can_offer=can_offer):
            entry = fit.entry
            made.append(
                Offer.objects.create(
                    entry=entry,
                    release=release,
                    chair_id=fit.chair_id,
                    start=fit.start,
                    end=fit.end,
                    channel=entry.channel,
                    code=_new_code(str(entry.patient.phone)),
                    status=OfferStatus.TO_CALL if entry.channel == OfferChannel.PHONE else OfferStatus.PENDING,
                    expires_at=offer_expiry(start=fit.start, now=now, lead=lead_minutes(entry)),
                    created_at=now,
                )
            )
            if len(made) >= room:
                break
        if not made and not release.offers.exists():
            release.note = "No one on the waitlist fits this time yet."
            release.save(update_fields=["note"])
        ids = [o.pk for o in made if o.status == OfferStatus.PENDING]
        transaction.on_commit(lambda: _enqueue_sends(ids))
    return [o.pk for o in made]


def _publish(task_name: str, *args) -> None:
    """Queue a task after commit; a broker that is down only delays it (beat's ``advance`` catches up)."""
    from waitlist import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception:  # the change is committed; never fail the page or the reply for a queue hiccup
        log.exception("Could not queue %s%s; beat will retry", task_name, args)


def _enqueue_sends(offer_ids: list[int]) -> None:
    for offer_id in offer_ids:
        _publish("send_offer", offer_id)


def enqueue_fill(release_id: int) -> None:
    _publish("fill_gap", release_id)


def _enqueue_fills(release_ids: list[int]) -> None:
    for release_id in release_ids:
        enqueue_fill(release_id)


# --- Sending --------------------------------------------------------------------------------------


def _facts(offer: Offer) -> content.ReminderFacts:
    return content.facts_for(_as_appointment(offer))


def _as_appointment(offer: Offer) -> Appointment:
    entry = offer.entry
    return Appointment(
        center=entry.center,
        patient=entry.patient,
        protocol=entry.protocol,
        chair_id=offer.chair_id,
        start=offer.start,
        end=offer.end,
        dose_number=entry.dose_number,
    )


def offer_sms_link(offer: Offer) -> str:
    """The offer text's short link (/r/<code>): the offer's page, until the offer expires."""
    return links.sms_link(purpose="take_offer", object_id=offer.pk, start=offer.start, expires_at=offer.expires_at)


def offer_sms(offer: Offer) -> str:
    """The offer text, at most 160 GSM-7 characters, with the reply code and the offer's short link."""
    facts = _facts(offer)
    until = offer.expires_at.astimezone(facts.start.tzinfo)
    until_text = f"{until:%I:%M %p}".lstrip("0")
    when = f"{facts.date_text} at {facts.time_text}"
    link = offer_sms_link(offer)
    greeting = f"Hi {facts.first_name}, " if facts.first_name else ""
    templates = [
        f"{greeting}{{center}}: an earlier time opened: {when}. Reply YES {offer.code} by {until_text} "
        f"to take it, or open {link} STOP to opt out.",
        f"{greeting}{{center}}: {when} is free. Reply YES {offer.code} by {until_text} or open {link} STOP to opt out.",
        f"{{center}}: {when} is free. Reply YES {offer.code} by {until_text} or open {link} STOP to opt out.",
        f"{{center}}: {facts.date_text} {facts.time_text} free. YES {offer.code} by {until_text} or {link} STOP=opt out",
    ]
    for index, template in enumerate(templates):
        text = content.sms_with_center(template, facts.center_name, may_shorten=index == len(templates) - 1)
        if text is not None:
            return text
    log.warning("Offer %s: the link is too long for a text message; sent with the reply code only.", offer.pk)
    return (
        content.sms_with_center(
            f"{{center}}: {when} is free. Reply YES {offer.code} by {until_text} to take it. STOP to opt out.",
            facts.center_name,
        )
        or f"{when} is free. Reply YES {offer.code} by {until_text} to take it. STOP to opt out."
    )


def short_text(template: str, offer: Offer) -> str:
    """A notice about an offer (taken, expired, booked) as one SMS: ``{center}`` shortened if it must."""
    return content.sms_with_center(template, _facts(offer).center_name) or template.replace(" {center}", "")


def offer_url(offer: Offer) -> str:
    path = reverse("waitlist:offer_link", kwargs={"token": links.make_token(offer.pk, "take_offer")})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def offer_email(offer: Offer) -> tuple[str, str]:
    facts = _facts(offer)
    until = offer.expires_at.astimezone(facts.start.tzinfo)
    subject = f"An earlier time: {facts.date_text} at {facts.time_text}"
    body = (
        f"Hello {facts.first_name or 'there'},\n\n"
        f"An earlier time has opened at {facts.center_name}: {facts.date_text} at {facts.time_text}.\n\n"
        f"To take it, open this link by {until:%I:%M %p}:\n{offer_url(offer)}\n\n"
        "If you do nothing you keep your current time and your place on the list.\n"
        + (f"Questions: call {facts.center_phone}.\n" if facts.center_phone else "")
        + f"\n{facts.center_name}\n"
    )
    return subject, body


def _check_text(text: str, offer: Offer) -> None:
    content.check_minimum_necessary(re.sub(r"https?://\S+", "", text), _as_appointment(offer))


def send_offer(offer_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one pending offer (safe to run twice: only the run that moves it to ``sent`` sends)."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("entry__patient__center", "entry__protocol", "entry__center", "entry__replaces", "chair")
            .filter(pk=offer_id)
            .first()
        )
        if offer is None or offer.status != OfferStatus.PENDING:
            return "not-pending"
        entry = offer.entry
        patient = Patient.objects.select_for_update().get(pk=entry.patient_id)  # consent as of now
        entry.patient = patient
        if offer.expires_at <= now:
            return _close(offer, OfferStatus.EXPIRED, "Expired before it could be sent.")
        if reachable_problem(patient, offer.channel):
            return _close(offer, OfferStatus.FAILED, "No consent for this channel, or the patient opted out.")
        if _quiet_now(patient, entry.center, now):
            return _close(offer, OfferStatus.FAILED, "Quiet hours: not sent.")
        replaces = entry.replaces if entry.replaces and entry.replaces.is_active else None
        if placement_refusals(
            center=entry.center,
            chair=offer.chair,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            start=offer.start,
            patient=patient,
            exclude_appointment_id=replaces.pk if replaces else None,
        ):
            return _close(offer, OfferStatus.WITHDRAWN, "The time was taken before the offer went out.")
        try:
            if offer.channel == OfferChannel.SMS:
                recipient, subject, body = str(patient.phone), "", offer_sms(offer)
            else:
                recipient = patient.email
                subject, body = offer_email(offer)
            _check_text(subject + "\n" + body, offer)
        except content.ContentNotAllowed as error:
            return _close(offer, OfferStatus.FAILED, str(error))
        Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.SENT, sent_at=now, recipient=recipient, body=body)
    try:
        if offer.channel == OfferChannel.SMS:
            sent = transports.get_backend().send(to=recipient, body=body)
        else:
            sent = transports.email_transport().send(to=recipient, body=body, subject=subject)
    except transports.SendError as error:
        Offer.objects.filter(pk=offer.pk, status=OfferStatus.SENT).update(
            status=OfferStatus.FAILED, outcome=f"Could not be sent: {error}"[:255]
        )
        transaction.on_commit(lambda: enqueue_fill(offer.release_id))
        return OfferStatus.FAILED
    Offer.objects.filter(pk=offer.pk).update(provider_message_id=sent.provider_message_id[:128])
    return OfferStatus.SENT


def _close(offer: Offer, status: str, outcome: str) -> str:
    Offer.objects.filter(pk=offer.pk).update(status=status, outcome=outcome[:255])
    release_id = offer.release_id
    transaction.on_commit(lambda: enqueue_fill(release_id))
    return status


def _notify(offer: Offer, text: str) -> None:
    """A short text or email to the patient about their offer (withdrawn, taken), after commit — under the
    reminders' rules like the offer itself: not after STOP or withdrawn consent, not in quiet hours (a
    patient who then answers YES is told it was taken, in the reply to their own text)."""
    if offer.channel == OfferChannel.PHONE or not offer.sent_at:
        return
    patient = Patient.objects.select_related("center").get(pk=offer.entry.patient_id)
    if reachable_problem(patient, offer.channel) or _quiet_now(patient, patient.center, timezone.now()):
        log.info("Offer %s withdrawn; its patient is not told now (consent, STOP or quiet hours).", offer.pk)
        return
    recipient, channel = offer.recipient, offer.channel

    def send() -> None:
        try:
            if channel == OfferChannel.SMS:
                transports.get_backend().send(to=recipient, body=text)
            else:
                transports.email_transport().send(to=recipient, body=text, subject="The earlier time")
        except transports.SendError:
            log.warning("Could not tell offer %s's patient: %s", offer.pk, text)

    transaction.on_commit(send)


# --- Answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    outcome: str  # booked | taken | expired | declined | closed
    message: str  # what the patient is told
    appointment: Appointment | None = None


def _taken_text(offer: Offer) -> str:
    return short_text("Sorry, that time has been taken; you are still on the list. {center}", offer)


def accept_offer(*, offer: Offer, actor: Actor = None, now: dt.datetime | None = None) -> Answer:
    """The patient (``actor=None``) or staff for them takes the offered time; the first valid YES books it."""
    now = now or timezone.now()
    with transaction.atomic():
        # The center-day locks first, as the booking service takes them: two patients answering YES for
        # one time then queue there, not on each other's offer rows (the winner withdraws the loser's offer;
        # the other order deadlocks).
        try:
            _lock_days_of(offer)
        except CenterBusy:
            return Answer("busy", "We could not take your answer just now; please reply again in a minute.")
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("entry__patient", "entry__center", "entry__protocol", "chair", "release")
            .get(pk=offer.pk)
        )
        if offer.status == OfferStatus.ACCEPTED:
            return Answer("booked", "This time is already yours.", offer.appointment)
        if offer.status == OfferStatus.WITHDRAWN:
            return Answer("taken", _taken_text(offer))
        if offer.status not in (OfferStatus.SENT, OfferStatus.TO_CALL) or offer.expires_at <= now:
            if offer.status in OPEN_OFFER_STATUSES:
                _close(offer, OfferStatus.EXPIRED, "Answered after it expired.")
            return Answer(
                "expired", short_text("Sorry, that offer has expired; you are still on the list. {center}", offer)
            )
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("replaces").get(pk=offer.entry_id)
        if entry.status != EntryStatus.WAITING:
            _close(offer, OfferStatus.WITHDRAWN, "The entry is no longer waiting.")
            return Answer("closed", "This offer is closed.")
        try:
            with transaction.atomic():  # a refused booking rolls back to here, the offer stays ours to record
                appointment = _book(offer, entry=entry, actor=actor)
        except (BookingRefused, CenterBusy, InvalidTransition) as error:
            Offer.objects.filter(pk=offer.pk).update(
                status=OfferStatus.WITHDRAWN, answered_at=now, answered_by=actor, outcome=f"Taken: {error}"[:255]
            )
            return Answer("taken", _taken_text(offer))
        Offer.objects.filter(pk=offer.pk).update(
            status=OfferStatus.ACCEPTED,
            answered_at=now,
            answered_by=actor,
            appointment=appointment,
            outcome="Booked." if actor is None else f"Booked by {actor.get_username()} for the patient.",
        )
        entry.status, entry.booked_appointment = EntryStatus.BOOKED, appointment
        entry._history_user = actor  # type: ignore[attr-defined]
        entry.save(update_fields=["status", "booked_appointment", "updated_at"])
        release = offer.release
        if release.filled_at is None:
            Release.objects.filter(pk=release.pk).update(filled_at=now)
        _withdraw_what_no_longer_fits(offer, now=now)
        _withdraw(
            entry.offers.filter(status__in=OPEN_OFFER_STATUSES).exclude(pk=offer.pk), outcome="Booked another time."
        )
        facts = content.facts_for(appointment)
        release_id = release.pk
        transaction.on_commit(lambda: enqueue_fill(release_id))  # what is left of the time, for the others
    booked = f"Booked: {facts.date_text} at {facts.time_text}. Thank you. {{center}}"
    return Answer(
        "booked", content.sms_with_center(booked, facts.center_name) or booked.replace(" {center}", ""), appointment
    )


def _lock_days_of(offer: Offer) -> None:
    """Lock the center-days the acceptance books on: the offered time's and that of the appointment the
    entry would replace (sorted, as ``scheduling.locking`` always takes them)."""
    row = (
        Offer.objects.filter(pk=offer.pk)
        .values("entry__center_id", "start", "entry__replaces__start", "entry__replaces__status")
        .first()
    )
    if row is None:
        return
    center = fixed_input_for(row["entry__center_id"]).center  # cached: no query for the zone
    keys = [center_day_key(center, row["start"])]
    if row["entry__replaces__start"] is not None and row["entry__replaces__status"] in MOVED_WHEN_REPLACED:
        keys.append(center_day_key(center, row["entry__replaces__start"]))
    lock_center_days(keys)


def _book(offer: Offer, *, entry: WaitlistEntry, actor: Actor) -> Appointment:
    """Book the offered time through the booking service, moving the appointment the entry replaces."""
    replaces = entry.replaces
    if replaces is not None and replaces.status in MOVED_WHEN_REPLACED:
        appointment = move_appointment(actor=actor, appointment=replaces, chair=offer.chair, start=offer.start)
    else:
        appointment = book_appointment(
            actor=actor,
            patient=entry.patient,
            protocol=entry.protocol,
            chair=offer.chair,
            start=offer.start,
            dose_number=entry.dose_number,
            notes="Booked from the waitlist.",
        )
    if actor is None:
        update_change_reason(appointment, PATIENT_REASON_OFFER)
    return appointment


def _withdraw_what_no_longer_fits(accepted: Offer, *, now: dt.datetime) -> None:
    for other in (
        Offer.objects.filter(release=accepted.release, status__in=OPEN_OFFER_STATUSES)
        .exclude(pk=accepted.pk)
        .select_related("entry__patient", "entry__center", "entry__protocol", "entry__replaces", "chair")
    ):
        entry = other.entry
        replaces = entry.replaces if entry.replaces and entry.replaces.is_active else None
        if placement_refusals(
            center=entry.center,
            chair=other.chair,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            start=other.start,
            patient=entry.patient,
            exclude_appointment_id=replaces.pk if replaces else None,
        ):
            _withdraw([other], outcome="Taken by another patient.")


def _withdraw(offers, *, outcome: str) -> None:
    for offer in offers:
        Offer.objects.filter(pk=offer.pk, status__in=OPEN_OFFER_STATUSES).update(
            status=OfferStatus.WITHDRAWN, outcome=outcome
        )
        _notify(offer, _taken_text(offer) if offer.sent_at else "")


def decline_offer(*, offer: Offer, actor: Actor = None, now: dt.datetime | None = None) -> Answer:
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("entry__patient", "entry__center")
            .get(pk=offer.pk)
        )
        if offer.status not in OPEN_OFFER_STATUSES:
            return Answer("closed", "Thank you, you are still on the list.")
        Offer.objects.filter(pk=offer.pk).update(
            status=OfferStatus.DECLINED, answered_at=now, answered_by=actor, outcome="Declined."
        )
        release_id = offer.release_id
        transaction.on_commit(lambda: enqueue_fill(release_id))
    return Answer("declined", short_text("Thank you, you keep your time and your place on the list. {center}", offer))


def expire_offers(*, now: dt.datetime | None = None) -> int:
    """Close offers past their expiry and let their releases offer the next patients."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Offer.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_OFFER_STATUSES, expires_at__lte=now)
            .values_list("pk", "release_id")
        )
        Offer.objects.filter(pk__in=[pk for pk, _ in expired]).update(status=OfferStatus.EXPIRED, outcome="No answer.")
        releases = sorted({release_id for _, release_id in expired})
        transaction.on_commit(lambda: _enqueue_fills(releases))
    return len(expired)


RETRY_MINUTES = 30


def advance(*, now: dt.datetime | None = None) -> int:
    """Beat: expire offers, close releases that have started, and retry open releases without a wave out
    that gap fill has not looked at for ``RETRY_MINUTES`` (a patient's quiet hours ended, a dose became
    ready). Answers, expiries and new entries queue gap fill themselves."""
    now = now or timezone.now()
    expire_offers(now=now)
    Release.objects.filter(is_open=True, end__lte=now + dt.timedelta(minutes=MIN_SHORT_LEAD_MINUTES)).update(
        is_open=False
    )
    waiting = (
        Release.objects.filter(is_open=True)
        .filter(Q(last_filled_at__isnull=True) | Q(last_filled_at__lte=now - dt.timedelta(minutes=RETRY_MINUTES)))
        .exclude(offers__status__in=OPEN_OFFER_STATUSES)
        .order_by("start")
        .values_list("pk", flat=True)[:200]
    )
    count = 0
    for release_id in waiting:
        count += len(fill_gap(release_id, now=now))
    return count


# --- Inbound texts ("YES 4821") -------------------------------------------------------------------

_CODE = re.compile(r"\b(\d{4})\b")


def handle_offer_reply(*, phone: str, body: str) -> HandledReply | None:
    """A reply carrying an offer's code: YES takes it, NO declines it; anything else is the reminders'."""
    match = _CODE.search(body)
    if not match:
        return None
    action = keyword_action(_CODE.sub(" ", body))
    if action not in ("confirm", "cancel"):
        return None
    phone = normalize_phone(phone)
    offer = (
        Offer.objects.filter(code=match.group(1))
        .filter(Q(recipient=phone) | Q(entry__patient__phone=phone))
        .exclude(status=OfferStatus.PENDING)
        .order_by("-created_at", "-pk")
        .first()
    )
    if offer is None:
        return None
    if action == "confirm":
        answer = accept_offer(offer=offer)
        return HandledReply("offer_accept", f"Waitlist offer {offer.code}: {answer.outcome}.", answer.message)
    answer = decline_offer(offer=offer)
    return HandledReply("offer_decline", f"Waitlist offer {offer.code}: {answer.outcome}.", answer.message)


# --- Patient self-rescheduling -----------------------------------------------------------------

RESCHEDULE_CHOICES = 5


def reschedule_choices(appointment: Appointment, *, now: dt.datetime | None = None) -> list:
    """A few of the planner's times for this dose inside its label window, other than its own."""
    now = now or timezone.now()
    center = appointment.center
    tz = center.tzinfo
    today = now.astimezone(tz).date()
    window = label_window(
        patient=appointment.patient,
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        tz=tz,
        today=today + dt.timedelta(days=1),
        exclude_appointment_id=appointment.pk,
    )
    if window.earliest > window.latest:
        return []
    result = find_candidates(
        center=center,
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        date_from=window.earliest,
        date_to=window.latest,
        patient=appointment.patient,
        exclude_appointment_id=appointment.pk,
        limit=RESCHEDULE_CHOICES * 4,
        now=now,
    )
    chosen, days = [], set()
    for candidate in result.candidates:  # spread over days: one per day first
        day = candidate.start.astimezone(tz).date()
        if day not in days and candidate.start != appointment.start:
            chosen.append(candidate)
            days.add(day)
    chosen += [c for c in result.candidates if c not in chosen and c.start != appointment.start]
    return sorted(chosen[:RESCHEDULE_CHOICES], key=lambda c: c.start)


def reschedule_by_patient(*, appointment: Appointment, chair_id: int, start: dt.datetime) -> Appointment:
    """Move the appointment to one of :func:`reschedule_choices` (re-asked now), through the booking service."""
    if (chair_id, start) not in {(c.chair_id, c.start) for c in reschedule_choices(appointment)}:
        raise BookingRefused([Reason("choice_gone", "That time is no longer available; choose another.")])
    chair = Chair.objects.get(pk=chair_id, center=appointment.center)
    with transaction.atomic():
        moved = move_appointment(actor=None, appointment=appointment, chair=chair, start=start)
        update_change_reason(moved, PATIENT_REASON_LINK)
        links.spend_sms_links(purpose="reschedule", object_id=appointment.pk)
    return moved
