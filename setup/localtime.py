"""Wall-clock times entered in a center's zone, turned into instants without daylight-saving surprises.

A time that does not exist (02:30 on the spring-forward night) or exists twice (01:30 on the
fall-back night) is refused with a message, never silently shifted by an hour.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError


def local_instant(tz: zoneinfo.ZoneInfo, day: dt.date, wall: dt.time) -> dt.datetime:
    """The aware instant of ``wall`` on ``day`` in ``tz``; ValidationError when DST makes it unclear."""
    first = dt.datetime.combine(day, wall, tzinfo=tz)
    second = first.replace(fold=1)
    back = first.astimezone(dt.UTC).astimezone(tz)
    if (back.hour, back.minute) != (wall.hour, wall.minute):
        raise ValidationError(
            f"{wall:%H:%M} does not exist on {day:%d %B %Y} in {tz.key}: the clocks skip it (daylight saving)."
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{wall:%H:%M} happens twice on {day:%d %B %Y} in {tz.key} (the clocks go back); choose another time."
        )
    return first


def local_range(tz: zoneinfo.ZoneInfo, day: dt.date, starts: dt.time, ends: dt.time) -> tuple[dt.datetime, dt.datetime]:
    return local_instant(tz, day, starts), local_instant(tz, day, ends)
