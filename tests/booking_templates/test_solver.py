"""The template solver: the same input gives the same template, whatever the machine's load."""

from __future__ import annotations

from booking_templates.solver import DayCapacity, solve_day_template

# A 12-chair day, 08:00–18:00 on the 15-minute grid, three starts per window, asked for about its
# chair time (the planner benchmark's equal load): CP-SAT does not prove this optimal in a fraction
# of a second, so where the search stops decides the template.
DAY = DayCapacity(
    open_minute=8 * 60,
    close_minute=18 * 60,
    slot_minutes=15,
    window_minutes=15,
    chairs=12,
    watch_capacity=[12] * 40,
    start_capacity=[3] * 40,
)
DEMAND = {315: 7.8, 135: 13.1, 105: 10.7, 75: 6.8, 45: 4.9, 285: 3.9, 165: 1.5}


def test_solving_the_same_day_twice_gives_the_same_template():
    first = solve_day_template(DAY, DEMAND, work=0.1)
    second = solve_day_template(DAY, DEMAND, work=0.1)
    # Stopped by the deterministic limit before a proof of optimality: the case a wall-clock limit
    # left to the machine's load.
    assert first.status == "FEASIBLE" and first.is_reproducible
    assert second.slots == first.slots
    assert second.patients == first.patients
