"""The one answer to "what is this dose, and how long does it hold the chair?".

:func:`dose_plan` reads the protocol's regimen rows (amount by dose number, weight bands, rate
ladders), the patient's latest weight and the reactions to their earlier doses of the protocol, and
returns a :class:`DosePlan`: the amount, the weight it was computed from (and whether that weight is
stale), the rate ladder, the infusion and observation minutes, what earlier reactions changed, and
the whole chair time. :func:`chair_minutes` is its chair time: ``Protocol.chair_minutes`` and
``Protocol.end_of`` ask it, so booking, moving, the slot search, series, the planner's requests
and the API all book the same length.

Infusion time, in order of precedence: the weight band's time (ravulizumab), else the rate
ladder's time for the dose's volume (ublituximab, ocrelizumab, IVIG by weight, inebilizumab), else
the protocol's first- or later-dose minutes. A short-option ladder (ocrelizumab 2 h), where the
regimen uses it, is booked only when the patient never had a serious reaction to the protocol; after any reaction later doses
get the regimen's extra observation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from patients.models import Patient
    from regimens.models import DoseAmount, PatientWeight, RateLadder, Regimen, WeightBand
    from scheduling.models import Protocol

DEFAULT_WEIGHT_VALID_DAYS = 30


@dataclass(frozen=True)
class LadderStep:
    rate: Decimal
    unit: str
    minutes: int  # minutes actually run at this rate for this dose


@dataclass
class DosePlan:
    dose_number: int
    amount_mg: Decimal | None = None
    amount_label: str = ""
    weight_kg: Decimal | None = None
    weight_measured_on: dt.date | None = None
    is_weight_stale: bool = False
    needs_weight: bool = False
    infusion_minutes: int = 0
    infusion_source: str = "protocol"
    ladder_name: str = ""
    steps: list[LadderStep] = field(default_factory=list)
    # A dose of a course whose amount is a total (IVIG 2 g/kg): over how many days it is divided, and
    # whether that is the length booked (or planned) for this patient rather than the regimen's default.
    course_days: int | None = None
    is_course_length_booked: bool = False
    setup_minutes: int = 0
    premedication_minutes: int = 0
    observation_minutes: int = 0
    # What reactions to earlier doses changed (shown when the next dose is booked and at the chair).
    requirements: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def chair_minutes(self) -> int:
        return self.setup_minutes + self.premedication_minutes + self.infusion_minutes + self.observation_minutes

    @property
    def tile_text(self) -> str:
        """The dose's amount and weight for a board tile's detail: " · 600 mg · 72 kg (…)"."""
        parts = [self.amount_label, self.weight_label]
        return "".join(f" · {p}" for p in parts if p)

    @property
    def weight_label(self) -> str:
        if self.weight_kg is None:
            return "no weight" if self.needs_weight else ""
        stale = " — stale, weigh again" if self.is_weight_stale else ""
        return f"{self.weight_kg.normalize():f} kg ({self.weight_measured_on:%Y-%m-%d}){stale}"


@dataclass(frozen=True)
class RegimenRows:
    regimen: Regimen | None
    amounts: tuple[DoseAmount, ...]
    bands: tuple[WeightBand, ...]
    ladders: tuple[RateLadder, ...]


def regimen_rows(protocol: Protocol) -> RegimenRows:
    """The protocol's regimen rows: kept on the protocol instance, and in the versioned cache until a
    protocol or regimen row changes (``scheduling.invalidation`` bumps the protocols' version for every
    regimens model), so booking and availability do not read them again (five queries when they do)."""
    rows = getattr(protocol, "_regimen_rows", None)
    if rows is not None:
        return rows
    if not protocol.pk:
        rows = RegimenRows(regimen=None, amounts=(), bands=(), ladders=())
    else:
        from infusion_center.versioned_cache import cached
        from scheduling.planner_input import PROTOCOLS_SCOPE

        rows = cached([PROTOCOLS_SCOPE], f"regimen-rows:{protocol.pk}", lambda: _load_regimen_rows(protocol.pk))
    protocol._regimen_rows = rows  # type: ignore[attr-defined]
    return rows


def _load_regimen_rows(protocol_id: int) -> RegimenRows:
    from regimens.models import DoseAmount, RateLadder, Regimen, WeightBand

    return RegimenRows(
        regimen=Regimen.objects.filter(protocol_id=protocol_id).first(),
        amounts=tuple(DoseAmount.objects.filter(protocol_id=protocol_id)),
        bands=tuple(WeightBand.objects.filter(protocol_id=protocol_id)),
        ladders=tuple(RateLadder.objects.filter(protocol_id=protocol_id).prefetch_related("steps")),
    )


def forget_regimen_rows(protocol: Protocol) -> None:
    protocol.__dict__.pop("_regimen_rows", None)
    protocol.__dict__.pop("_regimen_rows_partial", None)


@dataclass(frozen=True)
class PatientFacts:
    """What the plan needs to know about the patient: latest weight and earlier reactions to the protocol."""

    weight: PatientWeight | None
    reactions: tuple  # InfusionReaction rows, each with its appointment's dose number
    courses: tuple = ()  # regimens.Course rows of the protocol: the course lengths booked


@dataclass(frozen=True)
class PlannedCourse:
    """A course being proposed (not booked yet): its doses' lengths follow from its days."""

    patient_id: int
    protocol_id: int
    first_dose: int
    days: int

    def covers(self, dose_number: int) -> bool:
        return self.first_dose <= dose_number < self.first_dose + self.days


