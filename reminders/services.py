"""Every change to reminders happens here: planning, dispatching, sending, replies and callbacks.

* :func:`sync_reminders` is registered in ``scheduling.services.appointment_changed_hooks``
  and so runs inside the booking's (or move's, or cancel's) transaction.
* :func:`dispatch_due` is run by Celery beat every minute: it claims due rows with
  ``SELECT … FOR UPDATE SKIP LOCKED``, marks them ``queued`` and hands each to a send task.
* :func:`send_reminder` is the send task's body. It may run twice for one row; only the
  run whose conditional update moves the row from ``queued`` to ``sending`` calls the provider.
* :func:`handle_inbound_sms` and :func:`apply_status_callback` take what Twilio posts.

Appointment status changes from a patient go through ``scheduling.services.transition``
with ``actor=None`` (the history records the change as made by no staff user, with the reason).

Over 400 lines because it is the outbox's one door: every write to a reminder, in sections in the
order a reminder lives (planning, dispatching, sending, follow-up, replies); how a message leaves
is in ``transports``, what it says in ``content``, when in ``policy``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Q
from django.urls import reverse
from django.utils import timezone

from chairs.roles import Actor
from patients.models import Patient, ReminderChannel
from patients.services import update_patient
from reminders import content, policy, transports
from reminders.models import REACHED_PROVIDER, Channel, InboundSms, Reminder, ReminderStatus
from scheduling.models import Appointment, AppointmentStatus, CancelledBy

log = logging.getLogger(__name__)

# A pending appointment is a tentative hold for a pending prior authorization (treatment.models.TentativeHold):
# the patient hears of it only once it is confirmed (booked).
ACTIVE_FOR_REMINDERS = (AppointmentStatus.BOOKED,)
OPEN = (ReminderStatus.PENDING, ReminderStatus.QUEUED)

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 30 * 60
DISPATCH_BATCH = 500
DISPATCH_MAX_BATCHES = 100


def requeue_after() -> dt.timedelta:
    """How long a row may stay ``queued`` (its send task lost) before the dispatcher hands it over again."""
    return dt.timedelta(seconds=getattr(settings, "REMINDERS_REQUEUE_SECONDS", 600))


REQUEUE_AFTER = requeue_after()  # the default, for callers that read the constant


def sending_lease() -> dt.timedelta:
    """How long a row may stay ``sending`` before we call its outcome unknown (worker lost mid-send)."""
    return dt.timedelta(seconds=getattr(settings, "REMINDERS_SENDING_LEASE_SECONDS", 300))


def quiet_hours_of(center) -> policy.QuietHours:
    return policy.QuietHours(start=center.quiet_hours_start, end=center.quiet_hours_end)


def patient_tz(patient: Patient) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(patient.effective_timezone)


def channels_for(patient: Patient) -> list[str]:
    """The channels this patient may be reminded on right now (none without consent)."""
    if not patient.has_reminder_consent:
        return []
    wanted = patient.reminder_channel
    channels: list[str] = []
    if wanted in (ReminderChannel.SMS, ReminderChannel.BOTH) and patient.phone and not patient.is_sms_opted_out:
        channels.append(Channel.SMS)
    if wanted in (ReminderChannel.EMAIL, ReminderChannel.BOTH) and patient.email:
        channels.append(Channel.EMAIL)
    return channels


# --- Planning (inside the booking's transaction) --------------------------------------------------


@transaction.atomic(savepoint=False)  # runs inside the booking's transaction; an error ends it anyway
def sync_reminders(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """Create, update or void the appointment's open reminders to match its time, status and the patient.

    A booking just written by ``book_appointment`` (``is_fresh_booking``, its center and patient
    loaded) has no reminders yet: they are created without re-reading anything.
    """
    now = now or timezone.now()
    if getattr(appointment, "is_fresh_booking", False):
        rows: dict[tuple[str, str], Reminder] = {}
    else:
        appointment = Appointment.objects.select_related("center", "patient", "patient__center").get(pk=appointment.pk)
        rows = {(r.kind, r.channel): r for r in Reminder.objects.select_for_update().filter(appointment=appointment)}
    if appointment.status not in ACTIVE_FOR_REMINDERS:
        _void(
            [r for r in rows.values() if r.status in OPEN],
            note=f"Appointment {appointment.get_status_display().lower()}.",
        )
        return
    wanted = _wanted_reminders(appointment, now=now)
    moved = {key for key, row in rows.items() if row.planned_for != appointment.start}
    _void(
        _unwanted(rows, wanted=wanted, moved=moved, channels=channels_for(appointment.patient), now=now),
        note="No longer needed: the appointment moved or the patient's preferences changed.",
    )
    for key, planned_reminder in wanted.items():
        if key in rows:
            _replan(rows[key], planned_reminder, appointment=appointment, is_moved=key in moved, now=now)
    _create_missing(appointment, [(key, p) for key, p in wanted.items() if key not in rows])


def _wanted_reminders(appointment: Appointment, *, now: dt.datetime) -> dict[tuple[str, str], policy.PlannedReminder]:
    """The reminders the appointment should have, by (kind, channel): the center's offsets on the
    patient's channels, moved out of quiet hours in the patient's time zone."""
    patient, center = appointment.patient, appointment.center
    planned = policy.plan(
        start=appointment.start,
        offsets_hours=list(center.reminder_offsets_hours or []),
        now=now,
        tz=patient_tz(patient),
        quiet=quiet_hours_of(center),
    )
    return {(p.kind, channel): p for p in planned for channel in channels_for(patient)}


def _unwanted(rows, *, wanted, moved, channels: list[str], now: dt.datetime) -> list[Reminder]:
    """Open rows no longer wanted. A row already due for this very time stays: the plan drops overdue
    offsets only at booking."""
    return [
        row
        for key, row in rows.items()
        if row.status in OPEN and key not in wanted and (key in moved or row.due_at > now or key[1] not in channels)
    ]


def _replan(row: Reminder, planned_reminder, *, appointment: Appointment, is_moved: bool, now: dt.datetime) -> None:
    """Reopen or re-time an existing row when the appointment moved, it was voided, or its due time changed."""
    reopen = row.status == ReminderStatus.VOIDED or (row.status == ReminderStatus.SKIPPED and is_moved)
    # Same time, but the patient's time zone or the center's quiet hours changed (a row deferred
    # at send time carries a note and keeps its later time).
    replanned = (
        row.status == ReminderStatus.PENDING
        and not row.note
        and row.due_at > now
        and abs(row.due_at - planned_reminder.due_at) > dt.timedelta(minutes=1)
    )
    if (row.status in OPEN and is_moved) or reopen or replanned:
        row.status = ReminderStatus.PENDING
        row.due_at = planned_reminder.due_at
        row.planned_for = appointment.start
        row.queued_at = None
        row.note = ""
        row.save(update_fields=["status", "due_at", "planned_for", "queued_at", "note", "updated_at"])


def _create_missing(appointment: Appointment, missing) -> None:
    if missing:
        Reminder.objects.bulk_create(
            Reminder(
                appointment=appointment,
                patient=appointment.patient,
                center=appointment.center,
                kind=planned_reminder.kind,
                offset_hours=planned_reminder.offset_hours,
                channel=channel,
                due_at=planned_reminder.due_at,
                planned_for=appointment.start,
            )
            for (_, channel), planned_reminder in missing
        )


def _void(rows: list[Reminder], *, note: str) -> None:
    if rows:
        Reminder.objects.filter(pk__in=[r.pk for r in rows], status__in=OPEN).update(
            status=ReminderStatus.VOIDED, note=note[:255], updated_at=timezone.now()
        )


# What a patient's reminders depend on.
WATCHED_FIELDS = {"has_reminder_consent", "reminder_channel", "phone", "email", "timezone", "is_sms_opted_out"}


def patient_changed(patient: Patient, *, update_fields: list[str] | None = None) -> None:
    """``patients.services.update_patient``'s hook: re-plan when something reminders depend on may have changed."""
    if update_fields is None or set(update_fields) & WATCHED_FIELDS:
        sync_patient(patient)


