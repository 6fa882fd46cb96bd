"""The chair board's live part (what its htmx refresh swaps in), rendered once per state of the board.

Every screen showing the board asks for it every 20 s; between two writes it would render the same
quarter megabyte again. The rendered fragment is cached (``infusion_center.versioned_cache``) under the
versions of everything it shows:

* ``center:<id>``: the center row (zone, slot size), its hours, closures and chairs;
* ``protocols``: protocol codes, regimen rows (the tile's amount), prerequisites (readiness);
* ``center-day:<id>:<day>``: the day's appointments (status, stage, times, chair), chair blocks, shifts;
* ``patient:<id>`` of each patient booked that day: the name, weights, orders, authorizations, documents
  and the patient's appointments on other days (visits used, the previous dose), all of which readiness
  and the tile read;

and of the clock: today's board is computed as of the current minute (the now line, who is still in
the chair, running late), any other day's as of today's date (readiness counts days from today). A hit
is therefore the very HTML a fresh render in that minute gives. Nothing per user is inside: the
permissions, the CSRF token and the "Updated" time are rendered around the fragment, per request.

A miss (the first request after a write) rebuilds the board from what is still current: each patient's
readiness and dose amount are kept apart (``selectors.dose_notes``), so one write recomputes one
patient's; the chair rows and the staffing strips are written in Python (``_rows_html``), the template
draws the frame around them.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from chairs.models import Center
from infusion_center.versioned_cache import cached
from scheduling.invalidation import center_day_scope, patient_scope
from scheduling.planner_input import PROTOCOLS_SCOPE, center_scope
from scheduling.selectors import Board, BoardItem, board_for
from treatment.templatetags.treatment_plans import readiness_badge_html

TEMPLATE = "scheduling/booking/_board_grid.html"


def board_html(*, center: Center, day: dt.date, now: dt.datetime | None = None) -> str:
    """The board of ``center`` on ``day`` as HTML (the grid, its counts, staffing strip and legend)."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    today = now.astimezone(center.tzinfo).date()
    as_of = now.isoformat() if day == today else today.isoformat()
    day_scopes = [center_scope(center.pk), PROTOCOLS_SCOPE, center_day_scope(center.pk, day)]
    built: list[Board] = []

    def build() -> Board:
        if not built:
            built.append(board_for(center=center, day=day, now=now))
        return built[0]

    # Who is on the board changes only with that day's appointments; when it must be read again, so
    # must the board (the day changed), which says it without another query.
    patients = cached(day_scopes, f"board-patients:{center.pk}:{day}", lambda: _patients_on(build()))
    return cached(
        day_scopes + [patient_scope(pk) for pk in patients],
        f"board:{center.pk}:{day}:{as_of}",
        lambda: _render(build(), center=center, day=day),
        keep_local=False,  # a quarter megabyte a minute: Redis holds it, not every process's memory
    )


def _patients_on(board: Board) -> list[int]:
    return sorted(
        {
            item.appointment.patient_id
            for group in board.groups
            for row in group.rows
            for item in row.items
            if item.appointment is not None
        }
    )


def _render(board: Board, *, center: Center, day: dt.date) -> str:
    """The template draws the frame; the rows (300 tiles) and the staffing strips are built here."""
    context = {"board": board, "center": center, "day": day, "rows_html": mark_safe(_rows_html(board))}
    context |= {f"{name}_cells": mark_safe(html) for name, html in _strip_cells(board).items()}
    return render_to_string(TEMPLATE, context)


# The board's repetitive parts are written here rather than as nested template loops (which were half of a
# rebuild's time): the same markup, byte for byte. Every value is escaped with ``html.escape``, what the
# template's autoescaping applies to a string (& < > " '); numbers are formatted as the template did.


def _strip_cells(board: Board) -> dict[str, str]:
    """The cells of the three staffing strips: nurses on shift, patients watched, infusion starts."""
    nurses, watched, starts = [], [], []
    for s in board.slots:
        style, time = escape(s.position), escape(s.time)
        nurses.append(
            f'<div class="strip-cell{"" if s.nurses else " is-empty"}" style="{style}" '
            f'title="{time}: {s.nurses} nurse{_plural(s.nurses)} on shift">{s.nurses}</div>'
        )
        watched.append(
            _capacity_cell(
                style, s.watched, s.watch_capacity, s.is_watch_full,
                f"{time}: {s.watched} patient{_plural(s.watched)} in chairs, nurses can watch {s.watch_capacity}",
            )
        )  # fmt: skip
        starts.append(
            _capacity_cell(
                style, s.starts, s.start_capacity, s.is_start_full,
                f"{time}: {s.starts} infusion start{_plural(s.starts)} in this start window, capacity {s.start_capacity}",
            )
        )  # fmt: skip
    return {"nurses": "".join(nurses), "watched": "".join(watched), "starts": "".join(starts)}


