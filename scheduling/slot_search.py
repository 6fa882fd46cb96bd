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
from patients.models import Patient
from scheduling import chair_preference, dose_rules, planner
from scheduling.models import Appointment, Protocol
from scheduling.planner_input import planner_input_for, slot_request_for
from scheduling.protocol_settings import protocol_for_center


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
        not_before=now or timezone.now(),
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


def _patient_busy(
    start: dt.datetime, end: dt.datetime, *, patient: Patient, exclude_appointment_id: int | None
) -> list[tuple[dt.datetime, dt.datetime]]:
    return list(
        Appointment.objects.active()
        .filter(patient=patient, start__lt=end, end__gt=start)
        .exclude(pk=exclude_appointment_id)
        .values_list("start", "end")
    )


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
