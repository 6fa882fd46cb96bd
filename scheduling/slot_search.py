"""The one slot search: where a dose can go, for every caller that asks.

The slot finder and the move page, the API's availability, the late-arrival page, series booking and
the waiting room's seat choices all ask here, so they agree with each other and with booking:
``find_candidates`` builds the planner request from the protocol and dose, runs the pure planner and
leaves out the times the patient is already booked (which ``book_appointment`` would refuse with
``patient_busy``) and the days the patient's series does not allow (``dose_rules``: dose order and
spacing, searched only where they allow), beds only for a patient who needs one, and the chairs the
patient prefers first (``chair_preference``); ``seat_choices`` lists the chairs a waiting patient may be seated on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from chairs.models import Center, Chair
from chairs.selectors import day_bounds
from infusion_center import versioned_cache
from patients.models import Patient
from regimens.dosing import remembering_patient_facts
from scheduling import chair_preference, dose_rules, planner
from scheduling.models import Appointment, Protocol
from scheduling.planner_input import planner_input_for, slot_request_for
from scheduling.protocol_settings import protocol_for_center


@remembering_patient_facts()
def find_candidates(
    *,
    center: Center,
    protocol: Protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    patient: Patient | None = None,
    time_of_day: str = "any",
    weekdays: frozenset[int] | None = None,
    exclude_appointment_id: int | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
    planner_input: planner.PlannerInput | None = None,
    dose_patient: Patient | None = None,
) -> planner.PlanResult:
    """The planner's best ``limit`` candidates for the dose, none at a time the patient is already booked.

    ``planner_input`` lets a caller search a schedule it changed in memory (series booking adds the
    doses it proposed); otherwise the center's schedule over the range is loaded. The dose's length is
    the patient's (``regimens.dosing``: weight band, rate ladder, earlier reactions); ``dose_patient``
    names whose dose it is when ``patient`` is not given (series booking screens the patient itself). Times before
    ``now`` (default: the current time) are never offered.
    """
    protocol = protocol_for_center(protocol, center)
    # The patient's series allows only some days (dose order and spacing: dose_rules); search those.
    screens_series = patient is not None and planner_input is None
    if patient is not None and planner_input is None:
        narrowed = dose_rules.clamp_search(
            patient_id=patient.pk,
            protocol=protocol,
            dose_number=dose_number,
            date_from=date_from,
            date_to=date_to,
            tz=center.tzinfo,
            exclude_appointment_id=exclude_appointment_id,
        )
        if narrowed[0] <= narrowed[1]:
            date_from, date_to = narrowed
    not_before = _next_minute(now or timezone.now())
    if patient is None and dose_patient is None and planner_input is None:
        # Without a patient (the API's availability, the pages' first search): the range in growing
        # chunks, the answer cached per center-day version.
        search = _Search(
            center=center,
            protocol=protocol,
            dose_number=dose_number,
            time_of_day=time_of_day or "any",
            weekdays=frozenset(weekdays) if weekdays else None,
            exclude_appointment_id=exclude_appointment_id,
            limit=limit,
            not_before=not_before,
        )
        return _cached_search(search, date_from, date_to)
    pin = planner_input or planner_input_for(center=center, date_from=date_from, date_to=date_to)
    request = slot_request_for(
        protocol=protocol,
        dose_number=dose_number,
        date_from=date_from,
        date_to=date_to,
        preferred_time_of_day=time_of_day,
        preferred_weekdays=weekdays,
        exclude_appointment_id=exclude_appointment_id,
        # Ask for more when the patient's own bookings may strike some candidates out.
        limit=min(planner.MAX_LIMIT, limit * 3) if patient is not None else limit,
        not_before=not_before,
        patient=patient or dose_patient,
    )
    request = dataclasses.replace(request, required_kind=chair_preference.required_kind(request.required_kind, patient))
    result = planner.find_slots(pin, request)
    if (preferred := chair_preference.preferred_request(request, patient)) is not None:
        result = chair_preference.preferred_first(planner.find_slots(pin, preferred), result)
    if patient is None:
        return result
    busy = _patient_busy(
        # Candidates start within the range and may end the day after it.
        *day_bounds(center=center, day=date_from, last_day=date_to + dt.timedelta(days=1)),
        patient=patient,
        exclude_appointment_id=exclude_appointment_id,
    )
    candidates = [c for c in result.candidates if not any(s < c.end and c.start < e for s, e in busy)]
    result = dataclasses.replace(result, candidates=tuple(candidates))
    if screens_series:
        result = dose_rules.screen_plan(
            result,
            patient_id=patient.pk,
            protocol=protocol,
            dose_number=dose_number,
            tz=center.tzinfo,
            exclude_appointment_id=exclude_appointment_id,
        )
    return dataclasses.replace(result, candidates=result.candidates[:limit])


def _next_minute(moment: dt.datetime) -> dt.datetime:
    """``moment`` rounded up to the minute: starts lie on whole minutes, so "not before" means the same,
    and an answer can be cached for the rest of the minute."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + dt.timedelta(minutes=1)