_PLANNED_COURSE: ContextVar[PlannedCourse | None] = ContextVar("planned_course", default=None)


@contextmanager
def planning_course(*, patient: Patient, protocol: Protocol, first_dose: int, days: int) -> Iterator[None]:
    """Within this block the patient's doses ``first_dose`` … are a ``days``-long course (a proposal not
    booked yet), so the slot search books each day's real length (``regimens.courses``)."""
    token = _PLANNED_COURSE.set(PlannedCourse(patient.pk, protocol.pk, first_dose, days))
    try:
        yield
    finally:
        _PLANNED_COURSE.reset(token)


def course_days_of(*, facts: PatientFacts | None, patient_id: int | None, protocol_id: int, dose_number: int):
    """The days of the course this dose belongs to: a course being planned, else the booked one, else None."""
    planned = _PLANNED_COURSE.get()
    if (
        planned
        and (planned.patient_id, planned.protocol_id) == (patient_id, protocol_id)
        and planned.covers(dose_number)
    ):
        return planned.days
    course = next((c for c in (facts.courses if facts else ()) if c.covers(dose_number)), None)
    return course.days if course else None


_FACTS_MEMO: ContextVar[dict | None] = ContextVar("patient_facts_memo", default=None)


@contextmanager
def remembering_patient_facts() -> Iterator[None]:
    """Within this block (one booking, move or search) a patient's weight and reactions are read once
    per protocol, however often the dose's length is asked; outside it every call reads them afresh."""
    if _FACTS_MEMO.get() is not None:
        yield
        return
    token = _FACTS_MEMO.set({})
    try:
        yield
    finally:
        _FACTS_MEMO.reset(token)


def forget_patient_facts(patient: Patient, protocol: Protocol) -> None:
    """After a write that changes them (a course booked), the remembered facts are read again."""
    memo = _FACTS_MEMO.get()
    if memo is not None:
        memo.pop((patient.pk, protocol.pk), None)
        for key in [k for k in memo if k[0] == "chair_minutes" and k[1:3] == (patient.pk, protocol.pk)]:
            del memo[key]


def patient_facts(patient: Patient, protocol: Protocol) -> PatientFacts:
    memo = _FACTS_MEMO.get()
    if memo is None:
        return _read_patient_facts(patient, protocol)
    key = (patient.pk, protocol.pk)
    if key not in memo:
        memo[key] = _read_patient_facts(patient, protocol)
    return memo[key]


# One statement in the usual case: the latest weight and whether any reaction to the protocol (or a
# booked course of it) exists; the reactions and courses themselves are read only when there are some.
# Plain SQL: every booking and slot search asks it, and composing it through the ORM cost more CPU
# than the rest of the dose plan.
_FACTS_SQL = """
SELECT w.id, w.kg, w.measured_on,
       EXISTS (SELECT 1 FROM {reaction} r WHERE r.patient_id = %(patient)s AND r.protocol_id = %(protocol)s),
       EXISTS (SELECT 1 FROM {course} c WHERE c.patient_id = %(patient)s AND c.protocol_id = %(protocol)s)
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
      SELECT id, kg, measured_on FROM {weight}
       WHERE patient_id = %(patient)s ORDER BY measured_on DESC, recorded_at DESC LIMIT 1
  ) AS w ON TRUE
"""


def _read_patient_facts(patient: Patient, protocol: Protocol) -> PatientFacts:
    from django.db import connection

    from chairside.models import InfusionReaction
    from regimens.models import Course, PatientWeight

    sql = _FACTS_SQL.format(
        reaction=InfusionReaction._meta.db_table, course=Course._meta.db_table, weight=PatientWeight._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"patient": patient.pk, "protocol": protocol.pk})
        weight_id, kg, measured_on, reacted, has_course = cursor.fetchone()
    weight = None
    if weight_id is not None:
        weight = PatientWeight(pk=weight_id, patient=patient, kg=kg, measured_on=measured_on)
    reactions: tuple = ()
    if reacted:
        reactions = tuple(
            InfusionReaction.objects.filter(patient=patient, protocol=protocol)
            .select_related("appointment")
            .order_by("onset_at")
        )
    courses = tuple(Course.objects.filter(patient=patient, protocol=protocol)) if has_course else ()
    return PatientFacts(weight=weight, reactions=reactions, courses=courses)


