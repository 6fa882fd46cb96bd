"""Small builders for planner inputs in tests (no database)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from scheduling import planner

NY = "America/New_York"
WEEKDAYS_8_TO_17 = {d: (dt.time(8), dt.time(17)) for d in range(5)}


def local(day: dt.date, hhmm: str, tz: str = NY) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tz))


def rules(**overrides) -> planner.CenterRules:
    values = {
        "timezone": NY,
        "slot_minutes": 15,
        "patients_per_nurse": 4,
        "starts_per_nurse_per_window": 2,
        "start_window_minutes": 30,
        "opening_hours": WEEKDAYS_8_TO_17,
    }
    values.update(overrides)
    return planner.CenterRules(**values)


def chairs(count: int, kind: str = "chair", features=frozenset(), first_id: int = 1) -> tuple[planner.ChairInfo, ...]:
    return tuple(
        planner.ChairInfo(id=first_id + i, label=f"{kind[0].upper()}{first_id + i:02d}", kind=kind, features=features)
        for i in range(count)
    )


def all_day_shifts(day: dt.date, nurses: int, opens: str = "07:00", closes: str = "19:00") -> tuple[planner.Shift, ...]:
    return tuple(planner.Shift(nurse_id=n + 1, start=local(day, opens), end=local(day, closes)) for n in range(nurses))


def request(day: dt.date, minutes: int, **overrides) -> planner.SlotRequest:
    values = {"chair_minutes": minutes, "date_from": day, "date_to": day}
    values.update(overrides)
    return planner.SlotRequest(**values)
