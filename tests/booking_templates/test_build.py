"""Building templates: from past bookings, from a declared mix, versioned, and kept when the solver fails."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.management import call_command

from booking_templates import services
from booking_templates.models import BookingTemplate
from booking_templates.selectors import current_templates, planner_template_for
from booking_templates.solver import SolvedTemplate
from booking_templates.tasks import build_templates_for_center
from tests.booking_templates.conftest import TODAY

pytestmark = pytest.mark.django_db
OCR_CLASS = 315  # ocrelizumab's maintenance chair time (310 min) on the 15-minute grid


def build(center, **options):
    return services.build_center_templates(center=center, today=TODAY, weeks=4, seconds=2, **options)


def test_template_from_past_bookings_keeps_the_weekday_s_starts(template_center):
    results = {r.weekday: r.outcome for r in build(template_center)}
    assert results[0] == "new version"
    assert results[2] == "no demand"  # nothing was booked on past Wednesdays
    monday = current_templates(center=template_center)[0]
    assert monday.version == 1 and monday.demand == {str(OCR_CLASS): 2.0}
    assert sum(count for _, minutes, count in monday.slots if minutes == OCR_CLASS) == 2
    # One nurse, two starts per 30-minute window: never more than two starts in a window.
    windows: dict[int, int] = {}
    for minute, _, count in monday.slots:
        windows[minute // 30] = windows.get(minute // 30, 0) + count
    assert max(windows.values()) <= 2


def test_rebuilding_an_unchanged_template_adds_no_version(template_center):
    build(template_center)
    assert {r.weekday: r.outcome for r in build(template_center)}[0] == "unchanged"
    assert BookingTemplate.objects.filter(center=template_center, weekday=0).count() == 1


def test_a_new_solution_is_a_new_version_and_the_planner_follows_the_newest(template_center):
    build(template_center)
    build(template_center, declared_mix={100: 3})
    versions = BookingTemplate.objects.filter(center=template_center, weekday=0).order_by("version")
    assert [v.version for v in versions] == [1, 2]
    template = planner_template_for(center=template_center)
    assert {slot.minutes for slot in template.slots_for(0)} == {105}
    assert sum(slot.count for slot in template.slots_for(0)) == 3


def test_the_previous_template_stays_when_the_solver_finds_nothing(template_center, monkeypatch):
    build(template_center)
    monkeypatch.setattr(services, "solve_day_template", lambda *args, **kwargs: None)
    results = {r.weekday: r for r in build(template_center, declared_mix={100: 3})}
    assert results[0].outcome == "kept previous"
    assert results[0].template.version == 1
    assert BookingTemplate.objects.filter(center=template_center, weekday=0).count() == 1


def test_a_template_the_wall_clock_cap_stopped_is_kept_and_logged(template_center, monkeypatch, caplog):
    # The cap only ends a solve on a starved machine; the builder saves what it found and says it may differ.
    stopped = SolvedTemplate(
        slots=((480, OCR_CLASS, 2),), patients=2, status="FEASIBLE", bound=2, is_reproducible=False
    )
    monkeypatch.setattr(services, "solve_day_template", lambda *args, **kwargs: stopped)
    with caplog.at_level(logging.WARNING, logger="booking_templates.services"):
        results = {r.weekday: r for r in build(template_center)}
    assert results[0].outcome == "new version" and results[0].template.slots == [[480, OCR_CLASS, 2]]
    assert "wall-clock cap stopped the solver" in caplog.text


def test_declared_mix_builds_a_new_center_s_template(center, protocol):
    # No bookings and no shifts yet: the builder assumes enough nurses to watch every chair.
    from tests.factories import ChairFactory

    for n in range(1, 4):
        ChairFactory(center=center, label=f"C0{n}")
    call_command("build_templates", "--center", str(center.pk), "--mix", "ocr=2", "45=4", "--seconds", "2")
    weekdays = current_templates(center=center)
    assert sorted(weekdays) == [0, 1, 2, 3, 4]
    assert {minutes for _, minutes, _ in weekdays[0].slots} == {OCR_CLASS, 45}
    assert weekdays[0].source == "declared"


def test_build_templates_command_refuses_an_unknown_protocol(center):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no protocol"):
        call_command("build_templates", "--mix", "zzz=2")


def test_nightly_task_builds_and_is_safe_to_run_twice(template_center, time_machine, settings):
    settings.BOOKING_TEMPLATE_SECONDS = 2
    time_machine.move_to(dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC), tick=False)
    first = build_templates_for_center(template_center.pk)
    second = build_templates_for_center(template_center.pk)
    assert first[0] == "new version" and second[0] == "unchanged"
