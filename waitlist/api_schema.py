"""OpenAPI text and examples of the waitlist API (``waitlist.api``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from infusion_center.api_common import ERROR_EXAMPLES
from waitlist.api_serializers import (
    OfferSerializer,
    WaitlistEntryCreateSerializer,
    WaitlistEntrySerializer,
    WaitlistEntryUpdateSerializer,
    WithdrawSerializer,
)
from waitlist.models import EntryStatus

ENTRY = {
    "id": 12, "center": 1, "patient": 40, "patient_name": "Ana Lopez", "protocol": 3, "protocol_code": "ocr",
    "order": 7, "dose_number": 3, "earliest": "2026-12-07", "latest": "2026-12-21", "due_date": "2026-12-14",
    "preferred_time_of_day": "morning", "preferred_weekdays": [0, 2], "replaces": 901, "channel": "sms",
    "short_notice_minutes": 30, "notes": "", "status": "waiting", "booked_appointment": None,
    "is_overdue": False, "days_left": 17, "created_by": 5, "created_at": "2026-12-04T15:00:00Z",
    "updated_at": "2026-12-04T15:00:00Z",
    "earliest_slot": {"chair": 2, "chair_label": "C02", "start": "2026-12-09T14:00:00Z", "end": "2026-12-09T18:10:00Z"},
}  # fmt: skip
OFFER = {
    "id": 55, "entry": 12, "patient": 40, "release": 20, "release_cause": "cancelled", "freed_appointment": 870,
    "chair": 2, "chair_label": "C02", "start": "2026-12-07T14:00:00Z", "end": "2026-12-07T18:10:00Z",
    "channel": "sms", "code": "4821", "status": "accepted", "outcome": "Booked.",
    "created_at": "2026-12-04T15:00:00Z", "sent_at": "2026-12-04T15:00:02Z", "expires_at": "2026-12-04T15:30:00Z",
    "answered_at": "2026-12-04T15:06:00Z", "answered_by": None, "appointment": 1002,
}  # fmt: skip
NEW_ENTRY = {"patient": 40, "protocol": 3, "dose_number": 3, "channel": "sms", "replaces": 901,
             "preferred_time_of_day": "morning", "short_notice_minutes": 30}  # fmt: skip

ENTRY_FILTERS = [
    OpenApiParameter("center", int, description="One of your centers (default: all of yours)."),
    OpenApiParameter("status", str, enum=EntryStatus.values, description="Default: waiting."),
    OpenApiParameter("patient", int),
]
OFFER_FILTERS = [
    OpenApiParameter("entry", int, description="Offers made to this waitlist entry."),
    OpenApiParameter(
        "appointment", int, description="Offers of the time this appointment freed, and the one that booked it."
    ),
    OpenApiParameter("status", str),
]

shown = OpenApiExample("A waitlist entry", value=ENTRY, response_only=True)
an_offer = OpenApiExample("An offer", value=OFFER, response_only=True)

ENTRIES = {
    "list": extend_schema(
        summary="Waitlist entries, most urgent first",
        description="Overdue doses first, then the closest to their window's end; each waiting entry with the "
        "earliest slot the planner finds now (the page's order and search).",
        parameters=ENTRY_FILTERS,
        examples=[shown],
    ),
    "retrieve": extend_schema(
        summary="One waitlist entry",
        description="One entry of your centers (another center's is a 404), with its earliest slot now.",
        examples=[shown],
    ),
    "create": extend_schema(
        summary="Put a dose on the waitlist",
        description="Through the page's service: the window defaults to the dose's label window and may never "
        "leave it; the channel must be one the patient agreed to. Refusals are a 400 naming the field.",
        request=WaitlistEntryCreateSerializer,
        responses={201: WaitlistEntrySerializer},
        examples=[OpenApiExample("New entry", value=NEW_ENTRY, request_only=True), shown, ERROR_EXAMPLES["400"]],
    ),
    "partial_update": extend_schema(
        summary="Change a waiting entry",
        description="Days, preferences, channel, short notice and notes, under the same checks as adding; the "
        "dose, patient and replaced appointment cannot change (withdraw and add again).",
        request=WaitlistEntryUpdateSerializer,
        responses={200: WaitlistEntrySerializer},
        examples=[
            OpenApiExample("Mornings only", value={"preferred_time_of_day": "morning"}, request_only=True),
            shown,
            ERROR_EXAMPLES["400"],
        ],
    ),
}
WITHDRAW = extend_schema(
    summary="Withdraw an entry",
    description="The entry leaves the waitlist; its open offers are withdrawn and their patients told politely.",
    request=WithdrawSerializer,
    responses={200: WaitlistEntrySerializer},
    examples=[OpenApiExample("Withdraw", value={"reason": "Feeling better"}, request_only=True), shown],
)
ENTRY_OFFERS = extend_schema(
    summary="The offers made to an entry",
    description="Every offer made to this entry, newest first, with its outcome.",
    responses={200: OfferSerializer(many=True)},
    examples=[an_offer],
)
OFFERS = {
    "list": extend_schema(
        summary="Waitlist offers and their outcomes",
        description="Offers of your centers, newest first; by entry or by the appointment whose time was freed.",
        parameters=OFFER_FILTERS,
        examples=[an_offer],
    ),
    "retrieve": extend_schema(
        summary="One waitlist offer", description="One offer of your centers and its outcome.", examples=[an_offer]
    ),
}
