"""Which changes become which events, written in the same transaction; no drug name unless the receiver is clinical."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from scheduling.errors import BookingRefused
from scheduling.services import book_appointment, move_appointment, transition
from tests.factories import ChairFactory, PatientFactory, ProtocolFactory
from tests.webhooks.conftest import at, subscribe
from treatment import services as plans
from treatment.models import Order, PriorAuthorization
from webhooks.models import Delivery, EventType

pytestmark = pytest.mark.django_db


@pytest.fixture
def drug_protocol(db):
    return ProtocolFactory(code="ocr", name="Ocrelizumab", drug="ocrelizumab")


@pytest.fixture
def both(center):
    return subscribe(center, "http://127.0.0.1:9/ehr", clinical=True), subscribe(center, "http://127.0.0.1:9/office")


def events_of(subscription) -> list[str]:
    return list(subscription.deliveries.order_by("pk").values_list("event", flat=True))


def bodies(subscription) -> list[dict]:
    return [json.loads(b) for b in subscription.deliveries.order_by("pk").values_list("body", flat=True)]


@time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), tick=False)
def test_each_door_sends_its_event(center, chair, patient, drug_protocol, nurse, shift, both):
    ehr, _ = both
    appointment = book_appointment(actor=nurse, patient=patient, protocol=drug_protocol, chair=chair, start=at(9))
    move_appointment(actor=nurse, appointment=appointment, chair=chair, start=at(10))
    later = book_appointment(
        actor=nurse,
        patient=PatientFactory(center=center),
        protocol=drug_protocol,
        chair=ChairFactory(center=center, label="C02"),
        start=at(9),
    )
    transition(actor=nurse, appointment=later, action="cancel", cancelled_by="patient", reason="Has a cold")
    assert events_of(ehr) == [
        EventType.APPOINTMENT_BOOKED,
        EventType.APPOINTMENT_MOVED,
        EventType.APPOINTMENT_BOOKED,
        EventType.APPOINTMENT_CANCELLED,
    ]
    with time_machine.travel(at(10, 5), tick=False):
        transition(actor=nurse, appointment=appointment, action="check_in")
        transition(actor=nurse, appointment=appointment, action="seat")
        transition(actor=nurse, appointment=appointment, action="start_infusion")
        transition(actor=nurse, appointment=appointment, action="complete", reason="Early: patient felt well")
    assert events_of(ehr)[-2:] == [EventType.APPOINTMENT_CHECKED_IN, EventType.APPOINTMENT_FULFILLED]


@time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), tick=False)
def test_no_show_event(center, chair, patient, drug_protocol, nurse, shift, both):
    ehr, office = both
    appointment = book_appointment(actor=nurse, patient=patient, protocol=drug_protocol, chair=chair, start=at(9))
    with time_machine.travel(at(11), tick=False):
        transition(actor=nurse, appointment=appointment, action="no_show")
    assert events_of(office)[-1] == EventType.APPOINTMENT_NO_SHOW
    assert bodies(office)[-1]["data"]["appointment"]["status"] == "noshow"


@time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), tick=False)
def test_no_drug_name_unless_the_subscription_is_clinical(center, chair, patient, drug_protocol, nurse, shift, both):
    ehr, office = both
    appointment = book_appointment(actor=nurse, patient=patient, protocol=drug_protocol, chair=chair, start=at(9))
    transition(actor=nurse, appointment=appointment, action="cancel", cancelled_by="center", reason="Ocrevus delayed")
    for body in office.deliveries.values_list("body", flat=True):
        lowered = body.lower()
        assert "ocrelizumab" not in lowered and "ocrevus" not in lowered and '"ocr"' not in lowered
    clinical = bodies(ehr)[0]["data"]["appointment"]
    assert clinical["protocol"] == {"code": "ocr", "name": "Ocrelizumab", "drug": "ocrelizumab"}
    assert clinical["dose_number"] == 1 and bodies(ehr)[1]["data"]["appointment"]["cancel_reason"] == "Ocrevus delayed"
    plain = bodies(office)[0]
    assert plain["type"] == "appointment.booked" and plain["data"]["appointment"]["patient"]["mrn"] == patient.mrn
    assert plain["id"] == bodies(ehr)[0]["id"]  # one event, one id, for every receiver


def test_a_refused_booking_sends_nothing(center, chair, patient, drug_protocol, nurse, shift, both):
    ehr, _ = both
    with pytest.raises(BookingRefused):
        book_appointment(actor=nurse, patient=patient, protocol=drug_protocol, chair=chair, start=at(18))
    assert not Delivery.objects.exists()


def test_order_and_authorization_changes(center, patient, drug_protocol, front_desk, both):
    ehr, office = both
    order = plans.save_order(
        actor=front_desk,
        order=Order(protocol=drug_protocol, ordering_provider="Dr. Alvarez", start_date=dt.date(2026, 11, 1)),
        patient=patient,
    )
    plans.save_authorization(
        actor=front_desk, authorization=PriorAuthorization(payer="Aetna", status="pending"), order=order
    )
    plans.delete_record(actor=front_desk, instance=order)
    assert events_of(office) == [EventType.ORDER_CHANGED, EventType.AUTHORIZATION_CHANGED, EventType.ORDER_CHANGED]
    changes = [b["data"].get("order", b["data"].get("authorization"))["change"] for b in bodies(office)]
    assert changes == ["saved", "saved", "deleted"]
    assert "Dr. Alvarez" not in office.deliveries.first().body and "Alvarez" in ehr.deliveries.first().body


def test_only_the_subscribed_events_and_only_active_subscriptions(center, chair, patient, drug_protocol, nurse, shift):
    cancels_only = subscribe(center, "http://127.0.0.1:9/a", events=[EventType.APPOINTMENT_CANCELLED])
    paused = subscribe(center, "http://127.0.0.1:9/b")
    paused.is_active = False
    paused.save()
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), tick=False):
        appointment = book_appointment(actor=nurse, patient=patient, protocol=drug_protocol, chair=chair, start=at(9))
        transition(actor=nurse, appointment=appointment, action="cancel", cancelled_by="center")
    assert events_of(cancels_only) == [EventType.APPOINTMENT_CANCELLED]
    assert events_of(paused) == []


def test_an_authorization_saved_in_the_django_admin_goes_through_the_door(client, center, patient, drug_protocol, both):
    from tests.factories import UserFactory

    _, office = both
    order = Order.objects.create(
        patient=patient, protocol=drug_protocol, ordering_provider="Dr. Alvarez", start_date=dt.date(2026, 11, 1)
    )
    root = UserFactory(username="root", is_superuser=True, is_staff=True, center=center)
    client.force_login(root)
    response = client.post(
        "/admin/treatment/priorauthorization/add/",
        {"patient": patient.pk, "order": order.pk, "payer": "Aetna", "status": "pending", "reference_number": "PA-3"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    authorization = PriorAuthorization.objects.get()
    assert authorization.history.latest().history_user == root
    assert events_of(office) == [EventType.AUTHORIZATION_CHANGED]
