"""Insights pages: each a chart plus the table behind it, as CSV or XLSX with ``?export=``.

For center admins and nurses; front-desk staff may read them. Scoped to the user's centers (any
other center is a 404) and to a range of local days (``from``/``to``, default the last four weeks).
The only write is a center admin's "use the observed chair time" (:mod:`insights.services`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, has_role
from chairs.selectors import centers_for
from insights import reports, selectors
from insights.period import Period, PeriodError, period_from
from insights.services import ChairTimeRefused, use_observed_chair_time
from insights.tables import csv_response, xlsx_response
from insights.today import today_for, today_tables
from scheduling.models import Protocol

TODAY_REFRESH_SECONDS = 30


class Insight:
    def __init__(self, slug: str, title: str, lead: str, build=None) -> None:
        self.slug, self.title, self.lead, self.build = slug, title, lead, build

    @property
    def url(self) -> str:
        return reverse("insights:today") if self.slug == "today" else reverse("insights:view", args=[self.slug])


INSIGHTS = [
    Insight(
        "utilization",
        "Chair utilization",
        "Weekday × time-of-day heatmap, scheduled against actual, per chair kind.",
        reports.utilization_report,
    ),
    Insight(
        "occupancy",
        "Occupancy of a day",
        "Chairs in use through a day against chairs and nurse capacity, with the weeks' average.",
        reports.occupancy_report,
    ),
    Insight(
        "nurse-load",
        "Nurse load",
        "Infusion starts per start window and patients watched, against capacity.",
        reports.nurse_load_report,
    ),
    Insight(
        "waits",
        "Waits and punctuality",
        "Arrival-to-chair waits, on-time starts and the late-running day.",
        reports.waits_report,
    ),
    Insight(
        "no-shows",
        "No-shows and late cancellations",
        "By protocol, weekday, lead time and reminder outcome.",
        reports.noshows_report,
    ),
    Insight(
        "chair-minutes",
        "Scheduled vs actual chair minutes",
        "Per protocol and dose group, flagging booked lengths that are wrong.",
        reports.chair_minutes_report,
    ),
    Insight(
        "time-to-treatment",
        "Time to treatment",
        "Order to first dose, and authorization request to approval.",
        reports.time_to_treatment_report,
    ),
    Insight(
        "template-compliance",
        "Template compliance",
        "Share of bookings placed in the booking template's slots, day by day.",
        reports.compliance_report,
    ),
    Insight("today", "Today", "The charge nurse's screen: chairs, waits, starts due, readiness, late arrivals."),
]
BY_SLUG = {i.slug: i for i in INSIGHTS}


def _require_reader(user) -> None:
    if not has_role(user, CENTER_ADMIN, NURSE, FRONT_DESK):
        raise PermissionDenied


def _bad_request(request, error: PeriodError):
    return HttpResponseBadRequest(f"{error.field}: {error.message}", content_type="text/plain; charset=utf-8")


def _context(request, period: Period, insight: Insight, **extra) -> dict:
    query = period.query()
    return {
        "insights": INSIGHTS,
        "insight": insight,
        "period": period,
        "center": period.center,
        "centers": centers_for(user=request.user),
        "query": urlencode(query),
        "can_apply": has_role(request.user, CENTER_ADMIN),
        **extra,
    }


@require_GET
def index(request):
    _require_reader(request.user)
    try:
        period = period_from(user=request.user, params=request.GET)
    except PeriodError as error:
        return _bad_request(request, error)
    return render(request, "insights/index.html", _context(request, period, None))


@require_GET
def insight_view(request, slug: str):
    _require_reader(request.user)
    insight = BY_SLUG.get(slug)
    if insight is None or insight.build is None:
        raise Http404("No such insight.")
    try:
        period = period_from(user=request.user, params=request.GET)
        report = insight.build(period, request.GET)
    except PeriodError as error:
        return _bad_request(request, error)
    export = request.GET.get("export")
    filename = f"{slug}-{period.date_from}-{period.date_to}"
    if export == "csv":
        return csv_response(tables=report.tables, filename=filename)
    if export == "xlsx":
        return xlsx_response(tables=report.tables, filename=filename)
    if export:
        return HttpResponseBadRequest("export: use csv or xlsx.", content_type="text/plain; charset=utf-8")
    return render(request, "insights/insight.html", _context(request, period, insight, report=report))


@require_GET
def today(request):
    _require_reader(request.user)
    try:
        period = period_from(user=request.user, params=request.GET)
    except PeriodError as error:
        return _bad_request(request, error)
    now = timezone.now()
    figures = today_for(center=period.center, now=now)
    tables = today_tables(figures, tz=period.center.tzinfo)
    export = request.GET.get("export")
    filename = f"today-{period.today}"
    if export == "csv":
        return csv_response(tables=tables, filename=filename)
    if export == "xlsx":
        return xlsx_response(tables=tables, filename=filename)
    if export:
        return HttpResponseBadRequest("export: use csv or xlsx.", content_type="text/plain; charset=utf-8")
    context = _context(
        request,
        period,
        BY_SLUG["today"],
        today=figures,
        tables=tables,
        refresh_seconds=TODAY_REFRESH_SECONDS,
        idle_seconds=settings.SESSION_COOKIE_AGE,
        idle_minutes=settings.SESSION_COOKIE_AGE // 60,
    )
    template = "insights/_today.html" if request.htmx else "insights/today.html"
    return render(request, template, context)


@require_POST
def apply_chair_time(request):
    """A center admin books a protocol's dose group at its observed median or 80th percentile from now on."""
    if not has_role(request.user, CENTER_ADMIN):
        raise PermissionDenied
    try:
        period = period_from(user=request.user, params=request.POST)
    except PeriodError as error:
        return _bad_request(request, error)
    basis = request.POST.get("basis")
    group = request.POST.get("group")
    if basis not in ("median", "p80"):
        return HttpResponseBadRequest("basis: use median or p80.", content_type="text/plain; charset=utf-8")
    if group not in ("first", "later"):
        return HttpResponseBadRequest("group: use first or later.", content_type="text/plain; charset=utf-8")
    try:
        protocol = get_object_or_404(Protocol, pk=int(request.POST.get("protocol", "")))
    except ValueError:
        return HttpResponseBadRequest("protocol: not a protocol id.", content_type="text/plain; charset=utf-8")
    is_first = group == "first"
    observed = next(
        (
            r
            for r in selectors.chair_minutes(period=period)
            if r["protocol_id"] == protocol.pk and r["is_first"] == is_first
        ),
        None,
    )
    back = f"{reverse('insights:view', args=['chair-minutes'])}?{urlencode(period.query())}"
    if observed is None:
        messages.error(request, "No discharged visits of that protocol and dose group in this range.")
        return redirect(back)
    minutes = round(observed[basis])
    label = "median" if basis == "median" else "80th percentile"
    try:
        use_observed_chair_time(
            actor=request.user, center=period.center, protocol=protocol, is_first=is_first, minutes=minutes, basis=label
        )
    except ChairTimeRefused as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(
        request,
        f"{protocol.code.upper()} {'first' if is_first else 'later'} doses are now booked for {minutes} min "
        f"(the observed {label}); existing appointments keep their times.",
    )
    return redirect(back)