def sync_patient(patient: Patient, *, now: dt.datetime | None = None) -> None:
    """Re-plan the reminders of the patient's upcoming appointments (consent, channel or time zone changed)."""
    now = now or timezone.now()
    appointments = Appointment.objects.filter(patient=patient, start__gt=now, status__in=ACTIVE_FOR_REMINDERS)
    for appointment in appointments:
        sync_reminders(appointment, now=now)


# --- Dispatching (Celery beat, every minute) -----------------------------------------------------


def dispatch_due(*, now: dt.datetime | None = None, enqueue=None) -> int:
    """Hand every due reminder to a send task; returns how many were handed over.

    Runs outside any transaction (a beat task): each batch is claimed and committed, then published.
    """
    now = now or timezone.now()
    if enqueue is None:
        from reminders.tasks import enqueue_sends as enqueue
    sweep_stale(now=now)
    handed = 0
    for status, condition in (
        (ReminderStatus.PENDING, Q(status=ReminderStatus.PENDING, due_at__lte=now)),
        (ReminderStatus.QUEUED, Q(status=ReminderStatus.QUEUED, queued_at__lt=now - requeue_after())),
    ):
        for _ in range(DISPATCH_MAX_BATCHES):
            with transaction.atomic():
                ids = list(
                    Reminder.objects.select_for_update(skip_locked=True)
                    .filter(condition)
                    .order_by("due_at", "pk")
                    .values_list("pk", flat=True)[:DISPATCH_BATCH]
                )
                if not ids:
                    break
                Reminder.objects.filter(pk__in=ids, status=status).update(
                    status=ReminderStatus.QUEUED, queued_at=now, updated_at=now
                )
            # Published after the claim commits; if publishing fails, the rows wait in "queued"
            # and are handed over again after requeue_after().
            enqueue(ids)
            handed += len(ids)
    return handed


