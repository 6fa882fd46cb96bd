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
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone

from chairs.models import Center
from infusion_center.versioned_cache import cached
from scheduling.invalidation import center_day_scope, patient_scope
from scheduling.planner_input import PROTOCOLS_SCOPE, center_scope
from scheduling.selectors import Board, board_for

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
        lambda: render_to_string(TEMPLATE, {"board": build(), "center": center, "day": day}),
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
