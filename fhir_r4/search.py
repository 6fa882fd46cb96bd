"""FHIR search parameters: dates with prefixes, tokens, references, as Django query conditions.

Pure parsing (no database): each function takes the parameter's raw values and returns what to filter
by, or raises a DRF ``ValidationError`` naming the parameter (a 400 OperationOutcome).

Dates: ``eq`` (default), ``ne``, ``ge``, ``gt``, ``le``, ``lt`` before ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``
or a full instant with a UTC offset. A value stands for an interval — the whole day (in the time zone
given, the center's), the second — and an instant matches as in the specification: ``ge`` from the
interval's start, ``gt`` after its end, ``le`` up to its end, ``lt`` before its start.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

from infusion_center.api_common import MAX_YEAR, MIN_YEAR

PREFIXES = ("eq", "ne", "ge", "gt", "le", "lt")
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _bad(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


@dataclass(frozen=True)
class DateRange:
    prefix: str
    start: dt.datetime
    end: dt.datetime  # half-open [start, end)

    def condition(self, field: str) -> Q:
        if self.prefix == "eq":
            return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        if self.prefix == "ne":
            return ~Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        if self.prefix == "ge":
            return Q(**{f"{field}__gte": self.start})
        if self.prefix == "gt":
            return Q(**{f"{field}__gte": self.end})
        if self.prefix == "le":
            return Q(**{f"{field}__lt": self.end})
        return Q(**{f"{field}__lt": self.start})  # lt

    def matches(self, moment: dt.datetime) -> bool:
        inside = self.start <= moment < self.end
        return {
            "eq": inside,
            "ne": not inside,
            "ge": moment >= self.start,
            "gt": moment >= self.end,
            "le": moment < self.end,
            "lt": moment < self.start,
        }[self.prefix]


def parse_date(name: str, value: str, *, tz: dt.tzinfo) -> DateRange:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    partial = _PARTIAL.match(text)
    if partial:
        year, month, day = (int(g) if g else None for g in partial.groups())
        assert year is not None  # the pattern requires it
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _bad(name, f"Use a date between the years {MIN_YEAR} and {MAX_YEAR}.")
        try:
            first = dt.date(year, month or 1, day or 1)
        except ValueError as error:
            raise _bad(name, f"“{text[:20]}” is not a date.") from error
        if day:
            after = first + dt.timedelta(days=1)
        elif month:
            after = dt.date(year + (month == 12), month % 12 + 1, 1)
        else:
            after = dt.date(year + 1, 1, 1)
        return DateRange(prefix, _midnight(first, tz), _midnight(after, tz))
    try:
        moment = parse_datetime(text.replace(" ", "+")) if len(text) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(
            name, "Use [prefix]YYYY-MM-DD or a date and time with a UTC offset, e.g. ge2026-12-07T09:00:00-05:00."
        )
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _bad(name, f"Use a date between the years {MIN_YEAR} and {MAX_YEAR}.")
    moment = moment.replace(microsecond=0)
    return DateRange(prefix, moment, moment + dt.timedelta(seconds=1))


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(zoneinfo.ZoneInfo("UTC"))


def date_conditions(params, name: str, field: str, *, tz: dt.tzinfo) -> Q:
    """Every value of a date parameter (repeated = AND), as one condition on ``field``."""
    condition = Q()
    for value in params.getlist(name):
        for part in value.split(","):
            if part:
                condition &= parse_date(name, part, tz=tz).condition(field)
    return condition


def date_ranges(params, name: str, *, tz: dt.tzinfo) -> list[DateRange]:
    return [parse_date(name, part, tz=tz) for value in params.getlist(name) for part in value.split(",") if part]


def tokens(params, name: str) -> list[str]:
    """A token parameter's codes (``system|code`` or ``code``; comma = OR), the system dropped."""
    codes = []
    for value in params.getlist(name):
        for part in value.split(","):
            code = part.split("|", 1)[-1].strip()
            if code:
                codes.append(code)
    return codes


def token_pairs(params, name: str) -> list[tuple[str | None, str]]:
    """``system|value`` pairs (system None when not given; empty system means "no system")."""
    pairs = []
    for value in params.getlist(name):
        for part in value.split(","):
            if "|" in part:
                system, code = part.split("|", 1)
                pairs.append((system, code))
            elif part:
                pairs.append((None, part))
    return pairs


def reference_ids(params, name: str, resource_type: str) -> list[str]:
    """Ids of a reference parameter: ``Patient/12``, ``12`` or a full URL ending in ``Patient/12``."""
    ids = []
    for value in params.getlist(name):
        for part in value.split(","):
            part = part.strip().rstrip("/")
            if not part:
                continue
            if "/" in part:
                kind, _, ident = part.rpartition("/")
                if kind.rsplit("/", 1)[-1] != resource_type:
                    raise _bad(name, f"Refer to a {resource_type}, e.g. {resource_type}/12.")
                part = ident
            ids.append(part)
    return ids


def integer_ids(name: str, ids: list[str]) -> list[int]:
    if any(not i.isdigit() or len(i) > 18 for i in ids):
        raise _bad(name, "Use the resource's numeric id.")
    return [int(i) for i in ids]


def prefixed_ids(name: str, ids: list[str], prefix: str) -> list[int]:
    """Ids like ``chair-7`` (the prefix names which kind of row the resource stands for)."""
    numbers = []
    for ident in ids:
        number = ident.removeprefix(prefix)
        if number == ident or not number.isdigit() or len(number) > 18:
            raise _bad(name, f"Use an id like {prefix}7.")
        numbers.append(int(number))
    return numbers


def text_filter(params, name: str) -> list[str]:
    values = [v.strip() for value in params.getlist(name) for v in value.split(",") if v.strip()]
    if any(len(v) > 200 or "\x00" in v for v in values):
        raise _bad(name, "Search for at most 200 characters, without NUL characters.")
    return values