def sweep_stale(*, now: dt.datetime) -> int:
    """Rows left ``sending`` past the lease: the worker died mid-send, so the outcome is unknown."""
    return Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=now - sending_lease()).update(
        status=ReminderStatus.UNKNOWN,
        last_error="The worker stopped while sending; the message may or may not have gone out.",
        updated_at=now,
    )


# --- Sending (the send task; safe to run twice) ---------------------------------------------------


@dataclass(frozen=True)
class Claim:
    reminder: Reminder
    body: str


def send_reminder(reminder_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one reminder if it is still queued; returns what happened (for logs and tests)."""
    return send_reminders([reminder_id], now=now)[0]


# Outcomes are written in groups of this many sends. A worker killed mid-batch leaves the batch's rows
# not yet recorded ``sending`` (at most ``reminders.tasks.SEND_BATCH``), marked unknown after the lease
# and never sent again.
RECORD_EVERY = 25


def send_reminders(reminder_ids: list[int], *, now: dt.datetime | None = None) -> list[str]:
    """Send a batch of reminders, each once: what happened to each, in order.

    All the batch's rows are claimed in one transaction (each row is ``sending``, and committed, before
    its provider call), then sent one by one; successful sends are recorded every ``RECORD_EVERY``.
    Safe to run twice: a row no longer ``queued`` is "not-queued".
    """
    now = now or timezone.now()
    outcomes = _claim_batch(reminder_ids, now=now)
    pending_sent: list[Reminder] = []
    for reminder_id in reminder_ids:
        claim = outcomes[reminder_id]
        if isinstance(claim, str):
            continue
        reminder = claim.reminder
        try:
            result = _deliver(reminder, now=now)
        except transports.TransientSendError as error:
            outcomes[reminder_id] = _record_transient(reminder, error, now=now)
        except transports.PermanentSendError as error:
            outcomes[reminder_id] = _record_failure(reminder, error)
        except transports.UnknownOutcomeError as error:
            outcomes[reminder_id] = _record_unknown(reminder, str(error))
        except Exception as error:  # a bug or a crash in the provider library: we cannot tell if it went out
            log.exception("Sending reminder %s failed unexpectedly", reminder.pk)
            outcomes[reminder_id] = _record_unknown(
                reminder, f"Unexpected error while sending: {error.__class__.__name__}"
            )
        else:
            reminder.provider_message_id, reminder.provider_status = result.provider_message_id, result.provider_status
            pending_sent.append(reminder)
            outcomes[reminder_id] = "sent"
            if len(pending_sent) >= RECORD_EVERY:
                _record_sent(pending_sent)
                pending_sent = []
    _record_sent(pending_sent)
    return [outcomes[reminder_id] for reminder_id in reminder_ids]  # type: ignore[misc]


def _record_sent(reminders: list[Reminder]) -> None:
    if not reminders:
        return
    moment = timezone.now()
    for reminder in reminders:
        reminder.status, reminder.sent_at, reminder.last_error, reminder.updated_at = (
            ReminderStatus.SENT,
            moment,
            "",
            moment,
        )
    # Exactly once rests on the claim, whose commit waits for the disk. This one need not: were the
    # database to crash before flushing it, the rows would be back to "sending" and end "unknown"
    # after the lease (followed up by staff), never sent twice.
    with transports.commit_without_flush():
        _write_rows(reminders, SENT_FIELDS, only_if=ReminderStatus.SENDING)


SENT_FIELDS = ("status", "sent_at", "provider_message_id", "provider_status", "last_error", "updated_at")
# What a claim may change on a row: sending (claimed), deferred, voided, skipped or failed.
DECIDED_FIELDS = (
    "status",
    "due_at",
    "queued_at",
    "claimed_at",
    "attempts",
    "recipient",
    "body",
    "note",
    "last_error",
    "updated_at",
)


def _write_rows(rows: list[Reminder], fields: tuple[str, ...], *, only_if: str = "") -> None:
    """Write ``fields`` of many rows in one ``UPDATE … FROM (VALUES …)`` (only rows still ``only_if``).

    ``bulk_update`` builds a ``CASE`` per field and row: for a batch of twenty it cost more CPU than
    everything else a send does.
    """
    if not rows:
        return
    meta = Reminder._meta
    columns = [field for name in fields if isinstance(field := meta.get_field(name), Field)]
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params: list = []
    for row in rows:
        params.append(row.pk)
        params += [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(
        f"{quote(column.column)} = v.{quote(column.column)}::{column.db_type(connection)}" for column in columns
    )
    sql = (
        f"UPDATE {quote(meta.db_table)} AS r SET {assignments} "
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {names}) WHERE r.id = v.id::bigint"
    )
    if only_if:
        sql += " AND r.status = %s"
        params.append(only_if)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _claim_batch(reminder_ids: list[int], *, now: dt.datetime) -> dict[int, Claim | str]:
    """Decide, under row locks, what to do with each reminder; claim those to send (one transaction)."""
    outcomes: dict[int, Claim | str] = {pk: "not-queued" for pk in reminder_ids}
    with transaction.atomic():
        reminders = list(
            Reminder.objects.select_for_update(of=("self",))
            .select_related("appointment", "appointment__protocol", "center")
            .filter(pk__in=reminder_ids, status=ReminderStatus.QUEUED)
            .order_by("pk")
        )
        if not reminders:
            return outcomes
        patients = {
            p.pk: p
            for p in Patient.objects.select_for_update()
            .select_related("center")
            .filter(pk__in={r.patient_id for r in reminders})
            .order_by("pk")
        }
        # Who reached the provider lately (for "at most one a day"), read once for the batch.
        recent = list(
            Reminder.objects.filter(
                patient_id__in=patients.keys(),
                status__in=REACHED_PROVIDER,
                claimed_at__gte=now - dt.timedelta(days=2),
                claimed_at__lt=now + dt.timedelta(days=2),
            ).values_list("patient_id", "appointment_id", "kind", "claimed_at")
        )
        decided: list[Reminder] = []
        for reminder in reminders:
            outcome = _decide(reminder, patients[reminder.patient_id], recent=recent, now=now)
            decided.append(reminder)
            if isinstance(outcome, Claim):
                recent.append((reminder.patient_id, reminder.appointment_id, reminder.kind, now))
            outcomes[reminder.pk] = outcome
        _write_rows(decided, DECIDED_FIELDS)  # every locked row, claimed or settled, in one statement
    return outcomes


def _decide(reminder: Reminder, patient: Patient, *, recent: list, now: dt.datetime) -> Claim | str:
    """One locked, queued reminder: a Claim to send, or what became of it instead ("deferred",
    "voided", "skipped", "failed"). The row is changed in memory; the caller writes the batch."""
    appointment = reminder.appointment
    appointment.patient = patient  # the locked, fresh row: consent and opt-out as of now
    appointment.center = reminder.center
    if appointment.status not in ACTIVE_FOR_REMINDERS:
        return _settle(reminder, ReminderStatus.VOIDED, "Appointment no longer booked.", now=now)
    if appointment.start <= now:
        return _settle(reminder, ReminderStatus.SKIPPED, "Too late: the appointment has started.", now=now)
    if reminder.channel not in channels_for(patient):
        return _settle(reminder, ReminderStatus.VOIDED, "No consent for this channel, or opted out.", now=now)
    tz = patient_tz(patient)
    quiet = quiet_hours_of(reminder.center)
    allowed = policy.next_allowed_time(now, tz=tz, quiet=quiet)
    if allowed > now:
        return _defer(reminder, allowed, appointment, note="Quiet hours: waits for the morning.", now=now)
    day_start, day_end = policy.local_day_bounds(now, tz=tz)
    already_today = any(
        patient_id == patient.pk
        and day_start <= claimed_at < day_end
        and not (appointment_id == reminder.appointment_id and kind == reminder.kind)
        for patient_id, appointment_id, kind, claimed_at in recent
    )
    if already_today:
        return _defer(
            reminder,
            policy.next_day_start(now, tz=tz, quiet=quiet),
            appointment,
            note="Already reminded today: waits for tomorrow.",
            now=now,
        )
    try:
        if reminder.channel == Channel.SMS:
            recipient, body = str(patient.phone), content.render_sms(appointment)
        else:
            recipient, body = patient.email, content.render_email(appointment, now=now).text
    except content.ContentNotAllowed as error:
        return _settle(reminder, ReminderStatus.FAILED, "", now=now, error=str(error))
    reminder.status, reminder.claimed_at, reminder.attempts = ReminderStatus.SENDING, now, reminder.attempts + 1
    reminder.recipient, reminder.body, reminder.updated_at = recipient, body, now
    return Claim(reminder=reminder, body=body)


def _settle(reminder: Reminder, status: str, note: str, *, now: dt.datetime, error: str = "") -> str:
    reminder.status, reminder.note, reminder.last_error, reminder.updated_at = status, note[:255], error[:255], now
    return status


def _defer(reminder: Reminder, until: dt.datetime, appointment: Appointment, *, note: str, now: dt.datetime) -> str:
    if until >= appointment.start:
        return _settle(
            reminder, ReminderStatus.SKIPPED, note.split(":")[0] + ": no time left before the appointment.", now=now
        )
    reminder.status, reminder.due_at, reminder.queued_at = ReminderStatus.PENDING, until, None
    reminder.note, reminder.updated_at = note, now
    return "deferred"


def _deliver(reminder: Reminder, *, now: dt.datetime) -> transports.SentMessage:
    if reminder.channel == Channel.SMS:
        callback = ""
        if settings.SMS_BACKEND == "twilio":
            callback = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("reminders:sms_status")
        return transports.get_backend().send(
            to=reminder.recipient, body=reminder.body, reminder_id=reminder.pk, status_callback=callback
        )
    rendered = content.render_email(reminder.appointment, now=now)
    return transports.email_transport().send(
        to=reminder.recipient,
        body=rendered.text,
        reminder_id=reminder.pk,
        subject=rendered.subject,
        html=rendered.html,
        attachments=[
            transports.Attachment("appointment.ics", rendered.ics, "text/calendar; method=PUBLISH; charset=utf-8")
        ],
    )


def _record_transient(reminder: Reminder, error: Exception, *, now: dt.datetime) -> str:
    attempts = Reminder.objects.filter(pk=reminder.pk).values_list("attempts", flat=True).first() or 1
    if attempts >= MAX_ATTEMPTS:
        return _record_failure(reminder, error, prefix=f"Gave up after {attempts} attempts: ")
    delay = policy.retry_delay_seconds(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.PENDING,
        due_at=now + dt.timedelta(seconds=delay),
        queued_at=None,
        last_error=str(error)[:255],
        updated_at=timezone.now(),
    )
    return "retry"


def _record_failure(reminder: Reminder, error: Exception, *, prefix: str = "") -> str:
    Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.FAILED, last_error=(prefix + str(error))[:255], updated_at=timezone.now()
    )
    if getattr(error, "code", "") == str(transports.TWILIO_UNSUBSCRIBED):
        opt_out(phone=reminder.recipient)
    return ReminderStatus.FAILED


def _record_unknown(reminder: Reminder, message: str) -> str:
    Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.UNKNOWN, last_error=message[:255], updated_at=timezone.now()
    )
    return ReminderStatus.UNKNOWN


# --- Staff follow-up ------------------------------------------------------------------------------


def resend(*, reminder: Reminder, actor: Actor) -> Reminder:
    """Staff decided to try a failed or unknown reminder again (it goes out at the next dispatch)."""
    now = timezone.now()
    Reminder.objects.filter(pk=reminder.pk, status__in=(ReminderStatus.FAILED, ReminderStatus.UNKNOWN)).update(
        status=ReminderStatus.PENDING,
        due_at=now,
        queued_at=None,
        attempts=0,
        followed_up_at=now,
        followed_up_by=actor,
        note="Resent by staff.",
        updated_at=now,
    )
    reminder.refresh_from_db()
    return reminder


def mark_followed_up(*, reminder: Reminder, actor: Actor) -> Reminder:
    now = timezone.now()
    Reminder.objects.filter(pk=reminder.pk, followed_up_at__isnull=True).update(
        followed_up_at=now, followed_up_by=actor, updated_at=now
    )
    reminder.refresh_from_db()
    return reminder


# --- Opt-out and opt-in ---------------------------------------------------------------------------


def _patients_with_phone(phone: str):
    return Patient.objects.filter(phone=phone)


@transaction.atomic
def opt_out(*, phone: str) -> int:
    """STOP: no more texts to this number, at once (pending SMS reminders are voided)."""
    patients = list(_patients_with_phone(phone).select_for_update())
    for patient in patients:
        if not patient.is_sms_opted_out:
            update_patient(
                patient=patient,
                actor=None,
                changes={"is_sms_opted_out": True},
                update_fields=["is_sms_opted_out", "updated_at"],
            )
    Reminder.objects.filter(patient__in=patients, channel=Channel.SMS, status__in=OPEN).update(
        status=ReminderStatus.VOIDED, note="The patient opted out of text messages.", updated_at=timezone.now()
    )
    return len(patients)


@transaction.atomic
def opt_in(*, phone: str) -> int:
    """START/UNSTOP: texts may go to this number again; upcoming appointments get their reminders back."""
    patients = list(_patients_with_phone(phone).select_for_update())
    for patient in patients:
        if patient.is_sms_opted_out:
            update_patient(  # re-plans the reminders (patient_changed)
                patient=patient,
                actor=None,
                changes={"is_sms_opted_out": False},
                update_fields=["is_sms_opted_out", "updated_at"],
            )
    return len(patients)


# --- Inbound SMS and delivery callbacks -----------------------------------------------------------

STOP_WORDS = {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"}
START_WORDS = {"START", "UNSTOP"}
CONFIRM_WORDS = {"C", "CONFIRM", "YES"}
CANCEL_WORDS = {"N", "NO"}


def keyword_action(body: str) -> str:
    """What an inbound text asks for: opt_out, opt_in, confirm, cancel or help."""
    words = re.sub(r"[^A-Z ]+", " ", body.upper()).split()
    text = " ".join(words)
    if text in STOP_WORDS:
        return "opt_out"
    if text in START_WORDS:
        return "opt_in"
    if text in CONFIRM_WORDS:
        return "confirm"
    if text in CANCEL_WORDS:
        return "cancel"
    return "help"


def normalize_phone(raw: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return raw.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def appointment_for_reply(phone: str, *, now: dt.datetime) -> Appointment | None:
    """The appointment a C or N reply is about: the one of the latest text reminder to this number."""
    reminder = (
        Reminder.objects.filter(
            channel=Channel.SMS,
            recipient=phone,
            status__in=REACHED_PROVIDER,
            appointment__start__gt=now,
            appointment__status__in=ACTIVE_FOR_REMINDERS,
        )
        .select_related("appointment")
        .order_by("-claimed_at", "-pk")
        .first()
    )
    if reminder:
        return reminder.appointment
    return (
        Appointment.objects.filter(patient__phone=phone, start__gt=now, status__in=ACTIVE_FOR_REMINDERS)
        .order_by("start")
        .first()
    )


@dataclass(frozen=True)
class HandledReply:
    """What another app did with an inbound text: the action, the outcome for staff, the reply."""

    action: str
    outcome: str
    reply: str


# Apps that answer some texts themselves (the waitlist takes "YES 4821"); each returns None to pass.
inbound_reply_handlers: list[Callable[..., HandledReply | None]] = []


def handle_inbound_sms(*, from_number: str, body: str, provider_message_id: str = "") -> InboundSms:
    """Act on a patient's text and return the record, whose ``reply`` is the text to answer with."""
    from scheduling.errors import InvalidTransition
    from scheduling.services import transition

    now = timezone.now()
    phone = normalize_phone(from_number)
    action = keyword_action(body)
    patient = _patients_with_phone(phone).select_related("center").first()
    center = patient.center if patient else None
    inbound = InboundSms(from_number=phone, body=body[:1600], action=action, provider_message_id=provider_message_id)
    handled = None
    if action not in ("opt_out", "opt_in"):
        handled = next((h for h in (handler(phone=phone, body=body) for handler in inbound_reply_handlers) if h), None)
    if handled is not None:
        inbound.action, inbound.outcome, inbound.reply = handled.action, handled.outcome[:255], handled.reply
    elif action == "opt_out":
        count = opt_out(phone=phone)
        inbound.outcome = f"Opted out ({count} patient record(s))."
        name = content.public_center_name(center.name) if center else "Appointment"
        inbound.reply = (
            f"{name} reminders: you are unsubscribed and will get no more texts. Reply START to resubscribe."
        )
    elif action == "opt_in":
        count = opt_in(phone=phone)
        inbound.outcome = f"Opted back in ({count} patient record(s))."
        name = content.public_center_name(center.name) if center else "Appointment"
        inbound.reply = f"{name} reminders: you are subscribed again. Reply STOP to opt out."
    elif action in ("confirm", "cancel"):
        appointment = appointment_for_reply(phone, now=now)
        if appointment is None:
            inbound.action = "help"
            inbound.outcome = "No upcoming appointment for this number."
            inbound.reply = content.help_reply(center)
        else:
            inbound.appointment = appointment
            facts = content.facts_for(appointment)
            when = f"{facts.date_text} at {facts.time_text}"
            try:
                if action == "confirm":
                    transition(actor=None, appointment=appointment, action="confirm", reason="Patient replied by text.")
                    inbound.outcome = "Appointment confirmed."
                    inbound.reply = f"Thank you, your appointment on {when} is confirmed. {facts.center_name}"
                else:
                    transition(
                        actor=None,
                        appointment=appointment,
                        action="cancel",
                        cancelled_by=CancelledBy.PATIENT,
                        reason="Patient replied N to a text reminder.",
                    )
                    inbound.outcome = "Appointment cancelled by the patient."
                    call = f" Call {facts.center_phone} to rebook." if facts.center_phone else ""
                    inbound.reply = f"Your appointment on {when} is cancelled.{call} {facts.center_name}"
            except InvalidTransition as error:
                inbound.outcome = f"Not done: {error.message}"
                inbound.reply = content.help_reply(appointment.center)
    else:
        inbound.outcome = "Unrecognised reply; sent help."
        inbound.reply = content.help_reply(center)
    inbound.reply = inbound.reply[:320]
    inbound.save()
    return inbound


