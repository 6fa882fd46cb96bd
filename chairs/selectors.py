"""Queries shared by pages, the API and tasks: above all, which centers a user may see."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from chairs.models import Center, Chair


def local_today(*, center: Center, now: dt.datetime | None = None) -> dt.date:
    """The center's local date at ``now`` (default: the current time)."""
    return (now or timezone.now()).astimezone(center.tzinfo).date()


def day_bounds(*, center: Center, day: dt.date, last_day: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The center's local day (or days ``day``…``last_day``) as a half-open range of aware datetimes:
    local midnight to local midnight, so 23 or 25 hours on daylight-saving days. The one place a
    local day becomes a range of instants."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=center.tzinfo)
    end = dt.datetime.combine((last_day or day) + dt.timedelta(days=1), dt.time.min, tzinfo=center.tzinfo)
    return start, end


def centers_for(*, user: User | AnonymousUser) -> QuerySet[Center]:
    """Centers the user works at (every center for a superuser)."""
    if not user.is_authenticated:
        return Center.objects.none()
    if user.is_superuser:
        return Center.objects.all()
    return Center.objects.filter(staff=user)


def center_for(*, user: User | AnonymousUser, center_id: int | str | None) -> Center | None:
    """The user's chosen center, or their first one; None if they have none."""
    centers = centers_for(user=user)
    if center_id:
        try:
            return centers.filter(pk=int(center_id)).first()
        except (TypeError, ValueError):
            return None
    return centers.first()


def chairs_for(*, center: Center, include_inactive: bool = False) -> QuerySet[Chair]:
    chairs = center.chairs.all()
    return chairs if include_inactive else chairs.filter(is_active=True)
