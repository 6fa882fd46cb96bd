"""The template page: a center admin's view of the booking template and how well bookings follow it."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from booking_templates.selectors import compliance, template_day
from chairs.roles import CENTER_ADMIN, has_role
from chairs.selectors import center_for, centers_for

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
COMPLIANCE_DAYS = 14
CHART_HEIGHT = 160
BAR_WIDTH = 12


@require_GET
@login_required
def template_page(request):
    if not has_role(request.user, CENTER_ADMIN):
        raise PermissionDenied
    center = center_for(user=request.user, center_id=request.GET.get("center"))
    if center is None:
        return render(request, "frontdesk/no_center.html")
    today = timezone.now().astimezone(center.tzinfo).date()
    errors = {}
    try:
        day = dt.date.fromisoformat(request.GET["day"]) if request.GET.get("day") else today
    except ValueError:
        errors["day"] = "Enter a date as YYYY-MM-DD."
        day = today
    plan = template_day(center=center, day=day)
    history = compliance(center=center, date_from=day - dt.timedelta(days=COMPLIANCE_DAYS - 1), date_to=day)
    context = {
        "center": center,
        "centers": centers_for(user=request.user),
        "day": day,
        "weekday": WEEKDAYS[day.weekday()],
        "plan": plan,
        "history": history,
        "errors": errors,
        "occupancy_chart": _chart(plan.slots, "planned_in_chairs", "chair_capacity"),
        "starts_chart": _chart(plan.slots, "planned_starts", "start_capacity"),
    }
    return render(request, "booking_templates/template_page.html", context, status=400 if errors else 200)


def _chart(slots, value: str, capacity: str) -> dict:
    """Bars of ``value`` per grid slot and a step line of ``capacity``, scaled for an inline SVG."""
    top = max([getattr(s, capacity) for s in slots] + [getattr(s, value) for s in slots] + [1])
    scale = CHART_HEIGHT / top
    bars, line = [], []
    for i, s in enumerate(slots):
        height = getattr(s, value) * scale
        bars.append({"x": i * BAR_WIDTH, "y": CHART_HEIGHT - height, "height": height, "slot": s})
        y = CHART_HEIGHT - getattr(s, capacity) * scale
        line.append(f"{i * BAR_WIDTH},{y:.1f} {(i + 1) * BAR_WIDTH},{y:.1f}")
    step = (slots[1].start - slots[0].start) if len(slots) > 1 else dt.timedelta(hours=1)
    per_hour = max(int(dt.timedelta(hours=1) / step), 1)
    ticks = [{"x": i * BAR_WIDTH, "label": s.start} for i, s in enumerate(slots) if i % (2 * per_hour) == 0]
    return {
        "bars": bars,
        "line": " ".join(line),
        "width": max(len(slots), 1) * BAR_WIDTH,
        "height": CHART_HEIGHT,
        "top": top,
        "ticks": ticks,
        "bar_width": BAR_WIDTH - 2,
    }
