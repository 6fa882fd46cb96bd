"""Noticing freed chair time: one Release per change that frees it, and a gap-fill task after commit.

Called from the one door of each change: ``scheduling.services``' appointment hook (cancel and
no-show through ``transition()``, a move through ``move_appointment``, which says what it freed
as ``appointment.freed_slot``), and the ChairBlock and NurseShift models' signals (setup pages,
the API and the admin all write those rows). The release is written in the change's own
transaction, so it disappears if the change rolls back; the task is queued only after commit.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus
from waitlist.models import Release, ReleaseCause

FREEING_STATUSES: dict[str, str] = {
    AppointmentStatus.CANCELLED: ReleaseCause.CANCELLED,
    AppointmentStatus.NOSHOW: ReleaseCause.NOSHOW,
}


def record_release(
    *, center_id: int, chair_id: int | None, start: dt.datetime, end: dt.datetime, cause: str, appointment=None
) -> Release | None:
    """A release of ``[start, end)`` (the part still ahead), with gap fill queued after commit."""
    now = timezone.now()
    start = max(start, now)
    if end <= start:
        return None
    release = Release.objects.create(
        center_id=center_id,
        chair_id=chair_id,
        start=start,
        end=end,
        cause=cause,
        appointment=appointment,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue_fill(release.pk))
    return release


def _enqueue_fill(release_id: int) -> None:
    from waitlist.services import enqueue_fill  # services imports the booking service, which imports us late

    enqueue_fill(release_id)


def appointment_changed(appointment: Appointment) -> None:
    """The booking service's hook: a cancellation, a no-show or a move frees the appointment's old time."""
    freed = getattr(appointment, "freed_slot", None)
    if freed is not None:
        chair_id, start, end = freed
        appointment.freed_slot = None  # type: ignore[attr-defined]
        record_release(
            center_id=appointment.center_id,
            chair_id=chair_id,
            start=start,
            end=end,
            cause=ReleaseCause.MOVED,
            appointment=appointment,
        )
        return
    cause = FREEING_STATUSES.get(appointment.status)
    if cause is not None and not Release.objects.filter(appointment=appointment, cause=cause).exists():
        record_release(
            center_id=appointment.center_id,
            chair_id=appointment.chair_id,
            start=appointment.start,
            end=appointment.end,
            cause=cause,
            appointment=appointment,
        )


def chair_block_deleted(sender, instance, **kwargs) -> None:
    record_release(
        center_id=instance.chair.center_id,
        chair_id=instance.chair_id,
        start=instance.start,
        end=instance.end,
        cause=ReleaseCause.BLOCK_LIFTED,
    )


# A shift added for the coming days frees nurse capacity someone may be waiting for; shifts further
# ahead are the rota being planned, not a freed slot.
SHIFT_HORIZON = dt.timedelta(days=7)


def shift_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and instance.start < timezone.now() + SHIFT_HORIZON:
        record_release(
            center_id=instance.center_id,
            chair_id=None,
            start=instance.start,
            end=instance.end,
            cause=ReleaseCause.SHIFT_ADDED,
        )
