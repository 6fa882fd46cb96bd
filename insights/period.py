"""The center and local date range an insight is computed for, read from the query string.

Every insight is per center (one of the user's centers; any other is a 404) and per range of
local days in the center's time zone, half-open in time: from the first day's local midnight to
the local midnight after the last day. The default is the last four weeks, ending today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from chairs.models import Center
from chairs.selectors import center_for

DEFAULT_DAYS = 28
MAX_DAYS = 366


class PeriodError(ValueError):
    """A bad query-string value; ``field`` names the parameter (answered as a 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    center: Center
    date_from: dt.date
    date_to: dt.date
    now: dt.datetime

    @property
    def tz(self) -> str:
        return self.center.timezone

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=self.center.tzinfo)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=self.center.tzinfo)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.center.tzinfo).date()

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def params(self) -> dict:
        """The SQL parameters every insight query shares."""
        return {
            "center": self.center.pk,
            "tz": self.center.timezone,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "range_start": self.start,
            "range_end": self.end,
            "now": self.now,
        }

    def query(self) -> dict[str, str]:
        return {"center": str(self.center.pk), "from": self.date_from.isoformat(), "to": self.date_to.isoformat()}


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodError(field, f"“{value}” is not a date (use YYYY-MM-DD).") from None


def period_from(*, user, params, now: dt.datetime | None = None) -> Period:
    """The period the query string asks for; Http404 for a center the user does not work at."""
    now = now or timezone.now()
    center = center_for(user=user, center_id=params.get("center"))
    if center is None:
        raise Http404("No such center.")
    today = now.astimezone(center.tzinfo).date()
    date_to = parse_date(params["to"], "to") if params.get("to") else today
    date_from = (
        parse_date(params["from"], "from") if params.get("from") else date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
    if date_from > date_to:
        raise PeriodError("from", "The range must start on or before its last day.")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise PeriodError("from", f"The range can be at most {MAX_DAYS} days.")
    return Period(center=center, date_from=date_from, date_to=date_to, now=now)
