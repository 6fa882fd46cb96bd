"""REST API of the prior-authorization workflow, beside the authorizations' own CRUD:

* ``authorizations/{id}/stages/`` — GET the stages recorded, where it stands, what may follow and the next
  action; POST records the next stage through ``treatment.authorizations.record_stage`` (409 when the
  workflow does not allow it, 400 naming the field when a detail is missing).
* ``authorizations/{id}/step-therapy/`` — GET whether the payer's step therapy is met and what is missing.
* ``authorizations/{id}/holds/`` — GET the tentative holds; POST holds the first dose (the booking service:
  every planner rule applies, refusals are 409 with the reasons).
* ``patients/{id}/medication-history/`` — GET, POST; ``medication-history/{id}/`` — GET, PATCH, DELETE.
* ``step-therapy-rules/`` — CRUD (center admins change them).
* ``orders/{id}/time-to-treatment/`` — GET the days from order to submission, approval and first dose.
* ``authorization-tasks/?center=`` — GET every open authorization's next action, overdue first.

Same conventions as ``scheduling/api.py``: model permissions of the role groups, the user's centers only
(another center's object is a 404), aware datetimes, domain errors mapped once in ``api_common``.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from chairs.models import Chair
from chairs.selectors import center_for
from infusion_center.api_common import (
    ERROR_EXAMPLES,
    ErrorSerializer,
    ModelPermissions,
    Pagination,
    RefusedSerializer,
    StrictDateTimeField,
    StrictModelSerializer,
    WholeListView,
    crud_schema,
    user_center_ids,
)
from patients.models import Patient
from scheduling.models import Protocol
from treatment import authorizations
from treatment.authorization_selectors import (
    authorization_tasks,
    holds_of,
    step_therapy_of,
    time_to_treatment_of,
    workflow_of,
)
from treatment.models import (
    AuthorizationStage,
    DenialReason,
    MedicationHistory,
    Order,
    PeerToPeerOutcome,
    PriorAuthorization,
    Stage,
    StepTherapyRule,
    TentativeHold,
)

_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not among your centers' records.")
_REFUSED = OpenApiResponse(RefusedSerializer, description="The workflow or the booking rules refuse it.")
_STAGE = {
    "id": 7,
    "stage": "denied",
    "occurred_on": "2026-11-24",
    "due_on": "2027-05-23",
    "peer_to_peer_at": None,
    "reviewer": "",
    "outcome": "",
    "denial_reason": "step_therapy_not_met",
    "note": "",
    "recorded_by": "frontdesk",
    "recorded_at": "2026-11-24T15:02:11-05:00",
}
WORKFLOW_EXAMPLE = OpenApiExample(
    "Denied, appeal due",
    value={
        "authorization": 12,
        "status": "denied",
        "stage": "denied",
        "allowed_stages": ["appeal_1", "withdrawn"],
        "appeal_level": 0,
        "next_action": {"code": "appeal_1", "text": "File the level 1 appeal (deadline)", "due_on": "2027-05-23"},
        "stages": [{**_STAGE, "id": 6, "stage": "submitted", "due_on": "2026-11-25", "denial_reason": ""}, _STAGE],
    },
    response_only=True,
)
STAGE_REQUEST_EXAMPLES = [
    OpenApiExample("Submitted", value={"stage": "submitted", "reference_number": "PA-104233"}, request_only=True),
    OpenApiExample(
        "Peer-to-peer scheduled",
        value={"stage": "p2p_scheduled", "peer_to_peer_at": "2026-12-03T16:30:00-05:00", "reviewer": "Dr. Molina"},
        request_only=True,
    ),
    OpenApiExample("Denied", value={"stage": "denied", "denial_reason": "step_therapy_not_met"}, request_only=True),
    OpenApiExample(
        "Approved",
        value={
            "stage": "approved",
            "approved_from": "2026-12-01",
            "approved_until": "2027-05-31",
            "approved_visits": 6,
        },
        request_only=True,
    ),
    OpenApiExample(
        "Not allowed now",
        value={
            "code": "stage_not_allowed",
            "detail": "Cannot record “appeal filed (level 2)”: the authorization stands at “denied”; "
            "what may follow is appeal filed (level 1), withdrawn.",
        },
        response_only=True,
        status_codes=["409"],
    ),
]
STEP_EXAMPLE = OpenApiExample(
    "Not met",
    value={
        "applies": True,
        "is_met": False,
        "missing": [
            "A first-line injectable: no record that glatiramer acetate was tried, not tolerated or contraindicated."
        ],
        "steps": [
            {
                "rule": 3,
                "name": "A first-line injectable",
                "therapies": ["glatiramer acetate"],
                "is_met": False,
                "evidence": None,
                "missing": "A first-line injectable: no record that glatiramer acetate was tried, not tolerated or "
                "contraindicated.",
            }
        ],
    },
    response_only=True,
)
HOLD_VALUE = {
    "id": 2,
    "appointment": 812,
    "status": "pending",
    "start": "2026-12-14T09:00:00-05:00",
    "chair": 4,
    "release_on": "2026-12-11",
    "created_at": "2026-12-01T10:12:00-05:00",
}
MEDICATION_VALUE = {
    "id": 5,
    "patient": 42,
    "therapy": "glatiramer acetate",
    "started_on": "2025-01-06",
    "ended_on": "2025-07-30",
    "outcome": "failed",
    "notes": "",
    "recorded_at": "2026-11-20T11:00:00-05:00",
}


def _authorization(request, pk) -> PriorAuthorization:
    return get_object_or_404(
        PriorAuthorization.objects.select_related("patient__center", "order__protocol").filter(
            patient__center_id__in=user_center_ids(request.user)
        ),
        pk=pk,
    )


# --- Stages --------------------------------------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)
    # Plain strings: empty unless the stage has one (the codes are those of the request's enums).
    outcome = serializers.CharField(read_only=True, help_text="Peer-to-peer held: the reviewer's outcome, else empty.")
    denial_reason = serializers.CharField(read_only=True, help_text="Denied: the payer's coded reason, else empty.")

    class Meta:
        model = AuthorizationStage
        fields = [
            "id",
            "stage",
            "occurred_on",
            "due_on",
            "peer_to_peer_at",
            "reviewer",
            "outcome",
            "denial_reason",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class NextActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    due_on = serializers.DateField()


class WorkflowSerializer(serializers.Serializer):
    authorization = serializers.IntegerField()
    status = serializers.CharField(help_text="What readiness reads: derived from the stage.")
    stage = serializers.CharField(help_text="Where the workflow stands; empty before submission.")
    allowed_stages = serializers.ListField(child=serializers.ChoiceField(choices=Stage.choices))
    appeal_level = serializers.IntegerField(help_text="0 none, 1, 2, 3 = external review.")
    next_action = NextActionSerializer(allow_null=True)
    stages = StageSerializer(many=True)


class RecordStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    occurred_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today (center's zone).")
    due_on = serializers.DateField(required=False, allow_null=True, help_text="Default: the stage's usual deadline.")
    peer_to_peer_at = StrictDateTimeField(required=False, allow_null=True)
    reviewer = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    outcome = serializers.ChoiceField(choices=PeerToPeerOutcome.choices, required=False, allow_blank=True, default="")
    denial_reason = serializers.ChoiceField(choices=DenialReason.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    approved_from = serializers.DateField(required=False, allow_null=True)
    approved_until = serializers.DateField(required=False, allow_null=True)
    approved_visits = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=500)
    reference_number = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")

    def validate(self, attrs):
        for name in ("occurred_on", "due_on", "approved_from", "approved_until"):
            value = attrs.get(name)
            if value is not None and not 1900 <= value.year <= 2200:
                raise serializers.ValidationError({name: "Give a date between 1900 and 2200."})
        return attrs


def _workflow_body(authorization: PriorAuthorization) -> dict:
    state = workflow_of(authorization)
    action = state.next_action
    return WorkflowSerializer(
        {
            "authorization": authorization.pk,
            "status": authorization.status,
            "stage": state.current,
            "allowed_stages": list(state.allowed),
            "appeal_level": state.appeal_level,
            "next_action": None
            if action is None
            else {"code": action.code, "text": action.text, "due_on": action.due_on},
            "stages": state.stages,
        }
    ).data


class AuthorizationStagesView(WholeListView):
    queryset = AuthorizationStage.objects.none()
    serializer_class = RecordStageSerializer

    @extend_schema(
        summary="An authorization's stages and next action",
        description="Every stage recorded (date, details, who recorded it), where the workflow stands, the stages "
        "that may be recorded next, and the coordinator's next action with its due date.",
        responses={200: WorkflowSerializer, 404: _NOT_FOUND},
        examples=[WORKFLOW_EXAMPLE],
    )
    def get(self, request, pk: int):
        return Response(_workflow_body(_authorization(request, pk)))

    @extend_schema(
        summary="Record the next stage",
        description="Through the workflow's one service; a stage the workflow does not allow now is a 409 "
        "`stage_not_allowed` naming what may follow.",
        request=RecordStageSerializer,
        responses={201: WorkflowSerializer, 404: _NOT_FOUND, 409: _REFUSED},
        examples=[*STAGE_REQUEST_EXAMPLES, WORKFLOW_EXAMPLE, ERROR_EXAMPLES["400"]],
    )
    def post(self, request, pk: int):
        authorization = _authorization(request, pk)
        serializer = RecordStageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authorizations.record_stage(actor=request.user, authorization=authorization, **serializer.validated_data)
        authorization.refresh_from_db()
        return Response(_workflow_body(authorization), status=status.HTTP_201_CREATED)


# --- Step therapy --------------------------------------------------------------------------------


class StepResultSerializer(serializers.Serializer):
    rule = serializers.IntegerField(source="rule.pk")
    name = serializers.CharField(source="rule.name")
    therapies = serializers.ListField(child=serializers.CharField(), source="rule.therapies")
    is_met = serializers.BooleanField()
    evidence = serializers.IntegerField(source="evidence.pk", allow_null=True, default=None)
    missing = serializers.CharField()


class StepTherapyStatusSerializer(serializers.Serializer):
    applies = serializers.BooleanField()
    is_met = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())
    steps = StepResultSerializer(many=True)


class AuthorizationStepTherapyView(WholeListView):
    queryset = PriorAuthorization.objects.none()

    @extend_schema(
        summary="Is the payer's step therapy met?",
        description="The payer's steps for the order's protocol against the patient's medication history: "
        "each step met (with the history entry that meets it) or what is missing.",
        responses={200: StepTherapyStatusSerializer, 404: _NOT_FOUND},
        examples=[STEP_EXAMPLE],
    )
    def get(self, request, pk: int):
        result = step_therapy_of(_authorization(request, pk))
        return Response(StepTherapyStatusSerializer(result).data)


# --- Holds ---------------------------------------------------------------------------------------


class HoldSerializer(serializers.ModelSerializer):
    appointment = serializers.IntegerField(source="appointment.pk", read_only=True)
    status = serializers.CharField(source="appointment.status", read_only=True)
    start = serializers.DateTimeField(source="appointment.start", read_only=True)
    chair = serializers.IntegerField(source="appointment.chair_id", read_only=True)
    release_on = serializers.SerializerMethodField()

    class Meta:
        model = TentativeHold
        fields = ["id", "appointment", "status", "start", "chair", "release_on", "created_at"]
        read_only_fields = fields

    def get_release_on(self, hold) -> str:
        return authorizations.release_on(hold.appointment).isoformat()


class PlaceHoldSerializer(serializers.Serializer):
    chair = serializers.IntegerField(min_value=1)
    start = StrictDateTimeField()


class AuthorizationHoldsView(WholeListView):
    queryset = TentativeHold.objects.none()
    serializer_class = PlaceHoldSerializer

    @extend_schema(
        summary="Tentative holds of the first dose",
        description="Each hold's appointment, its status (pending = held, booked = confirmed, cancelled = "
        "released) and the day it is released unless the authorization is approved.",
        responses={200: HoldSerializer(many=True), 404: _NOT_FOUND},
        examples=[OpenApiExample("A hold", value=[HOLD_VALUE], response_only=True)],
    )
    def get(self, request, pk: int):
        return Response(HoldSerializer(holds_of(_authorization(request, pk)), many=True).data)

    @extend_schema(
        summary="Hold the first dose while the authorization is pending",
        description="Booked with the status `pending` through the booking service: it holds the chair and counts "
        "against capacity, gets no reminders, is confirmed on approval and released "
        "AUTHORIZATION_HOLD_RELEASE_DAYS days before its date otherwise.",
        request=PlaceHoldSerializer,
        responses={201: HoldSerializer, 404: _NOT_FOUND, 409: _REFUSED},
        examples=[
            OpenApiExample("Hold", value={"chair": 4, "start": "2026-12-14T09:00:00-05:00"}, request_only=True),
            OpenApiExample("Held", value=HOLD_VALUE, response_only=True, status_codes=["201"]),
            ERROR_EXAMPLES["409"],
        ],
    )
    def post(self, request, pk: int):
        authorization = _authorization(request, pk)
        serializer = PlaceHoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chair = Chair.objects.filter(center=authorization.patient.center, pk=serializer.validated_data["chair"]).first()
        if chair is None:
            return Response(
                {"code": "not_found", "detail": "chair: no such chair at the patient's center."}, status=404
            )
        appointment = authorizations.place_hold(
            actor=request.user, authorization=authorization, chair=chair, start=serializer.validated_data["start"]
        )
        return Response(HoldSerializer(appointment.tentative_hold).data, status=status.HTTP_201_CREATED)


# --- Medication history --------------------------------------------------------------------------


class MedicationHistorySerializer(StrictModelSerializer):
    class Meta:
        model = MedicationHistory
        fields = ["id", "patient", "therapy", "started_on", "ended_on", "outcome", "notes", "recorded_at"]
        read_only_fields = ["patient", "recorded_at"]


_MEDICATION_EXAMPLE = OpenApiExample("A previous therapy", value=MEDICATION_VALUE, response_only=True)


@extend_schema_view(
    get=extend_schema(
        summary="A patient's medication history",
        description="The therapies the patient tried or could not take: the evidence step therapy asks for.",
        responses={200: MedicationHistorySerializer(many=True), 404: _NOT_FOUND},
        examples=[OpenApiExample("History", value=[MEDICATION_VALUE], response_only=True)],
    ),
    post=extend_schema(
        summary="Record a previous therapy",
        description="Failed and not-tolerated therapies need their start date; the end cannot precede the start.",
        responses={201: MedicationHistorySerializer, 404: _NOT_FOUND},
        examples=[
            OpenApiExample(
                "New",
                value={"therapy": "glatiramer acetate", "outcome": "failed", "started_on": "2025-01-06"},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=MEDICATION_VALUE, response_only=True, status_codes=["201"]),
            ERROR_EXAMPLES["400"],
        ],
    ),
)
class PatientMedicationHistoryView(WholeListView):
    queryset = MedicationHistory.objects.none()
    serializer_class = MedicationHistorySerializer

    def _patient(self, request, pk) -> Patient:
        return get_object_or_404(Patient.objects.filter(center_id__in=user_center_ids(request.user)), pk=pk)

    def get(self, request, pk: int):
        patient = self._patient(request, pk)
        rows = MedicationHistory.objects.filter(patient=patient).order_by("-started_on", "pk")
        return Response(MedicationHistorySerializer(rows, many=True, context={"request": request}).data)

    def post(self, request, pk: int):
        patient = self._patient(request, pk)
        serializer = MedicationHistorySerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = authorizations.save_medication(
            actor=request.user, entry=MedicationHistory(**serializer.validated_data), patient=patient
        )
        return Response(MedicationHistorySerializer(entry, context={"request": request}).data, status=201)


_MEDICATION_WRITE = "Checked like a new entry (dates, outcome); your centers' patients only."


@extend_schema_view(
    retrieve=extend_schema(
        summary="One previous therapy",
        description="One entry of a patient's medication history.",
        examples=[_MEDICATION_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change a previous therapy",
        description=_MEDICATION_WRITE,
        examples=[
            OpenApiExample("Change", value={"ended_on": "2025-07-30"}, request_only=True),
            _MEDICATION_EXAMPLE,
            ERROR_EXAMPLES["400"],
        ],
    ),
    update=extend_schema(
        summary="Replace a previous therapy",
        description=_MEDICATION_WRITE + " Send every field.",
        examples=[_MEDICATION_EXAMPLE, ERROR_EXAMPLES["400"]],
    ),
    destroy=extend_schema(
        summary="Delete a previous therapy",
        description="Removes the entry (kept in its history).",
        responses={204: None, 404: _NOT_FOUND},
        examples=[ERROR_EXAMPLES["404"]],
    ),
)
class MedicationHistoryViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [ModelPermissions]
    serializer_class = MedicationHistorySerializer

    def get_queryset(self):
        return MedicationHistory.objects.filter(patient__center_id__in=user_center_ids(self.request.user))

    def perform_update(self, serializer):
        entry = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(entry, name, value)
        authorizations.save_medication(actor=cast(User, self.request.user), entry=entry, patient=entry.patient)

    def perform_destroy(self, instance):
        authorizations.delete_medication(actor=cast(User, self.request.user), entry=instance)


# --- Step-therapy rules --------------------------------------------------------------------------


class StepTherapyRuleSerializer(StrictModelSerializer):
    protocol = serializers.PrimaryKeyRelatedField(queryset=Protocol.objects.all())
    therapies = serializers.ListField(
        child=serializers.CharField(max_length=120), min_length=1, max_length=20, help_text="Any one of these counts."
    )

    class Meta:
        model = StepTherapyRule
        fields = ["id", "payer", "protocol", "name", "therapies", "min_trial_days", "position", "is_active", "notes"]


@extend_schema_view(
    **crud_schema(
        noun="step-therapy rule",
        plural="step-therapy rules",
        example={
            "id": 1,
            "payer": "Aetna",
            "protocol": 3,
            "name": "A first-line injectable",
            "therapies": ["interferon beta", "glatiramer acetate"],
            "min_trial_days": 90,
            "position": 1,
            "is_active": True,
            "notes": "",
        },
        list_description="Per payer and protocol, the therapies the payer wants tried first (filter by payer, protocol).",
        write_description="Center admins only.",
        create_example={
            "payer": "Aetna",
            "protocol": 3,
            "name": "A first-line injectable",
            "therapies": ["glatiramer acetate"],
        },
        patch_example={"min_trial_days": 180},
        delete_description="Removes the step; authorizations are evaluated without it from then on.",
    )
)
class StepTherapyRuleViewSet(viewsets.ModelViewSet):
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    serializer_class = StepTherapyRuleSerializer
    queryset = StepTherapyRule.objects.select_related("protocol")
    filterset_fields = ["payer", "protocol", "is_active"]
    ordering_fields = ["payer", "protocol", "position", "id"]
    ordering = ["payer", "protocol", "position", "id"]


# --- Time to treatment and tasks -----------------------------------------------------------------


class TimeToTreatmentSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    ordered_on = serializers.DateField()
    submitted_on = serializers.DateField(allow_null=True)
    approved_on = serializers.DateField(allow_null=True)
    first_dose_on = serializers.DateField(allow_null=True)
    days_to_submission = serializers.IntegerField(allow_null=True, source="to_submission")
    days_submission_to_approval = serializers.IntegerField(allow_null=True, source="submission_to_approval")
    days_approval_to_first_dose = serializers.IntegerField(allow_null=True, source="approval_to_first_dose")
    days_to_first_dose = serializers.IntegerField(allow_null=True, source="to_first_dose")


class OrderTimeToTreatmentView(WholeListView):
    queryset = Order.objects.none()

    @extend_schema(
        summary="An order's time to treatment",
        description="Days from the order to the first submission, from submission to the first approval and from "
        "approval to the first dose reached in a chair (null while a step has not happened).",
        responses={200: TimeToTreatmentSerializer, 404: _NOT_FOUND},
        examples=[
            OpenApiExample(
                "Treated",
                value={
                    "order": 9,
                    "ordered_on": "2026-10-05",
                    "submitted_on": "2026-10-09",
                    "approved_on": "2026-11-26",
                    "first_dose_on": "2026-12-01",
                    "days_to_submission": 4,
                    "days_submission_to_approval": 48,
                    "days_approval_to_first_dose": 5,
                    "days_to_first_dose": 57,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, pk: int):
        order = get_object_or_404(
            Order.objects.select_related("patient__center").filter(
                patient__center_id__in=user_center_ids(request.user)
            ),
            pk=pk,
        )
        timeline = time_to_treatment_of(order)
        return Response(TimeToTreatmentSerializer(timeline).data)


class AuthorizationTaskSerializer(serializers.Serializer):
    authorization = serializers.IntegerField(source="authorization.pk")
    patient = serializers.IntegerField(source="authorization.patient_id")
    payer = serializers.CharField(source="authorization.payer")
    action = serializers.CharField(source="action.code")
    text = serializers.CharField(source="action.text")
    due_on = serializers.DateField(source="action.due_on")
    is_overdue = serializers.BooleanField()


class AuthorizationTasksView(WholeListView):
    queryset = PriorAuthorization.objects.none()

    @extend_schema(
        summary="Next actions on open authorizations, overdue first",
        description="Every open authorization's next step at the center and its due date (the payer's decision, "
        "information asked for, the peer-to-peer slot, the appeal deadline), overdue first.",
        parameters=[OpenApiParameter("center", int, description="One of your centers (default: your first).")],
        responses={200: AuthorizationTaskSerializer(many=True), 404: _NOT_FOUND},
        examples=[
            OpenApiExample(
                "Overdue first",
                value=[
                    {
                        "authorization": 12,
                        "patient": 42,
                        "payer": "Aetna",
                        "action": "payer_response",
                        "text": "Payer's decision due",
                        "due_on": "2026-11-26",
                        "is_overdue": True,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        raw = request.query_params.get("center")
        if raw is not None and not raw.isdigit():
            return Response({"center": ["Give a center id (a whole number)."]}, status=400)
        center = center_for(user=request.user, center_id=int(raw) if raw else None)
        if center is None:
            return Response({"code": "not_found", "detail": "center: not one of your centers."}, status=404)
        return Response(AuthorizationTaskSerializer(authorization_tasks(center=center), many=True).data)
