"""FHIR R4 endpoints under /fhir/r4/: read and search every resource type, and the Appointment writes.

Each view only parses the request, asks the selectors or services every other path uses (the one slot
search ``scheduling.slot_search.find_candidates``, the booking service and ``transition()`` through
``fhir.booking``), and shapes the answer with ``fhir.resources``. Everything is scoped to the user's
centers: another center's resource is a 404, as in the REST API. Unknown search parameters are ignored
(the specification's lenient handling); known ones with a bad value are a 400 OperationOutcome.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, permissions

from chairs.models import Center, Chair
from chairs.roles import NURSE
from fhir_r4 import booking, resources, search
from fhir_r4.capability import capability_statement
from fhir_r4.http import FhirResponse, FhirView, page_parameters, searchset
from fhir_r4.models import AppointmentIdentifier
from infusion_center.api_common import user_center_ids
from patients.models import Patient
from scheduling import planner
from scheduling.models import Appointment, Protocol
from scheduling.planner_input import check_dose_placement, planner_input_for
from scheduling.protocol_settings import protocol_for_center
from scheduling.slot_search import find_candidates
from treatment.models import AuthorizationStatus, Order, PriorAuthorization

UTC = zoneinfo.ZoneInfo("UTC")
MAX_SLOT_DAYS = 90
DEFAULT_SLOT_DAYS = 14


def _tz(request) -> dt.tzinfo:
    """The time zone a date without a time means: the user's (first) center's."""
    center = Center.objects.filter(pk__in=user_center_ids(request.user)).order_by("pk").first()
    return center.tzinfo if center else UTC


def _ids(request, ids: list[str], name: str = "_id") -> list[int]:
    return search.integer_ids(name, ids)


class MetadataView(FhirView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    def get(self, request):
        return FhirResponse(capability_statement(base=self.base_url(request)))


class _SearchView(FhirView):
    resource_type = ""

    def page(self, request, rows, to_resource) -> FhirResponse:
        count, offset = page_parameters(request.GET)
        total = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
        chunk = list(rows[offset : offset + count]) if count else []
        return FhirResponse(
            searchset(
                request,
                base=self.base_url(request),
                resource_type=self.resource_type,
                resources=to_resource(chunk),
                total=total,
                count=count,
                offset=offset,
            )
        )


# --- Patient ---------------------------------------------------------------------------------------


class PatientView(_SearchView):
    resource_type = "Patient"
    perms = {"GET": ("patients.view_patient",)}

    def rows(self, request):
        return Patient.objects.filter(center_id__in=user_center_ids(request.user)).select_related("center")

    def get(self, request, pk: str | None = None):
        if pk is not None:
            row = self.rows(request).filter(pk=_ids(request, [pk], "id")[0]).first()
            if row is None:
                raise Http404("No such Patient among your centers.")
            return FhirResponse(resources.patient(row))
        params = request.GET
        rows = self.rows(request).order_by("pk")
        if params.get("_id"):
            rows = rows.filter(pk__in=_ids(request, search.tokens(params, "_id")))
        for system, value in search.token_pairs(params, "identifier"):
            if system not in (None, resources.MRN_SYSTEM):
                rows = rows.none()
            rows = rows.filter(mrn__iexact=value)
        for value in search.text_filter(params, "family"):
            rows = rows.filter(last_name__istartswith=value)
        for value in search.text_filter(params, "given"):
            rows = rows.filter(first_name__istartswith=value)
        for value in search.text_filter(params, "name"):
            rows = rows.filter(Q(first_name__icontains=value) | Q(last_name__icontains=value))
        for when in search.date_ranges(params, "birthdate", tz=UTC):
            rows = rows.filter(_date_condition(when, "date_of_birth"))
        rows = rows.filter(search.date_conditions(params, "_lastUpdated", "updated_at", tz=_tz(request)))
        return self.page(request, rows, lambda chunk: [resources.patient(r) for r in chunk])


def _date_condition(when: search.DateRange, field: str) -> Q:
    """A date prefix on a date column (the interval's days)."""
    start, end = when.start.date(), when.end.date()
    return {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "gt": Q(**{f"{field}__gte": end}),
        "le": Q(**{f"{field}__lt": end}),
        "lt": Q(**{f"{field}__lt": start}),
    }[when.prefix]


# --- Practitioner ----------------------------------------------------------------------------------


class PractitionerView(_SearchView):
    resource_type = "Practitioner"
    perms = {"GET": ("scheduling.view_appointment",)}

    def everyone(self, request) -> list[dict]:
        centers = user_center_ids(request.user)
        nurses = User.objects.filter(groups__name=NURSE, centers__in=centers).distinct().order_by("pk")
        names = sorted(
            set(Order.objects.filter(patient__center_id__in=centers).values_list("ordering_provider", flat=True))
        )
        return [resources.nurse(n) for n in nurses] + [resources.provider(name) for name in names if name.strip()]

    def get(self, request, pk: str | None = None):
        everyone = self.everyone(request)
        if pk is not None:
            found = next((p for p in everyone if p["id"] == pk), None)
            if found is None:
                raise Http404("No such Practitioner among your centers.")
            return FhirResponse(found)
        wanted_ids = search.tokens(request.GET, "_id")
        if wanted_ids:
            everyone = [p for p in everyone if p["id"] in wanted_ids]
        for value in search.text_filter(request.GET, "name"):
            everyone = [p for p in everyone if value.lower() in p["name"][0].get("text", "").lower()]
        return self.page(request, everyone, lambda chunk: chunk)


# --- Location, Schedule ----------------------------------------------------------------------------


def _chairs(request):
    return Chair.objects.filter(center_id__in=user_center_ids(request.user)).select_related("center")


class LocationView(_SearchView):
    resource_type = "Location"
    perms = {"GET": ("chairs.view_chair",)}

    def get(self, request, pk: str | None = None):
        centers = Center.objects.filter(pk__in=user_center_ids(request.user)).order_by("pk")
        chairs = _chairs(request).order_by("center_id", "position", "label")
        if pk is not None:
            if pk.startswith("chair-"):
                chair = chairs.filter(pk=search.prefixed_ids("id", [pk], "chair-")[0]).first()
                if chair is not None:
                    return FhirResponse(resources.chair_location(chair))
            elif pk.isdigit() and len(pk) < 18:
                center = centers.filter(pk=int(pk)).first()
                if center is not None:
                    return FhirResponse(resources.center_location(center))
            raise Http404("No such Location among your centers.")
        params = request.GET
        wanted = search.tokens(params, "_id")
        parents = search.reference_ids(params, "partof", "Location")
        if parents:
            centers = centers.none()
            chairs = chairs.filter(center_id__in=_ids(request, parents, "partof"))
        if wanted:
            centers = centers.filter(pk__in=[int(w) for w in wanted if w.isdigit() and len(w) < 18])
            chairs = chairs.filter(pk__in=[int(w[6:]) for w in wanted if w.startswith("chair-") and w[6:].isdigit()])
        for value in search.text_filter(params, "name"):
            centers = centers.filter(name__icontains=value)
            chairs = chairs.filter(Q(label__icontains=value) | Q(center__name__icontains=value))
        everything = [resources.center_location(c) for c in centers] + [resources.chair_location(c) for c in chairs]
        return self.page(request, everything, lambda chunk: chunk)


class ScheduleView(_SearchView):
    resource_type = "Schedule"
    perms = {"GET": ("chairs.view_chair",)}

    def get(self, request, pk: str | None = None):
        chairs = _chairs(request).order_by("center_id", "position", "label")
        if pk is not None:
            chair = chairs.filter(pk=_ids(request, [pk], "id")[0]).first()
            if chair is None:
                raise Http404("No such Schedule among your centers.")
            return FhirResponse(resources.schedule(chair))
        params = request.GET
        if params.get("_id"):
            chairs = chairs.filter(pk__in=_ids(request, search.tokens(params, "_id")))
        actors = search.reference_ids(params, "actor", "Location")
        if actors:
            chair_ids = [int(a[6:]) for a in actors if a.startswith("chair-") and a[6:].isdigit()]
            center_ids = [int(a) for a in actors if a.isdigit() and len(a) < 18]
            chairs = chairs.filter(Q(pk__in=chair_ids) | Q(center_id__in=center_ids))
        active = params.get("active")
        if active is not None:
            if active not in ("true", "false"):
                raise exceptions.ValidationError({"active": ["Use true or false."]})
            chairs = chairs.filter(is_active=active == "true")
        return self.page(request, chairs, lambda chunk: [resources.schedule(c) for c in chunk])


# --- Slot ------------------------------------------------------------------------------------------


class SlotView(_SearchView):
    resource_type = "Slot"
    perms = {"GET": ("scheduling.view_appointment",)}

    def get(self, request, pk: str | None = None):
        if pk is not None:
            return FhirResponse(self.read(request, pk))
        return self.search(request)

    def read(self, request, pk: str) -> dict:
        parsed = resources.parse_slot_id(pk)
        if parsed is None:
            raise Http404("No such Slot.")
        chair_id, start, protocol_id, dose = parsed
        chair = _chairs(request).filter(pk=chair_id).first()
        protocol = Protocol.objects.filter(pk=protocol_id).first()
        if chair is None or protocol is None or not 1 <= dose <= 100:
            raise Http404("No such Slot among your centers.")
        day = start.astimezone(chair.center.tzinfo).date()
        refusals = check_dose_placement(
            planner_input_for(center=chair.center, date_from=day, date_to=day),
            protocol=protocol,
            dose_number=dose,
            chair_id=chair.pk,
            start=start,
        )
        return resources.slot(
            chair=chair,
            protocol=protocol,
            dose_number=dose,
            start=start,
            end=protocol_for_center(protocol, chair.center).end_of(start, dose),
            is_free=not refusals and start >= timezone.now(),
            comment=" ".join(r.message for r in refusals),
        )

    def search(self, request):
        params = request.GET
        schedules = search.reference_ids(params, "schedule", "Schedule")
        if not schedules:
            raise exceptions.ValidationError({"schedule": ["Give the chairs' schedules, e.g. schedule=Schedule/7."]})
        chairs = list(_chairs(request).filter(pk__in=_ids(request, schedules, "schedule"), is_active=True))
        codes = search.tokens(params, "service-type")
        if len(codes) != 1:
            raise exceptions.ValidationError({"service-type": ["Give one protocol code, e.g. service-type=ocr."]})
        protocol = Protocol.objects.filter(code=codes[0], is_active=True).first()
        if protocol is None:
            raise exceptions.ValidationError({"service-type": [f"No active protocol has the code “{codes[0][:32]}”."]})
        centers = {c.center_id for c in chairs}
        if len(centers) > 1:
            raise exceptions.ValidationError({"schedule": ["Give schedules of one center."]})
        status = search.tokens(params, "status")
        if not chairs or (status and "free" not in status):
            return self.page(request, [], lambda chunk: chunk)
        center = chairs[0].center
        patient = None
        patients = search.reference_ids(params, "patient", "Patient")
        if patients:
            patient = Patient.objects.filter(center=center, pk__in=_ids(request, patients[:1], "patient")).first()
            if patient is None:
                raise exceptions.ValidationError({"patient": ["No such patient at this center."]})
        dose = params.get("dose-number")
        if dose is not None and (not dose.isdigit() or not 1 <= int(dose) <= 100):
            raise exceptions.ValidationError({"dose-number": ["Give a dose number from 1 to 100."]})
        dose_number = int(dose) if dose else booking.next_dose_number(patient, protocol) if patient else 1
        ranges = search.date_ranges(params, "start", tz=center.tzinfo)
        date_from, date_to = _local_days(ranges, center)
        result = find_candidates(
            center=center,
            protocol=protocol,
            dose_number=dose_number,
            date_from=date_from,
            date_to=date_to,
            patient=patient,
            limit=planner.MAX_LIMIT,
        )
        by_id = {c.pk: c for c in chairs}
        found = sorted(
            (c for c in result.candidates if c.chair_id in by_id and all(r.matches(c.start) for r in ranges)),
            key=lambda c: (c.start, by_id[c.chair_id].label),
        )
        return self.page(
            request,
            found,
            lambda chunk: [
                resources.slot(
                    chair=by_id[c.chair_id],
                    protocol=protocol,
                    dose_number=dose_number,
                    start=c.start,
                    end=c.end,
                    is_free=True,
                    comment=c.reason,
                )
                for c in chunk
            ],
        )


def _local_days(ranges: list[search.DateRange], center: Center) -> tuple[dt.date, dt.date]:
    """The center's local days the ``start`` parameters span (default: today and the next 13 days)."""
    tz = center.tzinfo
    lows = [r.start if r.prefix in ("ge", "eq") else r.end for r in ranges if r.prefix in ("ge", "gt", "eq")]
    highs = [r.end if r.prefix in ("le", "eq") else r.start for r in ranges if r.prefix in ("le", "lt", "eq")]
    now = timezone.now()
    low = max([now, *lows])
    high = min(highs) if highs else low + dt.timedelta(days=DEFAULT_SLOT_DAYS)
    date_from = low.astimezone(tz).date()
    date_to = (high - dt.timedelta(microseconds=1)).astimezone(tz).date()
    if date_to < date_from:
        date_to = date_from
    if (date_to - date_from).days > MAX_SLOT_DAYS:
        raise exceptions.ValidationError({"start": [f"Search at most {MAX_SLOT_DAYS} days at a time."]})
    return date_from, date_to


class SlotBookView(FhirView):
    """``POST Slot/{id}/$book``: book the slot for the patient in the Parameters (or an Appointment)."""

    perms = {"POST": ("scheduling.add_appointment",)}

    def post(self, request, pk: str):
        appointment = booking.book_slot(actor=request.user, request=request, slot_id=pk, body=request.data)
        return AppointmentView.created(request, appointment)


# --- Appointment -----------------------------------------------------------------------------------


def appointments_of(request):
    return Appointment.objects.filter(center_id__in=user_center_ids(request.user)).select_related(
        "center", "patient", "protocol", "chair", "booked_by"
    )


def appointment_resources(rows: list[Appointment], *, versions: bool = False) -> list[dict]:
    booked_by = {a.booked_by_id for a in rows if a.booked_by_id}
    nurses = set(User.objects.filter(pk__in=booked_by, groups__name=NURSE).values_list("pk", flat=True))
    identifiers: dict[int, list[tuple[str, str]]] = {}
    for appointment_id, system, value in AppointmentIdentifier.objects.filter(
        appointment_id__in=[a.pk for a in rows]
    ).values_list("appointment_id", "system", "value"):
        identifiers.setdefault(appointment_id, []).append((system, value))
    answer = []
    for row in rows:
        if row.booked_by is not None:
            row.booked_by._is_nurse = row.booked_by_id in nurses  # type: ignore[attr-defined]
        version = row.history.count() if versions else None
        answer.append(resources.appointment(row, identifiers=identifiers.get(row.pk, []), version=version))
    return answer


def appointment_search(request, params) -> QuerySet[Appointment]:
    rows = appointments_of(request).order_by("start", "pk")
    if params.get("_id"):
        rows = rows.filter(pk__in=search.integer_ids("_id", search.tokens(params, "_id")))
    patients = search.reference_ids(params, "patient", "Patient")
    if patients:
        rows = rows.filter(patient_id__in=search.integer_ids("patient", patients))
    for name in ("actor", "location"):
        refs = search.reference_ids(params, name, "Location") if name == "location" else _actor_refs(params)
        if refs:
            chair_ids = [int(r[6:]) for r in refs if r.startswith("chair-") and r[6:].isdigit()]
            center_ids = [int(r) for r in refs if r.isdigit() and len(r) < 18]
            patient_ids = [int(r[8:]) for r in refs if r.startswith("Patient/") and r[8:].isdigit()]
            rows = rows.filter(Q(chair_id__in=chair_ids) | Q(center_id__in=center_ids) | Q(patient_id__in=patient_ids))
    statuses = search.tokens(params, "status")
    if statuses:
        rows = rows.filter(status__in=statuses)
    codes = search.tokens(params, "service-type")
    if codes:
        rows = rows.filter(protocol__code__in=codes)
    pairs = search.token_pairs(params, "identifier")
    for system, value in pairs:
        match = AppointmentIdentifier.objects.filter(value=value)
        if system is not None:
            match = match.filter(system=system)
        rows = rows.filter(pk__in=match.values("appointment_id"))
    tz = _tz(request)
    rows = rows.filter(search.date_conditions(params, "date", "start", tz=tz))
    rows = rows.filter(search.date_conditions(params, "_lastUpdated", "updated_at", tz=tz))
    return rows


def _actor_refs(params) -> list[str]:
    """``actor`` may name a Location (center or chair) or a Patient."""
    refs = []
    for value in params.getlist("actor"):
        for part in value.split(","):
            part = part.strip()
            if part.startswith("Location/"):
                refs.append(part.removeprefix("Location/"))
            elif part.startswith("Patient/"):
                refs.append(part)
            elif part:
                raise exceptions.ValidationError(
                    {"actor": ["Refer to a Location or a Patient, e.g. Location/chair-7."]}
                )
    return refs


class AppointmentView(_SearchView):
    resource_type = "Appointment"
    perms = {
        "GET": ("scheduling.view_appointment",),
        "POST": ("scheduling.add_appointment",),
        "PUT": ("scheduling.change_appointment",),
    }

    def get(self, request, pk: str | None = None):
        if pk is not None:
            row = self.one(request, pk)
            resource = appointment_resources([row], versions=True)[0]
            return FhirResponse(resource, headers={"ETag": f'W/"{resource["meta"]["versionId"]}"'})
        rows = appointment_search(request, request.GET)
        return self.page(request, rows, appointment_resources)

    @staticmethod
    def one(request, pk: str) -> Appointment:
        row = appointments_of(request).filter(pk=search.integer_ids("id", [pk])[0]).first()
        if row is None:
            raise Http404("No such Appointment among your centers.")
        return row

    @staticmethod
    def created(request, appointment: Appointment, *, status_code: int = 201) -> FhirResponse:
        row = appointments_of(request).get(pk=appointment.pk)
        resource = appointment_resources([row], versions=True)[0]
        base = request.build_absolute_uri("/fhir/r4").rstrip("/")
        return FhirResponse(
            resource,
            status_code=status_code,
            headers={
                "Location": f"{base}/Appointment/{row.pk}/_history/{resource['meta']['versionId']}",
                "ETag": f'W/"{resource["meta"]["versionId"]}"',
            },
        )

    def post(self, request, pk: str | None = None):
        if pk is not None:
            raise exceptions.MethodNotAllowed("POST", "POST creates: send it to /fhir/r4/Appointment.")
        condition = request.headers.get("If-None-Exist", "").strip().lstrip("?")
        if not condition:
            return self.created(
                request, booking.create_appointment(actor=request.user, request=request, body=request.data)
            )
        with transaction.atomic():
            # Retries of one conditional create wait for each other, so the second finds what the first made.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fhir-ine:{condition}"])
            existing = list(appointment_search(request, _query(condition))[:2])
            if len(existing) > 1:
                return _precondition_failed("If-None-Exist matches more than one Appointment.")
            if existing:
                return self.created(request, existing[0], status_code=200)
            appointment = booking.create_appointment(actor=request.user, request=request, body=request.data)
        return self.created(request, appointment)

    def put(self, request, pk: str | None = None):
        if pk is None:
            raise exceptions.MethodNotAllowed("PUT", "PUT an Appointment to /fhir/r4/Appointment/{id}.")
        row = self.one(request, pk)
        expected = request.headers.get("If-Match", "").strip()
        if expected:
            current = f'W/"{row.history.count()}"'
            if expected not in (current, current[2:]):
                return _precondition_failed(f"The Appointment changed meanwhile (version {current}).")
        appointment = booking.update_appointment(
            actor=request.user, request=request, appointment=row, body=request.data
        )
        return self.created(request, appointment, status_code=200)


def _query(condition: str):
    from django.http import QueryDict

    if len(condition) > 1000:
        raise exceptions.ValidationError({"If-None-Exist": ["Keep the condition under 1000 characters."]})
    params = QueryDict(condition)
    if not any(k for k in params if not k.startswith("_")) and not params.get("_id"):
        raise exceptions.ValidationError({"If-None-Exist": ["Give search parameters, e.g. identifier=system|value."]})
    return params


def _precondition_failed(message: str) -> FhirResponse:
    from fhir_r4.http import issue, outcome

    return FhirResponse(outcome([issue("conflict", message, refusal="precondition_failed")]), status_code=412)


# --- ServiceRequest (orders), ClaimResponse (authorizations) ---------------------------------------


class ServiceRequestView(_SearchView):
    resource_type = "ServiceRequest"
    perms = {"GET": ("treatment.view_order",)}

    def get(self, request, pk: str | None = None):
        rows = (
            Order.objects.filter(patient__center_id__in=user_center_ids(request.user))
            .select_related("patient__center", "protocol")
            .prefetch_related("authorizations")
            .order_by("pk")
        )
        today = timezone.localdate(timezone=_tz(request))

        def convert(chunk):
            return [
                resources.service_request(o, today=today, authorization_ids=[a.pk for a in o.authorizations.all()])
                for o in chunk
            ]

        if pk is not None:
            row = rows.filter(pk=_ids(request, [pk], "id")[0]).first()
            if row is None:
                raise Http404("No such ServiceRequest among your centers.")
            return FhirResponse(convert([row])[0])
        params = request.GET
        if params.get("_id"):
            rows = rows.filter(pk__in=_ids(request, search.tokens(params, "_id")))
        for name in ("patient", "subject"):
            refs = search.reference_ids(params, name, "Patient")
            if refs:
                rows = rows.filter(patient_id__in=search.integer_ids(name, refs))
        codes = search.tokens(params, "code")
        if codes:
            rows = rows.filter(protocol__code__in=codes)
        statuses = search.tokens(params, "status")
        if statuses:
            current = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
            wanted = Q(pk__in=[])
            if "active" in statuses:
                wanted |= Q(is_active=True) & current
            if "completed" in statuses:
                wanted |= Q(is_active=True, valid_until__lt=today)
            if "revoked" in statuses:
                wanted |= Q(is_active=False)
            rows = rows.filter(wanted)
        rows = rows.filter(search.date_conditions(params, "_lastUpdated", "updated_at", tz=_tz(request)))
        return self.page(request, rows, convert)


_STATUSES_BY_OUTCOME = {
    "queued": [AuthorizationStatus.PENDING],
    "complete": [AuthorizationStatus.APPROVED, AuthorizationStatus.EXPIRED, AuthorizationStatus.NOT_REQUIRED],
    "error": [AuthorizationStatus.DENIED],
    "partial": [],
}


class ClaimResponseView(_SearchView):
    resource_type = "ClaimResponse"
    perms = {"GET": ("treatment.view_priorauthorization",)}

    def get(self, request, pk: str | None = None):
        rows = PriorAuthorization.objects.filter(patient__center_id__in=user_center_ids(request.user)).order_by("pk")
        if pk is not None:
            row = rows.filter(pk=_ids(request, [pk], "id")[0]).first()
            if row is None:
                raise Http404("No such ClaimResponse among your centers.")
            return FhirResponse(resources.claim_response(row))
        params = request.GET
        if params.get("_id"):
            rows = rows.filter(pk__in=_ids(request, search.tokens(params, "_id")))
        patients = search.reference_ids(params, "patient", "Patient")
        if patients:
            rows = rows.filter(patient_id__in=search.integer_ids("patient", patients))
        outcomes = search.tokens(params, "outcome")
        if outcomes:
            rows = rows.filter(status__in=[s for o in outcomes for s in _STATUSES_BY_OUTCOME.get(o, [])])
        references = search.tokens(params, "identifier")
        if references:
            rows = rows.filter(reference_number__in=references)
        rows = rows.filter(search.date_conditions(params, "_lastUpdated", "updated_at", tz=_tz(request)))
        return self.page(request, rows, lambda chunk: [resources.claim_response(r) for r in chunk])
