"""Locks and race refusals for every write that competes for a chair or the nurses' capacity.

Modelled on pretix's ``lock_objects``: a booking, move, seating on another chair or series first
takes transaction-scoped advisory locks on the *center and local day* it touches
(:func:`lock_center_days`). Nurse start and watch capacity are center-wide, so the lock covers
the center, but only one day of it: bookings of different days never wait for each other. The keys
are taken in sorted order (two transactions wanting the same days cannot deadlock each other), with
a short ``lock_timeout``; a request that cannot get them in time is refused with our own
:class:`~scheduling.errors.CenterBusy` rather than waiting on.

Under the lock the planner re-checks the placement and the row is written inside
:func:`refusing_races`. The database's exclusion constraint remains the last line of defence: a
writer that did not take the lock (a raw insert, an import) can still collide, and PostgreSQL
reports the loser as a unique/exclusion violation (``23P01``), a deadlock (``40P01``) or a
serialization failure (``40001``) — which one depends on timing and on the server version (18
deadlocks where 15 raises). All three become :class:`~scheduling.errors.SlotTaken` naming the chair
and the time, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from scheduling.errors import CenterBusy, Reason, SlotTaken

LOCK_TIMEOUT_MS = 5000

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
RACE_CODES = frozenset({EXCLUSION_VIOLATION, DEADLOCK_DETECTED, SERIALIZATION_FAILURE})

BUSY_MESSAGE = "The schedule is busy with another booking; please try again."


def sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a database error Django wrapped (None when it has none)."""
    cause = error.__cause__ or error
    return getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)


def center_day_key(center, moment: dt.datetime) -> tuple[int, int]:
    """The lock key of a center's local day that contains ``moment``."""
    return center.pk, moment.astimezone(center.tzinfo).date().toordinal()


def lock_statement(key: tuple[int, int], *, timeout_ms: int = LOCK_TIMEOUT_MS) -> tuple[str, tuple]:
    """The SQL that takes one center-day lock with the short timeout (the target list is evaluated left
    to right, so the timeout is in force before the lock is asked for). A refusal is SQLSTATE 55P03."""
    return (
        "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s, %s)",
        (f"{int(timeout_ms)}ms", *key),
    )


def lock_center_days(keys: Iterable[tuple[int, int]], *, timeout_ms: int = LOCK_TIMEOUT_MS) -> None:
    """Hold the (center id, day ordinal) locks until the transaction ends; CenterBusy if they stay taken.

    Must run inside a transaction. Keys are deduplicated and taken in sorted order.
    """
    ordered = sorted(set(keys))
    if not ordered:
        return
    try:
        with connection.cursor() as cursor:
            # One round trip for the first key: the target list is evaluated left to right, so the
            # timeout is in force before the lock is asked for.
            first, *others = ordered
            cursor.execute(*lock_statement(first, timeout_ms=timeout_ms))
            for center_id, day in others:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [center_id, day])
    except OperationalError as error:
        raise CenterBusy(BUSY_MESSAGE) from error


def lock_center_day(center, moment: dt.datetime) -> None:
    """Serialize the writes of one center and local day for the rest of the transaction."""
    if timezone.is_naive(moment):
        return  # refused by the placement check that follows
    lock_center_days([center_day_key(center, moment)])


def slot_taken(*, chair, start: dt.datetime, end: dt.datetime | None, tzinfo) -> SlotTaken:
    """The refusal for a chair someone else got first, naming the chair and the local time."""
    local_start = timezone.localtime(start, tzinfo)
    when = f"{local_start:%a %d %b %Y} {local_start:%H:%M}"
    if end is not None:
        when += f"–{timezone.localtime(end, tzinfo):%H:%M}"
    label = getattr(chair, "label", None) or "This chair"
    return SlotTaken(
        [Reason("chair_taken", f"{label} was just booked by someone else for {when}; choose another time or chair.")]
    )


@contextmanager
def refusing_races(
    *, chair, start: dt.datetime, end: dt.datetime | None, tzinfo, savepoint: bool = True
) -> Iterator[None]:
    """Run a write in a savepoint; a lost race for the chair becomes SlotTaken, a lock wait CenterBusy.

    The savepoint keeps the surrounding transaction usable, so a caller (a series, the admin) can
    report the refusal and roll back cleanly. ``savepoint=False`` is for a write that is the last
    step of its own transaction: the refusal rolls it all back, so two round trips are saved.
    """
    try:
        with transaction.atomic(savepoint=savepoint):
            yield
    except (IntegrityError, OperationalError) as error:
        code = sqlstate(error)
        if code in RACE_CODES:
            raise slot_taken(chair=chair, start=start, end=end, tzinfo=tzinfo) from error
        if code == LOCK_NOT_AVAILABLE:
            raise CenterBusy(BUSY_MESSAGE) from error
        raise


def is_race(error: DatabaseError) -> bool:
    """A deadlock or serialization failure: the transaction lost a race and may be tried again."""
    return sqlstate(error) in {DEADLOCK_DETECTED, SERIALIZATION_FAILURE}