# Twilio's message statuses, in the order they happen; a callback never moves a message backwards.
PROVIDER_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,
}


def apply_status_callback(*, provider_message_id: str, provider_status: str, error_code: str = "") -> bool:
    """Record a delivery status from the provider; returns False when it is stale or unknown."""
    provider_status = provider_status.strip().lower()
    new_rank = PROVIDER_STATUS_RANK.get(provider_status)
    if not provider_message_id or new_rank is None:
        return False
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(provider_message_id=provider_message_id).first()
        if reminder is None:
            return False
        if new_rank <= PROVIDER_STATUS_RANK.get(reminder.provider_status, 0):
            return False
        reminder.provider_status = provider_status
        fields = ["provider_status", "updated_at"]
        if provider_status in ("delivered", "read") and reminder.status in (
            ReminderStatus.SENT,
            ReminderStatus.UNKNOWN,
        ):
            reminder.status = ReminderStatus.DELIVERED
            fields.append("status")
        elif provider_status in ("undelivered", "failed", "canceled"):
            reminder.status = ReminderStatus.FAILED
            reminder.last_error = f"The carrier reported {provider_status}" + (
                f" (error {error_code})." if error_code else "."
            )
            fields += ["status", "last_error"]
        reminder.save(update_fields=fields)
    if error_code == str(transports.TWILIO_UNSUBSCRIBED):
        opt_out(phone=reminder.recipient)
    return True