def _fmt(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('1')) if value >= 100 else value.quantize(Decimal('0.1')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dose_plan(
    *,
    protocol: Protocol,
    dose_number: int,
    patient: Patient | None = None,
    on: dt.date | None = None,
    facts: PatientFacts | None = None,
) -> DosePlan:
    """The amount, rate ladder and chair time of one dose (for this patient, when known), on day ``on``."""
    rows = regimen_rows(protocol)
    if facts is None and patient is not None and patient.pk:
        facts = patient_facts(patient, protocol)
    on = on or timezone.localdate()
    plan = DosePlan(
        dose_number=dose_number,
        setup_minutes=protocol.setup_minutes,
        premedication_minutes=protocol.premedication_minutes,
        observation_minutes=protocol.observation_minutes_for(dose_number),
        infusion_minutes=protocol.infusion_minutes(dose_number),
    )
    earlier = [r for r in (facts.reactions if facts else ()) if r.appointment.dose_number < dose_number]
    had_serious = any(r.is_serious for r in earlier)
    _weigh(plan, rows, facts, on, dose_number)
    band = next((b for b in rows.bands if b.covers(dose_number)), None)
    amount = next((a for a in rows.amounts if a.covers(dose_number)), None)
    if band is not None:
        _plan_by_band(plan, rows, dose_number)
    elif amount is not None:
        course_days = None
        if amount.is_course_total:
            course_days = course_days_of(
                facts=facts,
                patient_id=patient.pk if patient else None,
                protocol_id=protocol.pk,
                dose_number=dose_number,
            )
            plan.course_days = amount.days_for(course_days)
            plan.is_course_length_booked = course_days is not None
            outside = [c for c in (facts.courses if facts else ()) if amount.covers(c.first_dose)]
            if course_days is None and outside:
                course = outside[0]
                plan.problems.append(
                    f"Dose {dose_number} comes after the {course.days}-day course booked (doses {course.first_dose}–"
                    f"{course.last_dose}): it is not part of that course; check the order's dose numbers."
                )
        plan.amount_mg = amount.per_infusion_mg(plan.weight_kg, course_days)
        plan.needs_weight = plan.needs_weight or amount.is_by_weight
        plan.amount_label = _amount_label(amount, plan)
    uses_short = bool(rows.regimen and rows.regimen.uses_short_option)
    ladder = _choose_ladder(rows, dose_number, had_serious=had_serious, uses_short=uses_short, plan=plan)
    if ladder is not None and band is None:
        _run_ladder(plan, ladder)
    if earlier:
        regimen = rows.regimen
        extra = regimen.reaction_observation_minutes if regimen else 30
        worst = max(earlier, key=lambda r: (r.grade, r.onset_at))
        plan.requirements.append(
            f"Reaction at dose {worst.appointment.dose_number} (grade {worst.grade}): observe {extra} min longer."
        )
        plan.observation_minutes += extra
        for reaction in earlier:
            if reaction.premedication_change:
                plan.requirements.append(
                    f"Pre-medication changed after dose {reaction.appointment.dose_number}: {reaction.premedication_change}."
                )
    if plan.needs_weight and plan.weight_kg is None:
        plan.problems.append("No weight recorded: weigh the patient before the dose is prepared.")
    elif plan.needs_weight and plan.is_weight_stale:
        plan.problems.append(f"Weight measured {plan.weight_measured_on:%Y-%m-%d} is stale: weigh the patient again.")
    return plan


def _weigh(plan: DosePlan, rows: RegimenRows, facts: PatientFacts | None, on: dt.date, dose_number: int) -> None:
    weight = facts.weight if facts else None
    if weight is None:
        return
    valid_days = rows.regimen.weight_valid_days if rows.regimen else DEFAULT_WEIGHT_VALID_DAYS
    plan.weight_kg = weight.kg
    plan.weight_measured_on = weight.measured_on
    plan.is_weight_stale = (on - weight.measured_on).days > valid_days


def _plan_by_band(plan: DosePlan, rows: RegimenRows, dose_number: int) -> None:
    plan.needs_weight = True
    if plan.weight_kg is None:
        plan.amount_label = "by weight band: no weight"
        return
    fitting = next((b for b in rows.bands if b.covers(dose_number) and b.fits(plan.weight_kg)), None)
    if fitting is None:
        plan.amount_label = "no weight band fits"
        plan.problems.append(f"No weight band covers {plan.weight_kg.normalize():f} kg for dose {dose_number}.")
        return
    plan.amount_mg = Decimal(fitting.amount_mg)
    plan.amount_label = f"{fitting.amount_mg} mg"
    plan.infusion_minutes = fitting.infusion_minutes
    plan.infusion_source = "weight band"


def _amount_label(amount: DoseAmount, plan: DosePlan) -> str:
    days = plan.course_days or 1
    per_day = amount.amount / days
    over = f"; {_fmt(amount.amount)} {amount.unit} over {days} days" if days > 1 else ""
    if not amount.is_by_weight:
        return f"{_fmt(per_day)} mg{over}"
    unit = amount.unit
    rate = f"{_fmt(per_day)} {unit}{over}"
    if plan.amount_mg is None:
        return f"{rate}: no weight"
    shown = f"{_fmt(plan.amount_mg / 1000)} g" if unit == "g/kg" else f"{_fmt(plan.amount_mg)} mg"
    return f"{shown} ({rate})"


def _choose_ladder(
    rows: RegimenRows, dose_number: int, *, had_serious: bool, uses_short: bool, plan: DosePlan
) -> RateLadder | None:
    covering = [ladder for ladder in rows.ladders if ladder.covers(dose_number)]
    short = [ladder for ladder in covering if ladder.is_short_option and uses_short]
    standard = [ladder for ladder in covering if not ladder.is_short_option]
    for ladder in short:
        if ladder.requires_no_serious_reaction and had_serious:
            plan.requirements.append(f"{ladder.name} withdrawn after a serious reaction: standard rate.")
            continue
        return ladder
    return standard[0] if standard else None


def _run_ladder(plan: DosePlan, ladder: RateLadder) -> None:
    """Infusion minutes from the ladder's steps until the dose's volume is in."""
    weight = plan.weight_kg
    per_kg = ladder.rate_unit == "mL/kg/h"
    if ladder.volume_ml:
        volume = Decimal(ladder.volume_ml)
    elif ladder.concentration_mg_per_ml and plan.amount_mg is not None:
        volume = plan.amount_mg / ladder.concentration_mg_per_ml
    else:
        return  # the volume depends on a weight not known: the protocol's minutes stand
    if per_kg and weight is None:
        return
    left = volume
    minutes_total = Decimal(0)
    steps = list(ladder.steps.all())
    for index, step in enumerate(steps):
        rate = step.rate * (weight if per_kg and weight is not None else 1)  # mL/h
        last = index == len(steps) - 1 or step.minutes is None
        step_minutes = Decimal(step.minutes) if step.minutes is not None and not last else None
        capacity = rate * step_minutes / 60 if step_minutes is not None else None
        if capacity is not None and capacity < left:
            left -= capacity
            minutes_total += step_minutes  # type: ignore[operator]
            plan.steps.append(LadderStep(step.rate, ladder.rate_unit, int(step_minutes)))  # type: ignore[arg-type]
            continue
        run = left / rate * 60
        minutes_total += run
        plan.steps.append(LadderStep(step.rate, ladder.rate_unit, math.ceil(run)))
        left = Decimal(0)
        break
    if left > 0:
        return  # a ladder that never empties the bag: keep the protocol's minutes
    plan.infusion_minutes = max(1, math.ceil(minutes_total))
    plan.infusion_source = "rate ladder"
    plan.ladder_name = ladder.name


def chair_minutes(
    *, protocol: Protocol, dose_number: int, patient: Patient | None = None, on: dt.date | None = None
) -> int:
    """The whole chair time of the dose: what every path books (see the module docstring).

    Within :func:`remembering_patient_facts` (a booking asks it four times: the end, the placement
    span, the re-check, the answer) it is worked out once per dose, patient, day and protocol values."""
    memo = _FACTS_MEMO.get()
    if memo is None or patient is None or not patient.pk:
        return dose_plan(protocol=protocol, dose_number=dose_number, patient=patient, on=on).chair_minutes
    key = (
        "chair_minutes",
        patient.pk,
        protocol.pk,
        dose_number,
        on or timezone.localdate(),
        # Everything of the protocol (a center's view of it included) that the plan reads besides its
        # regimen rows, which are the protocol's own.
        protocol.setup_minutes,
        protocol.premedication_minutes,
        protocol.observation_minutes_for(dose_number),
        protocol.infusion_minutes(dose_number),
        _PLANNED_COURSE.get(),  # a course being proposed sets its doses' lengths (series booking)
    )
    if key not in memo:
        memo[key] = dose_plan(protocol=protocol, dose_number=dose_number, patient=patient, on=on).chair_minutes
    return memo[key]
