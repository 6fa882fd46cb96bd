"""A protocol as one center runs it: the installation's values with the center's own applied.

Protocols (and their prerequisites) are shared by every center of the installation; a center may
run some chair-time components and the interval differently (:class:`CenterProtocolSettings`).
Every path that turns a protocol into chair time or dose spacing for a center — the slot search
(hence the planner's request and the dose rules' windows), booking and moving, series proposals,
the discharge check and the booking templates — asks :func:`protocol_for_center` first, so they
agree. Booked appointments keep their stored end: changes apply to bookings made from then on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from chairs.models import Center
from scheduling.models import CENTER_PROTOCOL_FIELDS, CenterProtocolSettings, Protocol


def protocol_for_center(protocol: Protocol, center: Center | int) -> Protocol:
    """The protocol with ``center``'s own values (an in-memory copy; never save it). Cached: no query
    once the center's settings are in the cache."""
    center_id = center if isinstance(center, int) else center.pk
    if getattr(protocol, "settings_center_id", None) == center_id:
        return protocol
    return _applied(protocol, _center_rows(center_id).get(protocol.pk, {}), center_id)


def _center_rows(center_id: int) -> dict[int, dict]:
    """The center's own protocol values by protocol, cached until any protocol setting, protocol or
    regimen row changes (``scheduling.invalidation`` bumps the protocols' version for each)."""
    from infusion_center.versioned_cache import cached
    from scheduling.planner_input import PROTOCOLS_SCOPE

    def load() -> dict[int, dict]:
        rows = CenterProtocolSettings.objects.filter(center_id=center_id).values("protocol_id", *CENTER_PROTOCOL_FIELDS)
        return {row.pop("protocol_id"): row for row in rows}

    return cached([PROTOCOLS_SCOPE], f"center-protocol-settings:{center_id}", load)


def protocols_for_center(protocols: Iterable[Protocol], center: Center) -> list[Protocol]:
    """:func:`protocol_for_center` for many protocols in one query (the setup list)."""
    rows = {
        row.pop("protocol_id"): row
        for row in CenterProtocolSettings.objects.filter(center=center).values("protocol_id", *CENTER_PROTOCOL_FIELDS)
    }
    return [_applied(protocol, rows.get(protocol.pk, {}), center.pk) for protocol in protocols]


def _applied(protocol: Protocol, row: dict, center_id: int) -> Protocol:
    applied = copy.copy(protocol)
    for name, value in row.items():
        if value is not None:
            setattr(applied, name, value)
    applied.settings_center_id = center_id  # type: ignore[attr-defined]
    applied.save = _refuse_save  # type: ignore[method-assign]
    return applied


def _refuse_save(*args, **kwargs) -> None:
    raise TypeError("A center's view of a protocol is not saved: edit the protocol or the center's settings.")