def _capacity_cell(style: str, count: int, capacity: int, is_full: bool, title: str) -> str:
    """A strip cell of a count against its capacity (patients watched, infusion starts)."""
    state = " is-full" if is_full else ("" if count else " is-empty")
    full = " — at or over capacity" if is_full else ""
    return (
        f'<div class="strip-cell{state}" style="{style}" title="{title}{full}"><span>{count}</span>'
        f'<span class="cap">{capacity}</span></div>'
    )


# Each distinct readiness state's badge, rendered once by this process (a badge shows only the state).
_badges: dict = {}
BADGES_KEPT = 256


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _rows_html(board: Board) -> str:
    """Every chair's row with its tiles, grouped by kind (chairs, beds, rooms)."""
    if not board.groups:
        return '\n    <div class="p-3 text-body-secondary">This center has no active chairs or beds yet.</div>\n    '
    closed = '<div class="board-closed" aria-hidden="true"></div>' if board.closure or not board.is_open else ""
    if len(_badges) > BADGES_KEPT:  # states carry dates: the memo must not grow for ever
        _badges.clear()
    out: list[str] = []
    for group in board.groups:
        out.append(
            f'\n    <div class="board-group" role="row"><span role="rowheader">{escape(group.label)} '
            f"({len(group.rows)})</span></div>\n    "
        )
        for row in group.rows:
            chair = row.chair
            label = escape(chair.label)
            features = (": " + ", ".join(map(escape, chair.features)).replace("_", "")) if chair.features else ""
            out.append(
                f'\n    <div class="board-row" role="row">\n      <div class="board-label" role="rowheader" '
                f'title="{label}{features}">{label}</div>\n      <div class="board-track" role="gridcell" '
                f'data-chair-id="{chair.pk}" data-chair-label="{label}">\n        {closed}\n        '
            )
            out.extend(_block_html(item) if item.block else _tile_html(item) for item in row.items)
            out.append("\n      </div>\n    </div>\n    ")
        out.append("\n    ")
    return "".join(out)


def _block_html(item: BoardItem) -> str:
    assert item.block is not None  # only blocks come here
    return (
        f'\n        <div class="board-item board-block-item" style="{escape(item.position)}" '
        f'title="{escape(item.title)}"><span class="text-truncate">{escape(item.block.reason)}</span></div>\n        '
    )


def _tile_html(item: BoardItem) -> str:
    """One appointment's tile, and behind it the bar of its real chair time."""
    who, css = escape(item.who), escape(item.css)
    # What the tooltip and the screen reader add to the tile, in this order.
    notes = [item.actual_label, item.late_note, item.delayed_note, item.vitals_note]
    actual = ""
    if item.actual_position:
        actual = (
            f'<div class="board-item board-actual {css}" style="{escape(item.actual_position)}" '
            f'title="{who}: {escape(item.actual_label)}" aria-hidden="true"><span>{who} · '
            f"{escape(item.actual_label)}</span></div>"
        )
    classes = css + (" is-compact" if item.is_compact else "") + (" is-late" if item.late_note else "")
    classes += " is-delayed" if item.delayed_note else ""
    title = escape(item.title) + "".join(f" · {escape(note)}" for note in [item.readiness_text, *notes] if note)
    move = ""
    if item.is_movable:
        move = (
            f' draggable="true" data-move-url="{escape(item.move_href)}" data-start="{escape(item.start.isoformat())}"'
            ' aria-keyshortcuts="M"'
        )
    flags = '<span class="badge text-bg-danger late-flag">Late</span> ' if item.late_note else ""
    flags += '<span class="badge text-bg-warning vitals-flag">Vitals</span> ' if item.vitals_note else ""
    assert item.appointment is not None  # blocks are drawn by _block_html
    badge = readiness_badge_html(getattr(item.appointment, "readiness", None), _badges)
    if badge:
        flags += f"{badge} "
    hidden = "".join(f'<span class="visually-hidden"> · {escape(note)}</span>' for note in notes if note)
    return (
        f'\n        {actual}\n        <a class="board-item board-appt {classes}" href="{escape(item.href)}" '
        f'style="{escape(item.position)}" title="{title}" data-bs-toggle="tooltip"{move}>\n'
        f'          <span class="who">{who}</span>\n'
        f'          <span class="what">{flags}<span class="what-text">{escape(item.what)}</span></span>{hidden}\n'
        "        </a>"
    )
