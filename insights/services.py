"""The one change the insights make: use the observed chair time as a protocol's booked length.

A protocol's chair time is set-up + pre-medication + infusion + observation. The infusion and
observation times come from the label, so the observed difference goes into the set-up time (the
operational part: access, pump, turnover). The new length applies to bookings made from now on:
an appointment stores its own end, so existing appointments keep theirs. The change is recorded in
the protocol's history with who made it and why.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from scheduling.models import Protocol

MAX_SETUP_MINUTES = 120


class ChairTimeRefused(ValueError):
    """The observed length cannot be reached through the set-up time (a 400 naming ``minutes``)."""


def new_setup_minutes(*, protocol: Protocol, is_first: bool, minutes: int) -> int:
    """The set-up time that makes this dose group's chair time ``minutes``."""
    dose = 1 if is_first else protocol.initial_dose_count + 1
    return protocol.setup_minutes + minutes - protocol.chair_minutes(dose)


@transaction.atomic
def use_observed_chair_time(*, actor, protocol: Protocol, is_first: bool, minutes: int, basis: str) -> Protocol:
    """Set the protocol's set-up time so that the dose group's chair time is ``minutes`` (future bookings)."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    setup = new_setup_minutes(protocol=protocol, is_first=is_first, minutes=minutes)
    if not 0 <= setup <= MAX_SETUP_MINUTES:
        raise ChairTimeRefused(
            f"{minutes} min would need a set-up time of {setup} min (0–{MAX_SETUP_MINUTES} allowed); "
            "change the protocol's infusion or observation time in Center setup instead."
        )
    protocol.setup_minutes = setup
    try:
        protocol.full_clean()
    except ValidationError as error:
        raise ChairTimeRefused("; ".join(error.messages)) from error
    group = "first doses" if is_first else "later doses"
    protocol._history_user = actor  # type: ignore[attr-defined]  # django-simple-history
    protocol._change_reason = f"Insights: observed {basis} chair time of {group}, {minutes} min"[:100]  # type: ignore[attr-defined]
    protocol.save(update_fields=["setup_minutes"])
    return protocol
