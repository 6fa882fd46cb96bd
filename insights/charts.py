"""Server-side SVG charts: pure geometry from aggregated numbers, drawn by small templates.

No JavaScript and no CDN: each function turns a handful of aggregated values into coordinates
(``insights/_chart_*.html`` draws them). Every chart carries a title and a description for screen
readers (``role="img"`` with ``aria-labelledby``), and the page shows the table it was drawn from.

Colours are the Okabe–Ito colour-blind-safe palette, darkened where needed so that every mark has
at least 3:1 contrast against white (WCAG 2.2 SC 1.4.11); series also differ by dash pattern.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

# (colour, dash) per series: contrast on white 5.0, 3.9, 5.3, 6.7, 12.6 : 1.
PALETTE = [
    ("#0072B2", ""),
    ("#C24F00", "6 3"),
    ("#1B7F5A", "2 3"),
    ("#6B4C9A", "8 3 2 3"),
    ("#333333", "1 2"),
]
# Sequential scale for heatmaps, light to dark blue (the table gives every value).
HEAT_SCALE = ["#F2F7FB", "#D4E6F3", "#A9CCE6", "#74AED6", "#3F8DC4", "#1467A8", "#0B4A7D", "#062E52"]

_ids = itertools.count(1)


def _chart_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 10 else f"{value:.1f}"


@dataclass
class Series:
    name: str
    values: list[float | None]


@dataclass
class Chart:
    kind: str  # "lines", "bars", "heatmap", "ranges"
    id: str
    title: str
    desc: str
    width: int
    height: int
    data: dict = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"insights/_chart_{self.kind}.html"


# --- Lines over the time of day -----------------------------------------------------------------

LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36


def line_chart(
    *,
    title: str,
    desc: str,
    x_labels: list[str],
    series: list[Series],
    y_label: str = "",
    width: int = 760,
    height: int = 260,
    top: float | None = None,
) -> Chart:
    """Lines sharing an x axis of labels (times of day); gaps where a value is None."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top = top or nice_max(peak)
    n = max(len(x_labels), 1)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - (v / top) * plot_h, 1)

    lines = []
    for index, s in enumerate(series):
        colour, dash = PALETTE[index % len(PALETTE)]
        runs, run = [], []
        for i, v in enumerate(s.values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(f"{x(i)},{y(v)}")
        if run:
            runs.append(run)
        lines.append({"name": s.name, "colour": colour, "dash": dash, "paths": [" ".join(r) for r in runs]})
    every = max(1, math.ceil(n / 12))
    return Chart(
        kind="lines",
        id=_chart_id("lines"),
        title=title,
        desc=desc,
        width=width,
        height=height,
        data={
            "lines": lines,
            "x_ticks": [{"x": x(i), "label": label} for i, label in enumerate(x_labels) if i % every == 0],
            "y_ticks": [{"y": y(t), "label": _fmt(t)} for t in _ticks(top)],
            "y_label": y_label,
            "left": LEFT,
            "right": width - RIGHT,
            "bottom": TOP + plot_h,
            "top": TOP,
        },
    )


# --- Horizontal bars ----------------------------------------------------------------------------

BAR_LABEL_W, BAR_H, BAR_GAP = 170, 14, 10


def bar_chart(
    *,
    title: str,
    desc: str,
    categories: list[str],
    series: list[Series],
    unit: str = "",
    width: int = 760,
    top: float | None = None,
) -> Chart:
    """Grouped horizontal bars, one group per category; the value is printed at the bar's end."""
    plot_w = width - BAR_LABEL_W - 70
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top = top or nice_max(peak)
    group_h = BAR_H * len(series) + BAR_GAP
    groups = []
    for c, label in enumerate(categories):
        y0 = TOP + c * group_h
        bars = []
        for i, s in enumerate(series):
            value = s.values[c]
            colour, _ = PALETTE[i % len(PALETTE)]
            w = 0 if value is None else round(max(value, 0) / top * plot_w, 1)
            bars.append(
                {
                    "y": y0 + i * BAR_H,
                    "w": w,
                    "colour": colour,
                    "value": "–" if value is None else f"{_fmt(value)}{unit}",
                    "name": s.name,
                    "text_x": BAR_LABEL_W + w + 4,
                }
            )
        groups.append({"label": label, "label_y": y0 + BAR_H * len(series) / 2 + 4, "bars": bars})
    height = TOP + len(categories) * group_h + 28
    return Chart(
        kind="bars",
        id=_chart_id("bars"),
        title=title,
        desc=desc,
        width=width,
        height=max(height, 60),
        data={
            "groups": groups,
            "legend": [{"name": s.name, "colour": PALETTE[i % len(PALETTE)][0]} for i, s in enumerate(series)],
            "x0": BAR_LABEL_W,
            "bar_h": BAR_H - 2,
            "axis_y": TOP + len(categories) * group_h,
            "ticks": [
                {"x": round(BAR_LABEL_W + t / top * plot_w, 1), "label": f"{_fmt(t)}{unit}"} for t in _ticks(top)
            ],
        },
    )


# --- Heatmap ------------------------------------------------------------------------------------

HEAT_LABEL_W, HEAT_CELL_H = 90, 22


def heat_colour(value: float | None, top: float = 100.0) -> str:
    if value is None:
        return "#FFFFFF"
    index = min(len(HEAT_SCALE) - 1, max(0, int(value / top * len(HEAT_SCALE))))
    return HEAT_SCALE[index]


def heatmap(
    *,
    title: str,
    desc: str,
    row_labels: list[str],
    col_labels: list[str],
    values: list[list[float | None]],
    unit: str = "%",
    width: int = 760,
) -> Chart:
    """A grid of coloured cells (rows × columns); each cell's value is in its tooltip and the table."""
    n = max(len(col_labels), 1)
    cell_w = round((width - HEAT_LABEL_W - 8) / n, 2)
    rows = []
    for r, label in enumerate(row_labels):
        y = TOP + r * HEAT_CELL_H
        # Drawn here rather than in a template loop: a 15-minute heatmap has hundreds of cells.
        cells = "".join(
            f'<rect x="{round(HEAT_LABEL_W + c * cell_w, 2)}" y="{y}" width="{cell_w}" height="{HEAT_CELL_H - 2}" '
            f'fill="{heat_colour(v)}" stroke="#8A8A8A" stroke-width="0.5"><title>'
            f"{escape(label)} {escape(col_labels[c])}: {'–' if v is None else _fmt(v) + unit}</title></rect>"
            for c, v in enumerate(values[r])
        )
        rows.append({"label": label, "y": y, "text_y": y + HEAT_CELL_H / 2 + 4, "cells": mark_safe(cells)})
    every = max(1, math.ceil(n / 12))
    height = TOP + len(row_labels) * HEAT_CELL_H + 56
    step = 100 / len(HEAT_SCALE)
    return Chart(
        kind="heatmap",
        id=_chart_id("heat"),
        title=title,
        desc=desc,
        width=width,
        height=height,
        data={
            "rows": rows,
            "cell_w": cell_w,
            "cell_h": HEAT_CELL_H - 2,
            "x_ticks": [
                {"x": round(HEAT_LABEL_W + c * cell_w, 2), "label": label}
                for c, label in enumerate(col_labels)
                if c % every == 0
            ],
            "axis_y": TOP + len(row_labels) * HEAT_CELL_H + 14,
            "legend_y": TOP + len(row_labels) * HEAT_CELL_H + 26,
            "legend": [
                {"x": HEAT_LABEL_W + i * 44, "fill": colour, "label": f"{step * i:.0f}"}
                for i, colour in enumerate(HEAT_SCALE)
            ],
        },
    )


# --- Ranges (p10–p90 with the median and the booked length) ---------------------------------------


def range_chart(*, title: str, desc: str, rows: list[dict], width: int = 760) -> Chart:
    """One line per row from ``low`` to ``high`` with a dot at ``mid`` and a tick at ``booked`` (minutes)."""
    plot_w = width - BAR_LABEL_W - 24
    peak = max((max(r["high"] or 0, r["booked"] or 0) for r in rows), default=0)
    top = nice_max(peak)

    def x(v: float) -> float:
        return round(BAR_LABEL_W + v / top * plot_w, 1)

    drawn = []
    for i, r in enumerate(rows):
        y = TOP + i * 24 + 10
        drawn.append(
            {
                "label": r["label"],
                "y": y,
                "low": x(r["low"] or 0),
                "high": x(r["high"] or 0),
                "mid": x(r["mid"] or 0),
                "booked": x(r["booked"] or 0),
                "is_flagged": r.get("is_flagged", False),
                "tip": r.get("tip", ""),
            }
        )
    axis_y = TOP + len(rows) * 24 + 4
    return Chart(
        kind="ranges",
        id=_chart_id("ranges"),
        title=title,
        desc=desc,
        width=width,
        height=axis_y + 44,
        data={
            "rows": drawn,
            "x0": BAR_LABEL_W,
            "axis_y": axis_y,
            "legend_y": axis_y + 34,
            "ticks": [{"x": x(t), "label": f"{_fmt(t)} min"} for t in _ticks(top)],
            "colours": {"range": PALETTE[0][0], "booked": PALETTE[1][0], "flag": PALETTE[1][0]},
        },
    )