# Availability loads the range in growing chunks and stops once the candidates found cannot be beaten
# by later days (as the planner itself stops scanning): the first day usually answers, so the cost
# does not grow with the range or the center's bookings beyond it. Each chunk loads only the bookings
# and blocks of its own local days (every placement the planner weighs lies inside them). After the
# first day, chunks of 8, 32, 128 days: at most four for the longest range searched (91 days), as before.
FIRST_CHUNK_DAYS = 1
SECOND_CHUNK_DAYS = 8
CHUNK_GROWTH = 4


@dataclasses.dataclass(frozen=True)
class _Search:
    center: Center
    protocol: Protocol
    dose_number: int
    time_of_day: str
    weekdays: frozenset[int] | None
    exclude_appointment_id: int | None
    limit: int
    not_before: dt.datetime

    def _misses(self, candidate: planner.Candidate) -> tuple[int, int]:
        """The ranking's first two keys (planner module docstring): weekday and time-of-day misses."""
        local = candidate.start.astimezone(self.center.tzinfo)
        weekday_miss = int(local.date().weekday() not in self.weekdays) if self.weekdays else 0
        is_morning = local.time() < planner.MORNING_ENDS
        want = self.time_of_day
        time_miss = int((want == "morning" and not is_morning) or (want == "afternoon" and is_morning))
        return weekday_miss, time_miss

    def run(self, date_from: dt.date, date_to: dt.date) -> planner.PlanResult:
        """The planner's answer over the whole range, as one ``find_slots`` over it would give it:
        the same candidates in the same order and a report for the same days examined."""
        found: list[tuple[tuple[int, int], planner.Candidate]] = []
        reports: list[planner.DayReport] = []
        perfect = 0
        first, size = date_from, FIRST_CHUNK_DAYS
        while first <= date_to and perfect < self.limit:
            last = min(first + dt.timedelta(days=size - 1), date_to)
            pin = planner_input_for(
                center=self.center,
                date_from=first,
                date_to=last,
                span=day_bounds(center=self.center, day=first, last_day=last),
            )
            request = slot_request_for(
                protocol=self.protocol,
                dose_number=self.dose_number,
                date_from=first,
                date_to=last,
                preferred_time_of_day=self.time_of_day,
                preferred_weekdays=self.weekdays,
                exclude_appointment_id=self.exclude_appointment_id,
                limit=self.limit,
                not_before=self.not_before,
            )
            result = planner.find_slots(pin, request)
            enough_on = None  # the day the candidates without a miss reach the limit, counting every chunk
            for candidate in result.candidates:
                misses = self._misses(candidate)
                found.append((misses, candidate))
                if misses == (0, 0):
                    perfect += 1
                    if perfect == self.limit:
                        enough_on = candidate.start.astimezone(self.center.tzinfo).date()
            # The chunk's search counted only its own candidates: the whole range's stops after that day.
            reports += [report for report in result.days if enough_on is None or report.day <= enough_on]
            first, size = last + dt.timedelta(days=1), max(size * CHUNK_GROWTH, SECOND_CHUNK_DAYS)
        # Each chunk's candidates are in the planner's order and the chunks in date order, so a
        # stable sort on the misses alone gives the planner's order over the whole range. (Its
        # candidates without a miss come first, by day: a chunk's first ``limit`` hold the ones counted.)
        found.sort(key=lambda item: item[0])
        return planner.PlanResult(tuple(c for _, c in found[: self.limit]), tuple(reports))


