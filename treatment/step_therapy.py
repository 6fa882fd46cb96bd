"""Step therapy: has the patient tried (and failed, not tolerated, or could not take) what the payer asks
for first? Pure: rules and medication history in, one result per step out.

A step (``StepTherapyRule``) names therapies of which any one counts. A history entry counts when its
therapy matches one of them (case and surrounding spaces ignored) and it was contraindicated, not
tolerated, or failed after at least the step's ``min_trial_days`` (a therapy still running counts up to
``today``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from treatment.models import MedicationHistory, MedicationOutcome, StepTherapyRule


@dataclass(frozen=True)
class StepResult:
    rule: StepTherapyRule
    is_met: bool
    evidence: MedicationHistory | None = None
    missing: str = ""
    too_short: list[MedicationHistory] = field(default_factory=list)


@dataclass(frozen=True)
class StepTherapyStatus:
    steps: list[StepResult]

    @property
    def applies(self) -> bool:
        return bool(self.steps)

    @property
    def is_met(self) -> bool:
        return all(step.is_met for step in self.steps)

    @property
    def missing(self) -> list[str]:
        return [step.missing for step in self.steps if not step.is_met]


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def trial_days(entry: MedicationHistory, *, today: dt.date) -> int | None:
    if entry.started_on is None:
        return None
    return ((entry.ended_on or today) - entry.started_on).days


def _counts(entry: MedicationHistory, rule: StepTherapyRule, today: dt.date) -> bool:
    if entry.outcome in (MedicationOutcome.CONTRAINDICATED, MedicationOutcome.NOT_TOLERATED):
        return True
    days = trial_days(entry, today=today)
    return rule.min_trial_days is None or (days is not None and days >= rule.min_trial_days)


def evaluate(*, rules: list[StepTherapyRule], history: list[MedicationHistory], today: dt.date) -> StepTherapyStatus:
    """One result per active step, in the payer's order, with the entry that meets it or what is missing."""
    results = []
    for rule in sorted((r for r in rules if r.is_active), key=lambda r: (r.position, r.pk or 0)):
        names = {_normal(t) for t in rule.therapies if t.strip()}
        matching = [e for e in history if _normal(e.therapy) in names]
        met = next((e for e in matching if _counts(e, rule, today)), None)
        if met is not None:
            results.append(StepResult(rule, True, evidence=met))
            continue
        choices = " or ".join(t.strip() for t in rule.therapies if t.strip())
        if matching:
            missing = (
                f"{rule.name}: {choices} was tried for less than the {rule.min_trial_days} days the payer asks for."
            )
        else:
            missing = f"{rule.name}: no record that {choices} was tried, not tolerated or contraindicated."
        results.append(StepResult(rule, False, missing=missing, too_short=matching))
    return StepTherapyStatus(results)


def rules_for(*, payer: str, protocol_id: int, rules: list[StepTherapyRule]) -> list[StepTherapyRule]:
    """The active steps this payer asks for this protocol (payer names compared without case)."""
    wanted = _normal(payer)
    return [r for r in rules if r.protocol_id == protocol_id and r.is_active and _normal(r.payer) == wanted]
