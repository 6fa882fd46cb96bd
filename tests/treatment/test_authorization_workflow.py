"""The prior-authorization workflow: every stage transition allowed and refused, the details each stage
needs, the status readiness reads, and deadlines (across month ends) on the work queue."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.treatment.conftest import make_order
from treatment import stages as workflow
from treatment.authorization_selectors import authorization_tasks, workflow_of
from treatment.authorizations import record_stage
from treatment.errors import StageNotAllowed
from treatment.models import AuthorizationStage, AuthorizationStatus, PriorAuthorization, Stage
from treatment.readiness import readiness_of

S = Stage
ALL = list(Stage.values)
# What may follow each stage, written out by hand (not derived from treatment.stages.NEXT).
EXPECTED_NEXT = {
    "": {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.INFO_REQUESTED, S.P2P_SCHEDULED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.INFO_REQUESTED: {S.INFO_SENT, S.DENIED, S.WITHDRAWN},
    S.INFO_SENT: {S.INFO_REQUESTED, S.P2P_SCHEDULED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.P2P_SCHEDULED: {S.P2P_SCHEDULED, S.P2P_HELD, S.WITHDRAWN},
    S.P2P_HELD: {S.INFO_REQUESTED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.APPEAL_1: {S.INFO_REQUESTED, S.P2P_SCHEDULED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.APPEAL_2: {S.INFO_REQUESTED, S.P2P_SCHEDULED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.APPEAL_EXTERNAL: {S.INFO_REQUESTED, S.P2P_SCHEDULED, S.APPROVED, S.DENIED, S.WITHDRAWN},
    S.APPROVED: set(),
    S.WITHDRAWN: set(),
}
# How to reach each stage from nothing (the stages recorded before it).
PATHS = {
    "": [],
    S.SUBMITTED: [S.SUBMITTED],
    S.INFO_REQUESTED: [S.SUBMITTED, S.INFO_REQUESTED],
    S.INFO_SENT: [S.SUBMITTED, S.INFO_REQUESTED, S.INFO_SENT],
    S.P2P_SCHEDULED: [S.SUBMITTED, S.P2P_SCHEDULED],
    S.P2P_HELD: [S.SUBMITTED, S.P2P_SCHEDULED, S.P2P_HELD],
    S.APPEAL_1: [S.SUBMITTED, S.DENIED, S.APPEAL_1],
    S.APPEAL_2: [S.SUBMITTED, S.DENIED, S.APPEAL_1, S.DENIED, S.APPEAL_2],
    S.APPEAL_EXTERNAL: [S.SUBMITTED, S.DENIED, S.APPEAL_1, S.DENIED, S.APPEAL_2, S.DENIED, S.APPEAL_EXTERNAL],
    S.APPROVED: [S.SUBMITTED, S.APPROVED],
    S.WITHDRAWN: [S.SUBMITTED, S.WITHDRAWN],
}
TODAY = dt.date(2026, 12, 1)


def details(stage: str) -> dict:
    """What each stage needs to be recorded."""
    return {
        S.P2P_SCHEDULED: {"peer_to_peer_at": dt.datetime(2026, 12, 3, 16, 30, tzinfo=dt.UTC), "reviewer": "Dr. Molina"},
        S.P2P_HELD: {"outcome": "supports_approval", "reviewer": "Dr. Molina"},
        S.DENIED: {"denial_reason": "missing_documentation"},
        S.APPROVED: {"approved_from": dt.date(2026, 12, 1), "approved_until": dt.date(2027, 5, 31)},
    }.get(stage, {})


@pytest.fixture
def authorization(patient, library):
    order = make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING)
    return PriorAuthorization.objects.get(order=order)


def walk(authorization, path, actor=None):
    for stage in path:
        record_stage(actor=actor, authorization=authorization, stage=stage, today=TODAY, **details(stage))
    authorization.refresh_from_db()
    return authorization


def authorization_items(dose) -> list[str]:
    """What readiness says about the dose's authorization (the protocol's checks aside)."""
    return [i.code for i in readiness_of(dose, today=TODAY).missing if "authorization" in i.code]


CASES = [(current, stage) for current in EXPECTED_NEXT for stage in ALL]


@pytest.mark.parametrize(("current", "stage"), CASES, ids=[f"{c or 'new'}-to-{s}" for c, s in CASES])
def test_stage_transition(current, stage, authorization, front_desk):
    walk(authorization, PATHS[current])
    before = authorization.stages.count()
    if stage in EXPECTED_NEXT[current]:
        row = record_stage(actor=front_desk, authorization=authorization, stage=stage, today=TODAY, **details(stage))
        authorization.refresh_from_db()
        assert authorization.stage == stage and row.recorded_by == front_desk
        assert authorization.status == workflow.status_for(stage)
        latest = authorization.history.first()
        assert latest.history_user == front_desk and latest.stage == stage
        return
    with pytest.raises(StageNotAllowed) as refused:
        record_stage(actor=front_desk, authorization=authorization, stage=stage, today=TODAY, **details(stage))
    assert refused.value.message.startswith(f"Cannot record “{Stage(stage).label.lower()}”")
    assert authorization.stages.count() == before


def test_after_the_external_review_a_denial_is_final(authorization):
    walk(authorization, PATHS[S.APPEAL_EXTERNAL] + [S.DENIED])
    assert authorization.status == AuthorizationStatus.DENIED
    assert workflow_of(authorization).allowed == () and workflow_of(authorization).next_action is None
    with pytest.raises(StageNotAllowed, match="nothing"):
        record_stage(actor=None, authorization=authorization, stage=S.APPEAL_EXTERNAL, today=TODAY)


def test_a_denial_overturned_on_appeal_makes_the_dose_ready(authorization, patient, library):
    from tests.factories import AppointmentFactory
    from tests.treatment.conftest import at

    dose = AppointmentFactory.build(
        center=patient.center, patient=patient, protocol=library["ocr"], start=at(dt.date(2026, 12, 14)), dose_number=1
    )
    walk(authorization, [S.SUBMITTED, S.DENIED])
    assert authorization_items(dose) == ["authorization_denied"]
    walk(authorization, [S.APPEAL_1])
    assert authorization_items(dose) == ["authorization_pending"]
    walk(authorization, [S.APPROVED])
    assert authorization_items(dose) == []


def test_a_withdrawn_request_counts_as_no_authorization(authorization, patient, library):
    from tests.factories import AppointmentFactory
    from tests.treatment.conftest import at

    walk(authorization, [S.SUBMITTED, S.WITHDRAWN])
    dose = AppointmentFactory.build(
        center=patient.center, patient=patient, protocol=library["ocr"], start=at(dt.date(2026, 12, 14))
    )
    assert authorization_items(dose) == ["no_authorization"]


@pytest.mark.parametrize(
    ("stage", "field", "given"),
    [
        (S.P2P_SCHEDULED, "peer_to_peer_at", {}),
        (S.P2P_SCHEDULED, "peer_to_peer_at", {"peer_to_peer_at": dt.datetime(2026, 12, 3, 16, 30)}),
        (S.DENIED, "denial_reason", {}),
        (S.APPROVED, "approved_until", {"approved_from": dt.date(2026, 12, 1)}),
        (
            S.APPROVED,
            "approved_until",
            {"approved_from": dt.date(2026, 12, 1), "approved_until": dt.date(2026, 11, 1)},
        ),
    ],
)
def test_a_stage_without_its_details_is_refused_naming_the_field(stage, field, given, authorization):
    walk(authorization, [S.SUBMITTED])
    with pytest.raises(ValidationError) as refused:
        record_stage(actor=None, authorization=authorization, stage=stage, today=TODAY, **given)
    assert field in refused.value.message_dict
    authorization.refresh_from_db()
    assert authorization.stage == S.SUBMITTED and authorization.stages.count() == 1


def test_peer_to_peer_held_needs_outcome_and_takes_the_reviewer_from_the_slot(authorization):
    walk(authorization, [S.SUBMITTED, S.P2P_SCHEDULED])
    with pytest.raises(ValidationError) as refused:
        record_stage(actor=None, authorization=authorization, stage=S.P2P_HELD, today=TODAY)
    assert "outcome" in refused.value.message_dict
    row = record_stage(actor=None, authorization=authorization, stage=S.P2P_HELD, outcome="upholds_denial", today=TODAY)
    assert row.reviewer == "Dr. Molina"


def test_dates_cannot_be_in_the_future_or_before_the_previous_stage(authorization):
    with pytest.raises(ValidationError, match="not ahead"):
        record_stage(
            actor=None, authorization=authorization, stage=S.SUBMITTED, occurred_on=dt.date(2026, 12, 2), today=TODAY
        )
    record_stage(
        actor=None, authorization=authorization, stage=S.SUBMITTED, occurred_on=dt.date(2026, 11, 20), today=TODAY
    )
    with pytest.raises(ValidationError, match="cannot be earlier"):
        record_stage(
            actor=None,
            authorization=authorization,
            stage=S.INFO_REQUESTED,
            occurred_on=dt.date(2026, 11, 19),
            today=TODAY,
        )


def test_a_not_required_authorization_takes_no_stages(authorization):
    PriorAuthorization.objects.filter(pk=authorization.pk).update(status=AuthorizationStatus.NOT_REQUIRED)
    with pytest.raises(StageNotAllowed, match="not required"):
        record_stage(actor=None, authorization=authorization, stage=S.SUBMITTED, today=TODAY)


# --- Deadlines --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "occurred", "due"),
    [
        (S.SUBMITTED, dt.date(2026, 12, 20), dt.date(2027, 1, 4)),  # across the year end
        (S.INFO_REQUESTED, dt.date(2027, 1, 25), dt.date(2027, 2, 8)),
        (S.APPEAL_1, dt.date(2027, 1, 31), dt.date(2027, 3, 2)),  # 30 days from 31 January: February is short
        (S.DENIED, dt.date(2027, 1, 31), dt.date(2027, 7, 30)),  # the appeal deadline, 180 days from the denial
        (S.DENIED, dt.date(2028, 2, 29), dt.date(2028, 8, 27)),  # from a leap day
    ],
)
def test_default_deadlines_count_calendar_days_across_month_ends(stage, occurred, due):
    assert workflow.default_due_on(stage=stage, occurred_on=occurred, history=[S.SUBMITTED, stage]) == due


def test_work_queue_lists_next_actions_overdue_first_in_the_centers_local_day(patient, library, center):
    ocr = library["ocr"]
    payer_late = PriorAuthorization.objects.get(order=make_order(patient, ocr, auth=AuthorizationStatus.PENDING))
    denied = PriorAuthorization.objects.get(order=make_order(patient, ocr, auth=AuthorizationStatus.PENDING))
    p2p = PriorAuthorization.objects.get(order=make_order(patient, ocr, auth=AuthorizationStatus.PENDING))
    # Payer's answer due 15 days after 16 January: 31 January.
    record_stage(
        actor=None,
        authorization=payer_late,
        stage=S.SUBMITTED,
        occurred_on=dt.date(2027, 1, 16),
        today=TODAY.replace(year=2027, month=1, day=16),
    )
    for stage, day, extra in [
        (S.SUBMITTED, dt.date(2026, 12, 28), {}),
        (S.DENIED, dt.date(2027, 1, 5), {"denial_reason": "step_therapy_not_met"}),
    ]:
        record_stage(actor=None, authorization=denied, stage=stage, occurred_on=day, today=day, **extra)
    slot = dt.datetime(2027, 2, 1, 16, 0, tzinfo=center.tzinfo)
    record_stage(
        actor=None, authorization=p2p, stage=S.SUBMITTED, occurred_on=dt.date(2027, 1, 20), today=dt.date(2027, 1, 20)
    )
    record_stage(
        actor=None,
        authorization=p2p,
        stage=S.P2P_SCHEDULED,
        occurred_on=dt.date(2027, 1, 27),
        peer_to_peer_at=slot,
        reviewer="Dr. Ito",
        today=dt.date(2027, 1, 27),
    )
    # 23:30 on 31 January in New York is already 1 February in UTC: the center's day is still the 31st.
    with time_machine.travel(dt.datetime(2027, 2, 1, 4, 30, tzinfo=dt.UTC), tick=False):
        tasks = authorization_tasks(center=center)
        assert [(t.authorization, t.action.due_on, t.is_overdue) for t in tasks] == [
            (payer_late, dt.date(2027, 1, 31), False),
            (p2p, dt.date(2027, 2, 1), False),
            (denied, dt.date(2027, 7, 4), False),
        ]
        assert tasks[1].action.text == "Peer-to-peer review · 2027-02-01 16:00 with Dr. Ito"
        assert tasks[2].action.text == "File the level 1 appeal (deadline)"
    with time_machine.travel(dt.datetime(2027, 2, 2, 14, 0, tzinfo=dt.UTC), tick=False):
        tasks = authorization_tasks(center=center)
        assert [(t.authorization, t.is_overdue, t.days_overdue) for t in tasks] == [
            (payer_late, True, 2),
            (p2p, True, 1),
            (denied, False, 0),
        ]


def test_an_authorization_not_yet_submitted_is_due_for_submission(authorization, center):
    created = authorization.created_at.astimezone(center.tzinfo).date()
    action = workflow_of(authorization).next_action
    assert action.code == "submit" and action.due_on == created + dt.timedelta(days=2)
    walk(authorization, [S.SUBMITTED, S.APPROVED])
    assert workflow_of(authorization).next_action is None
    assert AuthorizationStage.objects.filter(authorization=authorization).count() == 2
