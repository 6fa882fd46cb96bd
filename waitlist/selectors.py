"""Reads the waitlist pages share: entries by urgency with their earliest slot now, and offers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from chairs.selectors import centers_for
from scheduling.planner import Candidate
from scheduling.slot_search import find_candidates
from waitlist.models import EntryStatus, Offer, WaitlistEntry
from waitlist.services import urgency_key


@dataclass(frozen=True)
class EntryRow:
    entry: WaitlistEntry
    is_overdue: bool
    days_left: int
    earliest_slot: Candidate | None
    last_offer: Offer | None


def entries_for(*, user) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(center__in=centers_for(user=user)).select_related(
        "center", "patient", "protocol", "replaces", "booked_appointment"
    )


def entry_for(*, user, pk: int) -> WaitlistEntry:
    entry = entries_for(user=user).filter(pk=pk).first()
    if entry is None:
        raise Http404("No such waitlist entry.")
    return entry


def offer_for(*, user, pk: int) -> Offer:
    offer = Offer.objects.filter(pk=pk, entry__center__in=centers_for(user=user)).select_related("entry").first()
    if offer is None:
        raise Http404("No such offer.")
    return offer


def earliest_slot(entry: WaitlistEntry, *, now: dt.datetime) -> Candidate | None:
    """The first time the planner finds now for the entry, inside its window and preferences."""
    today = now.astimezone(entry.center.tzinfo).date()
    date_from = max(entry.earliest, today)
    if date_from > entry.latest:
        return None
    replaces = entry.replaces if entry.replaces and entry.replaces.is_active else None
    result = find_candidates(
        center=entry.center,
        protocol=entry.protocol,
        dose_number=entry.dose_number,
        date_from=date_from,
        date_to=entry.latest,
        patient=entry.patient,
        time_of_day=entry.preferred_time_of_day,
        weekdays=frozenset(entry.preferred_weekdays) or None,
        exclude_appointment_id=replaces.pk if replaces else None,
        limit=10,
        now=now,
    )
    return min(result.candidates, key=lambda c: c.start, default=None)


def by_urgency(entries: list[WaitlistEntry], *, now: dt.datetime) -> list[WaitlistEntry]:
    """Overdue doses first, then the closest to the end of their window (each in its center's day)."""
    return sorted(entries, key=lambda e: urgency_key(e, today=now.astimezone(e.center.tzinfo).date()))


def entry_rows(entries: list[WaitlistEntry], *, now: dt.datetime) -> list[EntryRow]:
    """The entries as the page and the API show them: urgency, earliest slot now (waiting only), last offer."""
    last_offers: dict[int, Offer] = {}
    for offer in Offer.objects.filter(entry__in=entries).order_by("entry_id", "-created_at", "-pk"):
        last_offers.setdefault(offer.entry_id, offer)
    rows = []
    for entry in entries:
        today = now.astimezone(entry.center.tzinfo).date()
        overdue, _, _, _ = urgency_key(entry, today=today)
        rows.append(
            EntryRow(
                entry=entry,
                is_overdue=overdue == 0,
                days_left=(entry.latest - today).days,
                earliest_slot=earliest_slot(entry, now=now) if entry.is_waiting else None,
                last_offer=last_offers.get(entry.pk),
            )
        )
    return rows


def waitlist_rows(*, user, center, now: dt.datetime | None = None) -> list[EntryRow]:
    """The center's waiting entries, most urgent first (overdue, then closest to the window's end)."""
    now = now or timezone.now()
    entries = list(entries_for(user=user).filter(center=center, status=EntryStatus.WAITING))
    return entry_rows(by_urgency(entries, now=now), now=now)


def recent_offers(*, user, center, limit: int = 50) -> list[Offer]:
    return list(
        Offer.objects.filter(entry__center=center, entry__center__in=centers_for(user=user))
        .select_related("entry__patient", "entry__protocol", "chair", "release", "appointment", "answered_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def offers_for_appointment(appointment) -> list[Offer]:
    """Offers of the time this appointment freed, and the offer that booked it (for its page)."""
    return list(
        Offer.objects.filter(Q(release__appointment=appointment) | Q(appointment=appointment))
        .select_related("entry__patient", "chair", "release", "answered_by")
        .order_by("-created_at", "-pk")
        .distinct()
    )
