"""Reads for the setup pages: which centers a user may set up, the checklist, staff and the week's staffing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from chairs.models import Center, NurseShift
from chairs.roles import CENTER_ADMIN, ROLES, SYSTEM_ADMIN, has_role
from scheduling import planner
from scheduling.planner_input import planner_input_for
from setup.models import SetupProgress


def can_create_centers(user) -> bool:
    return user.is_superuser or has_role(user, SYSTEM_ADMIN)


def setup_centers_for(*, user) -> QuerySet[Center]:
    """Centers the user may set up: all for a superuser or system admin, else those they are center admin of."""
    if can_create_centers(user):
        return Center.objects.all()
    if has_role(user, CENTER_ADMIN):
        return Center.objects.filter(staff=user)
    return Center.objects.none()


def setup_center_for(*, user, center_id: int) -> Center:
    """The center, or 404 when the user may not set it up (another center's pages are not found)."""
    center = setup_centers_for(user=user).filter(pk=center_id).first()
    if center is None:
        raise Http404("No such center.")
    return center


def staff_of(center: Center) -> QuerySet[User]:
    from django.contrib.auth.models import Group

    return (
        User.objects.filter(centers=center)
        .prefetch_related(Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES), to_attr="role_groups"))
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def staff_member_of(*, center: Center, user_id: int) -> User:
    user = staff_of(center).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such member of staff at this center.")
    return user


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    is_done: bool
    detail: str
    url_name: str


def checklist(center: Center, *, today: dt.date | None = None) -> list[ChecklistItem]:
    """What a new center still lacks before it can book (hours, chairs, staff, rota, protocols)."""
    today = today or timezone.localdate(timezone=center.tzinfo)
    hours = center.opening_hours.count()
    chairs = center.chairs.filter(is_active=True).count()
    nurses = User.objects.filter(centers=center, is_active=True, groups__name="nurse").distinct().count()
    horizon = dt.datetime.combine(today + dt.timedelta(days=14), dt.time(0), tzinfo=center.tzinfo)
    shifts = NurseShift.objects.filter(center=center, end__gt=timezone.now(), start__lt=horizon).count()
    progress = SetupProgress.objects.filter(center=center).first()
    reviewed = progress.protocols_reviewed_at if progress else None
    return [
        ChecklistItem("Opening hours set", hours > 0, f"{hours} open weekday(s)", "setup:hours"),
        ChecklistItem("Chairs and beds added", chairs > 0, f"{chairs} active", "setup:chairs"),
        ChecklistItem("Nurses on the staff", nurses > 0, f"{nurses} active nurse(s)", "setup:staff"),
        ChecklistItem(
            "Rota for the next two weeks", shifts > 0, f"{shifts} shift(s) in the next 14 days", "setup:rota"
        ),
        ChecklistItem(
            "Protocols reviewed",
            reviewed is not None,
            f"reviewed {timezone.localtime(reviewed, center.tzinfo):%d %b %Y}" if reviewed else "not yet reviewed",
            "setup:protocols",
        ),
    ]


@dataclass(frozen=True)
class HourLoad:
    """One hour of one day: the fewest nurses on shift and the worst use of their capacity."""

    starts: dt.datetime
    nurses: int
    watched: int
    watch_capacity: int
    starts_booked: int
    start_capacity: int

    @property
    def is_unstaffed(self) -> bool:
        return self.nurses == 0

    @property
    def is_full(self) -> bool:
        return self.nurses > 0 and (self.watched >= self.watch_capacity or self.starts_booked >= self.start_capacity)


@dataclass(frozen=True)
class DayStaffing:
    day: dt.date
    is_open: bool
    hours: list[HourLoad]
    shifts: list[NurseShift]

    @property
    def unstaffed_hours(self) -> int:
        return sum(1 for h in self.hours if h.is_unstaffed)


def _by_hour(loads: list[planner.SlotLoad], tz) -> list[HourLoad]:
    grouped: dict[dt.datetime, list[planner.SlotLoad]] = {}
    for load in loads:
        local = load.start.astimezone(tz)
        grouped.setdefault(local.replace(minute=0), []).append(load)
    return [
        HourLoad(
            starts=hour,
            nurses=min(s.nurses for s in slots),
            watched=max(s.watched for s in slots),
            watch_capacity=min(s.watch_capacity for s in slots),
            starts_booked=max(s.starts for s in slots),
            start_capacity=min(s.start_capacity for s in slots),
        )
        for hour, slots in grouped.items()
    ]


def week_staffing(center: Center, monday: dt.date) -> list[DayStaffing]:
    """Each day of the week: nurses on shift against the chair load, per hour, from the planner itself,
    so a red hour is exactly where it will refuse bookings for lack of nurses."""
    sunday = monday + dt.timedelta(days=6)
    pin = planner_input_for(center=center, date_from=monday, date_to=sunday)
    tz = center.tzinfo
    lo = dt.datetime.combine(monday, dt.time(0), tzinfo=tz)
    hi = dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    shifts = list(
        NurseShift.objects.filter(center=center, start__lt=hi, end__gt=lo).select_related("nurse").order_by("start")
    )
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        loads = planner.day_load(pin, day)
        day_shifts = [s for s in shifts if s.start.astimezone(tz).date() == day]
        days.append(DayStaffing(day=day, is_open=bool(loads), hours=_by_hour(loads, tz), shifts=day_shifts))
    return days
