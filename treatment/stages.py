"""The prior-authorization workflow as data: which stage may follow which, the status each stage means,
when the next step falls due, and what that step is. Pure (no database, no clock); the one service
that writes stages is ``treatment.authorizations.record_stage``.

The path: submitted → (more information requested → information sent)* → (peer-to-peer review
scheduled → held)? → approved or denied; a denial may be appealed at level 1, then level 2, then by an
external review, each ending approved or denied again; withdrawn ends it at any point before a decision.
Approved and withdrawn are final; so is a denial once the external review is spent.

``PriorAuthorization.status`` (what readiness reads) is derived from the stage: approved → approved,
denied → denied, withdrawn → withdrawn, every stage in between → pending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from treatment.models import AuthorizationStatus, Stage

# Days from a stage to the next step's due date, unless the payer's letter says otherwise
# (the coordinator enters ``due_on`` then). Standard (non-urgent) pre-service decisions: 15 days;
# internal appeals 30 days; external review 45 days; the appeal deadline 180 days from a denial.
DUE_DAYS: dict[str, int] = {
    Stage.SUBMITTED: 15,
    Stage.INFO_REQUESTED: 14,
    Stage.INFO_SENT: 15,
    Stage.P2P_HELD: 3,
    Stage.DENIED: 180,
    Stage.APPEAL_1: 30,
    Stage.APPEAL_2: 30,
    Stage.APPEAL_EXTERNAL: 45,
}
SUBMIT_WITHIN_DAYS = 2
APPEALS = (Stage.APPEAL_1, Stage.APPEAL_2, Stage.APPEAL_EXTERNAL)
FINAL = (Stage.APPROVED, Stage.WITHDRAWN)

# What may follow each stage ("" = nothing recorded yet). A denial's successor depends on the
# appeals already filed, see :func:`allowed_next`.
_IN_REVIEW = (Stage.INFO_REQUESTED, Stage.P2P_SCHEDULED, Stage.APPROVED, Stage.DENIED, Stage.WITHDRAWN)
NEXT: dict[str, tuple[str, ...]] = {
    "": (Stage.SUBMITTED, Stage.WITHDRAWN),
    Stage.SUBMITTED: _IN_REVIEW,
    Stage.INFO_REQUESTED: (Stage.INFO_SENT, Stage.DENIED, Stage.WITHDRAWN),
    Stage.INFO_SENT: _IN_REVIEW,
    Stage.P2P_SCHEDULED: (Stage.P2P_SCHEDULED, Stage.P2P_HELD, Stage.WITHDRAWN),
    Stage.P2P_HELD: (Stage.INFO_REQUESTED, Stage.APPROVED, Stage.DENIED, Stage.WITHDRAWN),
    Stage.APPEAL_1: _IN_REVIEW,
    Stage.APPEAL_2: _IN_REVIEW,
    Stage.APPEAL_EXTERNAL: _IN_REVIEW,
    Stage.APPROVED: (),
    Stage.WITHDRAWN: (),
}


def appeal_level(stages: list[str]) -> int:
    """How many appeal levels were filed: 0 none, 1, 2, 3 (external review)."""
    levels = [str(level) for level in APPEALS]
    return max((levels.index(s) + 1 for s in stages if s in levels), default=0)


def current_stage(*, stage: str, status: str) -> str:
    """The stage the workflow stands at; an authorization recorded before stages existed stands at its status."""
    if stage:
        return stage
    decided: dict[str, str] = {AuthorizationStatus.APPROVED: Stage.APPROVED, AuthorizationStatus.DENIED: Stage.DENIED}
    return decided.get(status, "")


def allowed_next(*, current: str, history: list[str]) -> tuple[str, ...]:
    """The stages that may be recorded next, given the current one and every stage recorded so far."""
    if current == Stage.DENIED:
        level = appeal_level(history)
        return (APPEALS[level], Stage.WITHDRAWN) if level < len(APPEALS) else ()
    return NEXT.get(current, ())


def status_for(stage: str) -> str:
    """The authorization status a stage means (what readiness reads)."""
    statuses: dict[str, str] = {
        Stage.APPROVED: AuthorizationStatus.APPROVED,
        Stage.DENIED: AuthorizationStatus.DENIED,
        Stage.WITHDRAWN: AuthorizationStatus.WITHDRAWN,
    }
    return statuses.get(stage, AuthorizationStatus.PENDING)


def default_due_on(
    *, stage: str, occurred_on: dt.date, history: list[str], slot_day: dt.date | None = None
) -> dt.date | None:
    """When the step after this stage falls due (calendar days, so across month and year ends alike)."""
    if stage == Stage.P2P_SCHEDULED:
        return slot_day
    if stage == Stage.DENIED and appeal_level(history) >= len(APPEALS):
        return None  # the external review was the last level: nothing left to file
    days = DUE_DAYS.get(stage)
    return occurred_on + dt.timedelta(days=days) if days is not None else None


@dataclass(frozen=True)
class NextAction:
    code: str
    text: str
    due_on: dt.date

    def is_overdue(self, today: dt.date) -> bool:
        return self.due_on < today

    def days_left(self, today: dt.date) -> int:
        return (self.due_on - today).days


_ACTIONS: dict[str, tuple[str, str]] = {
    Stage.SUBMITTED: ("payer_response", "Payer's decision due"),
    Stage.INFO_SENT: ("payer_response", "Payer's decision due"),
    Stage.INFO_REQUESTED: ("send_information", "Send the information the payer asked for"),
    Stage.P2P_SCHEDULED: ("peer_to_peer", "Peer-to-peer review"),
    Stage.P2P_HELD: ("payer_response", "Payer's decision after the peer-to-peer review due"),
    Stage.APPEAL_1: ("appeal_response", "Decision on the level 1 appeal due"),
    Stage.APPEAL_2: ("appeal_response", "Decision on the level 2 appeal due"),
    Stage.APPEAL_EXTERNAL: ("appeal_response", "External review decision due"),
}
_APPEAL_TEXT = ("File the level 1 appeal", "File the level 2 appeal", "Request an external review")


def next_action(
    *,
    current: str,
    status: str,
    history: list[str],
    due_on: dt.date | None,
    created_on: dt.date,
    detail: str = "",
) -> NextAction | None:
    """The coordinator's next step and its due date, or None when there is nothing left to do.

    ``due_on`` is the latest stage's; ``detail`` is added to the text (the peer-to-peer slot's time and reviewer).
    """
    if status in (AuthorizationStatus.NOT_REQUIRED, AuthorizationStatus.EXPIRED):
        return None
    if current == "":
        if status != AuthorizationStatus.PENDING:
            return None
        return NextAction(
            "submit", "Submit the request to the payer", created_on + dt.timedelta(days=SUBMIT_WITHIN_DAYS)
        )
    if due_on is None:
        return None
    if current == Stage.DENIED:
        level = appeal_level(history)
        if level >= len(APPEALS):
            return None
        return NextAction(f"appeal_{level + 1}", f"{_APPEAL_TEXT[level]} (deadline)", due_on)
    if current not in _ACTIONS:
        return None
    code, text = _ACTIONS[current]
    return NextAction(code, f"{text}{f' · {detail}' if detail else ''}", due_on)
