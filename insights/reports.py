"""Each insight as charts plus the tables behind them, built from the selectors' aggregated rows.

A builder takes the period and returns a :class:`Report`; the page draws its charts and tables and
the exports write its tables. Only aggregated rows (a few hundred at most) pass through Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chairside.selectors import wasted_doses
from insights import charts, selectors
from insights.charts import Series
from insights.compliance import day_compliance
from insights.period import Period, PeriodError, parse_date
from insights.tables import Table
from insights.treatment_delays import time_to_treatment


@dataclass
class Report:
    charts: list[charts.Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _r(value, digits: int = 1):
    if value is None or isinstance(value, int):
        return value
    return round(float(value), digits)


def _hhmm(value: dt.time) -> str:
    return f"{value:%H:%M}"


# --- 1 ------------------------------------------------------------------------------------------


def utilization_report(period: Period, params) -> Report:
    step = 15 if params.get("slot") == "15" else 30
    rows = selectors.utilization(period=period, step_minutes=step)
    report = Report(extra={"slot": step})
    kinds = sorted({r["kind"] for r in rows}, key=lambda k: (k != "chair", k))
    for kind in kinds:
        kind_rows = [r for r in rows if r["kind"] == kind]
        slots = sorted({r["slot"] for r in kind_rows})
        weekdays = sorted({r["weekday"] for r in kind_rows})
        cells = {(r["weekday"], r["slot"]): r for r in kind_rows}
        label = {"chair": "Chairs", "bed": "Beds", "room": "Private rooms"}.get(kind, kind)
        for measure in ("scheduled", "actual"):
            values = [[_r(cells[(w, s)][measure]) if (w, s) in cells else None for s in slots] for w in weekdays]
            report.charts.append(
                charts.heatmap(
                    title=f"{label}: {measure} utilization by weekday and {step}-minute slot",
                    desc=(
                        f"Share of {label.lower()} time {'booked' if measure == 'scheduled' else 'actually used, from chair start to discharge'}, "
                        f"per weekday (rows) and time of day (columns), {period.date_from} to {period.date_to}. Darker is busier; the table below lists every value."
                    ),
                    row_labels=[selectors.WEEKDAYS[w] for w in weekdays],
                    col_labels=[_hhmm(s) for s in slots],
                    values=values,
                )
            )
        daily = {}
        for r in kind_rows:
            daily[r["weekday"]] = r
        report.tables.append(
            Table(
                f"{label}: the day's average and peak",
                [
                    "Weekday",
                    "Open days",
                    "Scheduled average %",
                    "Scheduled peak %",
                    "Actual average %",
                    "Actual peak %",
                ],
                [
                    [
                        selectors.WEEKDAYS[w],
                        r["days"],
                        _r(r["day_scheduled"]),
                        _r(r["peak_scheduled"]),
                        _r(r["day_actual"]),
                        _r(r["peak_actual"]),
                    ]
                    for w, r in sorted(daily.items())
                ],
            )
        )
        report.tables.append(
            Table(
                f"{label}: utilization per slot",
                ["Weekday", "Slot", "Scheduled %", "Actual %"],
                [
                    [selectors.WEEKDAYS[r["weekday"]], _hhmm(r["slot"]), _r(r["scheduled"]), _r(r["actual"])]
                    for r in kind_rows
                ],
            )
        )
    return report


# --- 2 ------------------------------------------------------------------------------------------


def occupancy_report(period: Period, params) -> Report:
    day = parse_date(params["day"], "day") if params.get("day") else selectors.last_open_day(period=period)
    if day is not None and not period.date_from <= day <= period.date_to:
        raise PeriodError("day", "The day must lie inside the range.")
    report = Report(extra={"day": day})
    if day is None:
        return report
    rows = selectors.occupancy(period=period, day=day)
    if not rows:
        report.summary.append(("Open", f"The center was closed on {day:%A %d %B %Y}."))
        return report
    chairs = rows[0]["chairs"]
    weekday = day.strftime("%A")
    labels = [_hhmm(r["slot"]) for r in rows]
    report.charts.append(
        charts.line_chart(
            title=f"Chairs in use on {day:%A %d %B %Y}, against capacity",
            desc=(
                f"Chairs in use per {period.center.slot_minutes}-minute slot: scheduled and actual on {day}, the actual average "
                f"of the range's {weekday}s, the chairs available (the {chairs} active chairs less chair blocks and breaks) and the nurses' watch capacity. The table below has every value."
            ),
            x_labels=labels,
            series=[
                Series("Scheduled", [_r(r["day_scheduled"]) for r in rows]),
                Series("Actual", [_r(r["day_actual"]) for r in rows]),
                Series(f"Average actual, {weekday}s in range", [_r(r["avg_actual"]) for r in rows]),
                Series("Chairs available (less blocks and breaks)", [_r(r["day_available"]) for r in rows]),
                Series("Watch capacity (nurses × patients each)", [_r(r["day_watch_capacity"]) for r in rows]),
            ],
            y_label="chairs",
        )
    )
    report.tables.append(
        Table(
            f"Chairs in use on {day} and on average ({rows[0]['days']} {weekday}s)",
            [
                "Slot",
                "Scheduled",
                "Actual",
                "Average scheduled",
                "Average actual",
                "Chairs available",
                "Watch capacity",
                "Average watch capacity",
            ],
            [
                [
                    _hhmm(r["slot"]),
                    _r(r["day_scheduled"]),
                    _r(r["day_actual"]),
                    _r(r["avg_scheduled"]),
                    _r(r["avg_actual"]),
                    _r(r["day_available"]),
                    _r(r["day_watch_capacity"]),
                    _r(r["avg_watch_capacity"]),
                ]
                for r in rows
            ],
        )
    )
    peak = max(rows, key=lambda r: r["day_actual"] or 0)
    report.summary.append(("Actual peak", f"{_r(peak['day_actual'])} of {chairs} chairs at {_hhmm(peak['slot'])}"))
    return report


# --- 3 ------------------------------------------------------------------------------------------


def nurse_load_report(period: Period, params) -> Report:
    data = selectors.nurse_load(period=period)
    windows, slots = data["windows"], data["slots"]
    report = Report()
    w_min = period.center.start_window_minutes
    report.charts.append(
        charts.line_chart(
            title=f"Infusion starts per {w_min}-minute window against start capacity",
            desc="Average scheduled and actual infusion starts per start window over the range's open days, and the average start capacity (nurses × starts each).",
            x_labels=[_hhmm(r["at"]) for r in windows],
            series=[
                Series("Scheduled starts", [_r(r["scheduled"]) for r in windows]),
                Series("Actual starts", [_r(r["actual"]) for r in windows]),
                Series("Start capacity", [_r(r["capacity"]) for r in windows]),
            ],
            y_label="starts",
        )
    )
    report.charts.append(
        charts.line_chart(
            title="Patients watched against watch capacity",
            desc="Average patients in a chair per slot and the average watch capacity (nurses on shift × patients each).",
            x_labels=[_hhmm(r["at"]) for r in slots],
            series=[
                Series("Patients watched", [_r(r["actual"]) for r in slots]),
                Series("Watch capacity", [_r(r["capacity"]) for r in slots]),
            ],
            y_label="patients",
        )
    )
    report.tables.append(
        Table(
            "Starts per start window",
            [
                "Window",
                "Days",
                "Average scheduled starts",
                "Average actual starts",
                "Most actual starts",
                "Average start capacity",
                "Windows over capacity",
            ],
            [
                [
                    _hhmm(r["at"]),
                    r["n"],
                    _r(r["scheduled"]),
                    _r(r["actual"]),
                    _r(r["peak"], 0),
                    _r(r["capacity"]),
                    r["over"],
                ]
                for r in windows
            ],
        )
    )
    report.tables.append(
        Table(
            "Patients watched per slot",
            ["Slot", "Days", "Average watched", "Most watched", "Average watch capacity", "Slots over capacity"],
            [[_hhmm(r["at"]), r["n"], _r(r["actual"]), _r(r["peak"], 0), _r(r["capacity"]), r["over"]] for r in slots],
        )
    )
    report.summary += [
        ("Start windows over capacity", str(sum(r["over"] for r in windows))),
        ("Slots over watch capacity", str(sum(r["over"] for r in slots))),
    ]
    return report


# --- 4 ------------------------------------------------------------------------------------------


def waits_report(period: Period, params) -> Report:
    data = selectors.waits(period=period)
    report = Report()
    overall = data["overall"][0] if data["overall"] else None
    if overall and overall["seen"]:
        report.summary += [
            ("Median wait", f"{_r(overall['median_wait'])} min"),
            ("90th percentile wait", f"{_r(overall['p90_wait'])} min"),
            ("On-time starts", f"{_r(overall['on_time_percent'])} %"),
        ]
    counts = {r["bin"]: r["n"] for r in data["histogram"]}
    bins = [
        f"{i * selectors.WAIT_BIN_MINUTES}–{(i + 1) * selectors.WAIT_BIN_MINUTES} min"
        for i in range(selectors.WAIT_BINS - 1)
    ]
    bins.append(f"{(selectors.WAIT_BINS - 1) * selectors.WAIT_BIN_MINUTES} min or more")
    report.charts.append(
        charts.bar_chart(
            title="How long patients waited from arrival to chair",
            desc="Number of visits per wait band over the range.",
            categories=bins,
            series=[Series("Visits", [counts.get(i, 0) for i in range(selectors.WAIT_BINS)])],
        )
    )
    by_hour = data["by_hour"]
    report.charts.append(
        charts.line_chart(
            title="Wait by hour of the booked start",
            desc="Median and 90th-percentile wait from arrival to chair, and the share of on-time starts, per hour of the booked start.",
            x_labels=[f"{r['hour']:02d}:00" for r in by_hour],
            series=[
                Series("Median wait (min)", [_r(r["median_wait"]) for r in by_hour]),
                Series("90th percentile wait (min)", [_r(r["p90_wait"]) for r in by_hour]),
                Series("On-time starts (%)", [_r(r["on_time_percent"]) for r in by_hour]),
            ],
        )
    )
    drift = data["drift"]
    report.charts.append(
        charts.line_chart(
            title="The late-running day: discharge past the booked end",
            desc="Median and 90th-percentile minutes by which discharge came after the booked end, per hour of the booked end.",
            x_labels=[f"{r['hour']:02d}:00" for r in drift],
            series=[
                Series("Median drift (min)", [_r(r["median_drift"]) for r in drift]),
                Series("90th percentile drift (min)", [_r(r["p90_drift"]) for r in drift]),
            ],
        )
    )
    columns = ["Visits seated", "Median wait (min)", "90th percentile wait (min)", "On-time starts %"]
    figures = ("seen", "median_wait", "p90_wait", "on_time_percent")
    report.tables += [
        Table("Wait distribution", ["Wait", "Visits"], [[b, counts.get(i, 0)] for i, b in enumerate(bins)]),
        Table(
            "Waits by hour of the booked start",
            ["Hour", *columns],
            [[f"{r['hour']:02d}:00", *[_r(r[f]) for f in figures]] for r in by_hour],
        ),
        Table(
            "Waits by protocol",
            ["Protocol", "Name", *columns],
            [[r["code"].upper(), r["name"], *[_r(r[f]) for f in figures]] for r in data["by_protocol"]],
        ),
        Table(
            "Discharge past the booked end, by hour of the booked end",
            ["Hour", "Visits discharged", "Median drift (min)", "Mean drift (min)", "90th percentile drift (min)"],
            [
                [f"{r['hour']:02d}:00", r["finished"], _r(r["median_drift"]), _r(r["mean_drift"]), _r(r["p90_drift"])]
                for r in drift
            ],
        ),
    ]
    return report


# --- 5 ------------------------------------------------------------------------------------------

OUTCOMES = ["confirmed", "no reply", "cancelled", "no reminder sent"]


def noshows_report(period: Period, params) -> Report:
    rows = selectors.noshows(period=period)
    parts: dict[str, list[dict]] = {}
    for r in rows:
        parts.setdefault(r["part"], []).append(r)
    report = Report()
    total = parts.get("all", [None])[0]
    if total and total["due"]:
        report.summary += [
            ("No-show rate", f"{_r(total['noshow_rate'])} % ({total['noshows']} of {total['due']})"),
            ("Late cancellations", f"{_r(total['late_cancel_rate'])} % ({total['late_cancellations']})"),
        ]
    # Doses the pharmacy prepared for nobody: wasted, and of those, prepared for a no-show (issue 20).
    wasted = wasted_doses(center=period.center, date_from=period.date_from, date_to=period.date_to)
    report.summary.append(("Doses wasted", f"{wasted['wasted']} ({wasted['after_no_show']} prepared for a no-show)"))
    labels = {
        "protocol": ("Protocol", lambda r: r["code"].upper()),
        "weekday": ("Weekday", lambda r: selectors.WEEKDAYS[r["weekday"]]),
        "lead": ("Lead time", lambda r: selectors.LEAD_BUCKETS[r["lead_bucket"]][2]),
        "outcome": ("Reminder outcome", lambda r: r["outcome"]),
    }
    for part, (heading, label) in labels.items():
        part_rows = parts.get(part, [])
        if part == "outcome":
            part_rows.sort(key=lambda r: OUTCOMES.index(r["outcome"]) if r["outcome"] in OUTCOMES else 99)
        report.charts.append(
            charts.bar_chart(
                title=f"No-shows and late cancellations by {heading.lower()}",
                desc=f"Rate of no-shows and of cancellations under {selectors.LATE_CANCEL_HOURS} hours before the start, per {heading.lower()}, among appointments that were due.",
                categories=[label(r) for r in part_rows],
                series=[
                    Series("No-show rate", [_r(r["noshow_rate"]) for r in part_rows]),
                    Series("Late cancellation rate", [_r(r["late_cancel_rate"]) for r in part_rows]),
                ],
                unit=" %",
            )
        )
        report.tables.append(
            Table(
                f"By {heading.lower()}",
                [heading, "Due", "No-shows", "No-show rate %", "Late cancellations", "Late cancellation rate %"],
                [
                    [
                        label(r),
                        r["due"],
                        r["noshows"],
                        _r(r["noshow_rate"]),
                        r["late_cancellations"],
                        _r(r["late_cancel_rate"]),
                    ]
                    for r in part_rows
                ],
            )
        )
    report.tables.append(
        Table(
            "Doses wasted",
            ["Doses wasted", "Of them prepared for a no-show"],
            [[wasted["wasted"], wasted["after_no_show"]]],
        )
    )
    return report


# --- 6 ------------------------------------------------------------------------------------------


def chair_minutes_report(period: Period, params) -> Report:
    rows = selectors.chair_minutes(period=period)
    report = Report(extra={"chair_rows": rows})
    for r in rows:
        r["group"] = "first doses" if r["is_first"] else "later doses"
    report.charts.append(
        charts.range_chart(
            title="Actual chair minutes (10th to 90th percentile, median) against the booked length",
            desc=f"Per protocol and dose group: the line spans the 10th to 90th percentile of actual chair minutes, the dot is the median and the tick the median booked length. Flagged rows are booked wrong by more than {selectors.WRONG_BY_MINUTES} minutes.",
            rows=[
                {
                    "label": f"{r['code'].upper()} {r['group']}",
                    "low": r["p10"],
                    "high": r["p90"],
                    "mid": r["median"],
                    "booked": r["median_booked"],
                    "is_flagged": r["is_flagged"],
                    "tip": f"median {_r(r['median'])} min, booked {_r(r['median_booked'])} min",
                }
                for r in rows
            ],
        )
    )
    report.tables.append(
        Table(
            "Scheduled and actual chair minutes per protocol and dose group",
            [
                "Protocol",
                "Doses",
                "Visits",
                "Booked (median)",
                "Actual p10",
                "Actual median",
                "Actual p80",
                "Actual p90",
                "Median difference",
                "Protocol chair time now",
                "Booked wrong by > 15 min",
            ],
            [
                [
                    r["code"].upper(),
                    r["group"],
                    r["visits"],
                    _r(r["median_booked"]),
                    _r(r["p10"]),
                    _r(r["median"]),
                    _r(r["p80"]),
                    _r(r["p90"]),
                    _r(r["median_difference"]),
                    r["current_minutes"],
                    "yes" if r["is_flagged"] else "no",
                ]
                for r in rows
            ],
        )
    )
    report.summary.append(("Booked wrong by more than 15 min", str(sum(r["is_flagged"] for r in rows))))
    return report


# --- 7 ------------------------------------------------------------------------------------------


def time_to_treatment_report(period: Period, params) -> Report:
    data = time_to_treatment(period=period)
    orders = [r for r in data["orders"] if not r["is_protocol_total"]]
    totals = [r for r in data["orders"] if r["is_protocol_total"]]
    auths = data["authorizations"]
    report = Report()
    report.charts.append(
        charts.bar_chart(
            title="Days from the doctor's order to the first dose, per protocol",
            desc="Median and 90th-percentile days from the order date to the first dose given, for orders dated in the range.",
            categories=[r["code"].upper() for r in totals],
            series=[
                Series("Median days", [_r(r["median_days"]) for r in totals]),
                Series("90th percentile days", [_r(r["p90_days"]) for r in totals]),
            ],
        )
    )
    report.charts.append(
        charts.bar_chart(
            title="Days from authorization request to approval, per protocol and payer",
            desc="Median days between the prior-authorization request and the payer's approval, for requests made in the range.",
            categories=[f"{r['code'].upper()} · {r['payer']}" for r in auths],
            series=[
                Series("Median days", [_r(r["median_days"]) for r in auths]),
                Series("90th percentile days", [_r(r["p90_days"]) for r in auths]),
            ],
        )
    )
    report.tables += [
        Table(
            "Order to first dose",
            ["Protocol", "Payer", "Orders", "First dose given", "Median days", "90th percentile days"],
            [
                [r["code"].upper(), r["payer"], r["orders"], r["treated"], _r(r["median_days"]), _r(r["p90_days"])]
                for r in orders
            ],
        ),
        Table(
            "Authorization request to approval",
            ["Protocol", "Payer", "Requests", "Approved", "Median days", "90th percentile days"],
            [
                [r["code"].upper(), r["payer"], r["requests"], r["approved"], _r(r["median_days"]), _r(r["p90_days"])]
                for r in auths
            ],
        ),
        _stage_table(data.get("stages", [])),
    ]
    return report


def _stage_table(rows: list[dict]) -> Table:
    """Issue 22's recorded stages: order → submission → approval → first dose, median and p90 days."""

    def pair(row: dict, name: str) -> str:
        median, p90 = _r(row[f"median_{name}"]), _r(row[f"p90_{name}"])
        return "—" if median is None else f"{median} / {p90}"

    return Table(
        "Order to submission, approval and first dose (median / 90th percentile days)",
        [
            "Protocol",
            "Payer",
            "Orders",
            "Order → submission",
            "Submission → approval",
            "Approval → first dose",
            "Order → first dose",
            "Denied",
            "Approved on appeal",
        ],
        [
            [
                r["code"].upper(),
                r["payer"],
                r["orders"],
                pair(r, "to_submission"),
                pair(r, "to_approval"),
                pair(r, "to_first_dose"),
                pair(r, "total"),
                r["denied"],
                r["overturned"],
            ]
            for r in rows
        ],
    )


# --- Booking-template compliance over time (issue 15's selector) ---------------------------------


def compliance_report(period: Period, params) -> Report:
    days = [d for d in day_compliance(period=period) if d.bookings]
    report = Report()
    booked = sum(d.bookings for d in days)
    if booked:
        placed = sum(d.in_template for d in days)
        report.summary.append(("Bookings in template slots", f"{_r(100 * placed / booked)} % ({placed} of {booked})"))
    report.charts.append(
        charts.line_chart(
            title="Bookings placed in the booking template's slots, per day",
            desc="Share of each day's bookings that start in a slot of the center's current booking template with the slot's length.",
            x_labels=[f"{d.day:%a %d %b}" for d in days],
            series=[Series("In template slots (%)", [_r(100 * d.share) for d in days])],
            y_label="%",
            top=100,
        )
    )
    report.tables.append(
        Table(
            "Template compliance per day",
            ["Day", "Bookings", "In template slots", "Share %"],
            [[d.day.isoformat(), d.bookings, d.in_template, _r(100 * d.share)] for d in days],
        )
    )
    return report