def _protocol_values(protocol: Protocol) -> tuple:
    """What the search reads from the protocol (the center's own values applied), without a query."""
    return (
        getattr(protocol, "settings_center_id", None),
        protocol.setup_minutes,
        protocol.premedication_minutes,
        protocol.first_dose_infusion_minutes,
        protocol.later_dose_infusion_minutes,
        protocol.observation_minutes,
        protocol.initial_dose_count,
        protocol.required_chair_kind,
        tuple(sorted(protocol.required_features)),
    )


def _cached_search(search: _Search, date_from: dt.date, date_to: dt.date) -> planner.PlanResult:
    """``search.run``, cached under the versions of the center and of every local day of the range
    (bookings, blocks and shifts bump their days: ``scheduling.invalidation``); the planner is pure,
    so the same input gives the same answer."""
    from scheduling.invalidation import center_day_scope
    from scheduling.planner_input import PROTOCOLS_SCOPE, addon_reserve_for, center_scope

    center_id = search.center.pk
    days = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    scopes = [center_scope(center_id), PROTOCOLS_SCOPE, *(center_day_scope(center_id, day) for day in days)]
    name = (
        f"availability:{center_id}:{search.protocol.pk}:{search.dose_number}:"
        # the center's own protocol values (protocol_settings) are part of the question
        f"{_protocol_values(search.protocol)}:{date_from}:{date_to}:"
        f"{search.time_of_day}:{sorted(search.weekdays or ())}:{search.exclude_appointment_id}:{search.limit}:"
        f"{search.not_before.isoformat()}:"
        # the add-on reserve is released by the clock (the day before's release time), not by a write
        f"{sorted(addon_reserve_for(search.center, date_from, date_to).items())}"
    )
    return versioned_cache.cached(scopes, name, lambda: search.run(date_from, date_to))


def _patient_busy(
    start: dt.datetime, end: dt.datetime, *, patient: Patient, exclude_appointment_id: int | None
) -> list[tuple[dt.datetime, dt.datetime]]:
    return list(
        Appointment.objects.active()
        .filter(patient=patient, start__lt=end, end__gt=start)
        .exclude(pk=exclude_appointment_id)
        .values_list("start", "end")
    )


@remembering_patient_facts()
def seat_choices(
    *, appointments: Iterable[Appointment], chairs: list[Chair], pin: planner.PlannerInput
) -> dict[int, list[Chair]]:
    """For each appointment, the chairs it may be seated on: its own, then other free ones that fit.

    Other chairs come same kind as booked first (a chair for a chair), then by label.
    """
    choices = {}
    for appointment in appointments:
        protocol = appointment.protocol
        others = [
            chair
            for chair in chairs
            if chair.pk != appointment.chair_id
            and not planner.check_placement(
                pin,
                chair_id=chair.pk,
                start=appointment.start,
                chair_minutes=appointment.chair_minutes,
                required_kind=chair_preference.required_kind(protocol.required_chair_kind, appointment.patient),
                required_features=frozenset(protocol.required_features),
                exclude_appointment_id=appointment.pk,
            )
        ]
        others.sort(key=lambda chair: (chair.kind != appointment.chair.kind, chair.label))
        choices[appointment.pk] = [appointment.chair, *others]
    return choices
