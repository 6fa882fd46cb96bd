"""Step therapy: the payer's steps against the patient's medication history."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.treatment.conftest import make_order
from treatment.authorization_selectors import step_therapy_of
from treatment.models import AuthorizationStatus, MedicationHistory, PriorAuthorization, StepTherapyRule
from treatment.step_therapy import evaluate

TODAY = dt.date(2026, 12, 1)


def rule(**values) -> StepTherapyRule:
    defaults = {
        "payer": "Aetna",
        "protocol_id": 1,
        "name": "A first-line injectable",
        "therapies": ["interferon beta-1a", "glatiramer acetate"],
        "min_trial_days": 90,
        "position": 1,
        "is_active": True,
    }
    return StepTherapyRule(**{**defaults, **values})


def tried(therapy: str, outcome: str, started=None, ended=None) -> MedicationHistory:
    return MedicationHistory(therapy=therapy, outcome=outcome, started_on=started, ended_on=ended)


@pytest.mark.parametrize(
    ("entry", "is_met"),
    [
        (tried("Glatiramer Acetate ", "failed", dt.date(2025, 1, 1), dt.date(2025, 4, 1)), True),  # 90 days, any case
        (tried("glatiramer acetate", "failed", dt.date(2025, 1, 1), dt.date(2025, 3, 31)), False),  # 89 days
        (tried("glatiramer acetate", "failed", dt.date(2026, 10, 1)), False),  # still running: 61 days so far
        (tried("glatiramer acetate", "failed", dt.date(2026, 9, 2)), True),  # still running: 90 days today
        (tried("interferon beta-1a", "not_tolerated", dt.date(2026, 11, 20), dt.date(2026, 11, 22)), True),
        (tried("interferon beta-1a", "contraindicated"), True),
        (tried("dimethyl fumarate", "failed", dt.date(2024, 1, 1), dt.date(2025, 1, 1)), False),  # not this step's
    ],
)
def test_a_step_is_met_by_a_matching_therapy_that_failed_long_enough_or_could_not_be_taken(entry, is_met):
    result = evaluate(rules=[rule()], history=[entry], today=TODAY)
    assert result.applies and result.is_met is is_met
    if is_met:
        assert result.steps[0].evidence is entry and result.missing == []
    else:
        assert len(result.missing) == 1 and result.missing[0].startswith("A first-line injectable:")


def test_every_step_must_be_met_and_the_missing_ones_are_named():
    steps = [
        rule(pk=1, position=1),
        rule(pk=2, position=2, name="An oral therapy", therapies=["dimethyl fumarate"], min_trial_days=None),
    ]
    history = [tried("glatiramer acetate", "failed", dt.date(2025, 1, 1), dt.date(2025, 1, 20))]
    result = evaluate(rules=steps, history=history, today=TODAY)
    assert not result.is_met
    assert result.missing == [
        "A first-line injectable: interferon beta-1a or glatiramer acetate was tried for less than the 90 days "
        "the payer asks for.",
        "An oral therapy: no record that dimethyl fumarate was tried, not tolerated or contraindicated.",
    ]
    history.append(tried("dimethyl fumarate", "failed", dt.date(2025, 2, 1), dt.date(2025, 2, 10)))
    history.append(tried("interferon beta-1a", "contraindicated"))
    assert evaluate(rules=steps, history=history, today=TODAY).is_met


def test_no_steps_means_nothing_applies():
    result = evaluate(rules=[rule(is_active=False)], history=[], today=TODAY)
    assert not result.applies and result.is_met


def test_the_authorization_uses_its_payer_and_protocol(patient, library):
    ocr, nat = library["ocr"], library["nat"]
    authorization = PriorAuthorization.objects.get(order=make_order(patient, ocr, auth=AuthorizationStatus.PENDING))
    authorization.payer = "AETNA"
    authorization.save()
    StepTherapyRule.objects.create(payer="aetna", protocol=ocr, name="Injectable", therapies=["glatiramer acetate"])
    StepTherapyRule.objects.create(payer="Aetna", protocol=nat, name="Other protocol", therapies=["x"])
    StepTherapyRule.objects.create(payer="Cigna", protocol=ocr, name="Other payer", therapies=["y"])
    result = step_therapy_of(authorization, today=TODAY)
    assert [s.rule.name for s in result.steps] == ["Injectable"] and not result.is_met
    MedicationHistory.objects.create(patient=patient, therapy="glatiramer acetate", outcome="contraindicated")
    assert step_therapy_of(authorization, today=TODAY).is_met
