"""The neurology protocol library, from ../shared/DOMAIN.md (prescribing information).

Durations are minutes; chair time = set-up + pre-medication + infusion +
observation. Values marked *(verify)* in DOMAIN.md are sensible defaults, and
their protocol notes say so. Center admins can edit every value afterwards:
``seed_protocols`` only creates protocols that do not exist yet.
"""

from __future__ import annotations

from typing import Any

PROTOCOLS: list[dict[str, Any]] = [
    {
        "code": "lec",
        "name": "Lecanemab",
        "drug": "lecanemab",
        "brand": "Leqembi",
        "indication": "Early Alzheimer's disease",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "premedication_minutes": 0,
        "observation_minutes": 30,
        "interval_days": 14,
        "interval_window_days": 3,
        "notes": "Every 2 weeks; after 18 months every 2 or 4 weeks. MRI before infusions 3, 5, 7 and 14 "
        "(FDA, Aug 2025). Observation time not stated in the label: 30 min is a local default (verify).",
    },
    {
        "code": "don",
        "name": "Donanemab",
        "drug": "donanemab",
        "brand": "Kisunla",
        "indication": "Early Alzheimer's disease",
        "first_dose_infusion_minutes": 30,
        "later_dose_infusion_minutes": 30,
        "observation_minutes": 30,
        "interval_days": 28,
        "interval_window_days": 7,
        "min_days_between_doses": 21,
        "notes": "Every 4 weeks, never less than 21 days apart; 350, 700, 1050 mg then 1400 mg (July 2025 "
        "label). MRI before infusions 2, 3, 4 and 7.",
    },
    {
        "code": "ept",
        "name": "Eptinezumab",
        "drug": "eptinezumab",
        "brand": "Vyepti",
        "indication": "Migraine prevention",
        "first_dose_infusion_minutes": 30,
        "later_dose_infusion_minutes": 30,
        "observation_minutes": 0,
        "interval_days": 91,
        "interval_window_days": 14,
        "notes": "Every 3 months. No observation period stated in the label.",
    },
    {
        "code": "dhe",
        "name": "Dihydroergotamine",
        "drug": "dihydroergotamine",
        "brand": "D.H.E. 45",
        "indication": "Acute migraine",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "observation_minutes": 30,
        "notes": "Infusion time not in the label: 60 min is a local default (verify locally). 1 mg, may "
        "repeat hourly to 2 mg per 24 h; at most 6 mg per week.",
    },
    {
        "code": "nat",
        "name": "Natalizumab",
        "drug": "natalizumab",
        "brand": "Tysabri",
        "indication": "Relapsing multiple sclerosis",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "observation_minutes": 60,
        "interval_days": 28,
        "interval_window_days": 3,
        "notes": "TOUCH programme: pre-infusion checklist before every infusion; reauthorization every 6 months.",
    },
    {
        "code": "ocr",
        "name": "Ocrelizumab",
        "drug": "ocrelizumab",
        "brand": "Ocrevus",
        "indication": "Relapsing and primary progressive multiple sclerosis",
        "first_dose_infusion_minutes": 150,
        "later_dose_infusion_minutes": 210,
        "initial_dose_count": 2,
        "premedication_minutes": 30,
        "observation_minutes": 60,
        "interval_days": 168,
        "interval_window_days": 14,
        "min_days_between_doses": 140,
        "loading_intervals_days": [14, 154],
        "notes": "Dose 1 is two 300 mg infusions on day 1 and day 15 (doses 1 and 2 here, ~150 min each); "
        "then 600 mg every 24 weeks (~210 min, or ~120 min if no prior serious reaction), at least 20 weeks "
        "apart. Pre-medication: methylprednisolone and an antihistamine.",
    },
    {
        "code": "ubl",
        "name": "Ublituximab",
        "drug": "ublituximab",
        "brand": "Briumvi",
        "indication": "Relapsing multiple sclerosis",
        "first_dose_infusion_minutes": 240,
        "later_dose_infusion_minutes": 60,
        "premedication_minutes": 30,
        "observation_minutes": 60,
        "observation_dose_count": 2,
        "later_observation_minutes": 30,
        "interval_days": 168,
        "interval_window_days": 14,
        "min_days_between_doses": 150,
        "loading_intervals_days": [14, 154],
        "notes": "Dose 1: 150 mg over ~4 h; dose 2 (day 15) and later 450 mg over ~1 h; every 24 weeks from "
        "dose 1. Observation at least 60 min after doses 1 and 2 (Briumvi PI); from dose 3 on per local "
        "policy: 30 min is a local default (verify). Minimum spacing: the EU label says at least 5 months "
        "between maintenance doses; 150 days is a local default (verify for the US label). Pregnancy status "
        "before every dose (on the day). Pre-medication 30–60 min before: 30 min of chair time is a local default.",
    },
    {
        "code": "mp",
        "name": "Methylprednisolone pulse",
        "drug": "methylprednisolone",
        "brand": "Solu-Medrol",
        "indication": "Multiple sclerosis relapse",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "interval_days": 1,
        "interval_window_days": 0,
        "notes": "1 g daily for 3–5 days (common practice, verify).",
    },
    {
        "code": "ecu",
        "name": "Eculizumab",
        "drug": "eculizumab",
        "brand": "Soliris",
        "indication": "Generalized myasthenia gravis",
        "first_dose_infusion_minutes": 35,
        "later_dose_infusion_minutes": 35,
        "observation_minutes": 60,
        "interval_days": 14,
        "interval_window_days": 2,
        "loading_intervals_days": [7, 7, 7, 7],
        "loading_window_days": 2,
        "notes": "900 mg weekly ×4, 1200 mg in week 5, then 1200 mg every 2 weeks; ±2 days for loading and "
        "maintenance doses (Soliris PI). Meningococcal vaccines at least 2 weeks before dose 1; REMS enrollment.",
    },
    {
        "code": "rav",
        "name": "Ravulizumab",
        "drug": "ravulizumab",
        "brand": "Ultomiris",
        "indication": "Generalized myasthenia gravis",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "observation_minutes": 60,
        "interval_days": 56,
        "interval_window_days": 7,
        "loading_intervals_days": [14],
        "loading_window_days": 0,
        "notes": "Loading dose, first maintenance exactly 2 weeks later (no window), then every 8 weeks (±7 days) "
        "(Ultomiris PI). Infusion time depends on the weight band: 60 min is a local default (verify per band).",
    },
    {
        "code": "efg",
        "name": "Efgartigimod alfa",
        "drug": "efgartigimod alfa",
        "brand": "Vyvgart",
        "indication": "Generalized myasthenia gravis",
        "first_dose_infusion_minutes": 60,
        "later_dose_infusion_minutes": 60,
        "observation_minutes": 60,
        "interval_days": 7,
        "interval_window_days": 3,
        "min_days_between_doses": 7,
        "cycle_doses": 4,
        "cycle_gap_days": 28,
        "notes": "Cycles of 4 weekly infusions (a dose may be up to 3 days late, never early: at least 7 days "
        "apart); the next cycle by clinical evaluation, at least 4 weeks after the previous cycle's last "
        "infusion and no sooner than 50 days from the previous cycle's start (Vyvgart PI). Doses are numbered "
        "through the cycles (doses 1–4 cycle 1, 5–8 cycle 2). Review vaccines before each cycle.",
    },
    {
        "code": "ivig",
        "name": "IV immunoglobulin",
        "drug": "immune globulin",
        "brand": "Gammagard / Gamunex-C",
        "indication": "CIDP",
        "first_dose_infusion_minutes": 300,
        "later_dose_infusion_minutes": 240,
        "observation_minutes": 30,
        "required_chair_kind": "bed",
        "required_features": ["pump"],
        "interval_days": 21,
        "interval_window_days": 3,
        "loading_intervals_days": [1, 1, 1, 1],
        "loading_window_days": 0,
        "notes": "Time from weight and the rate ladder, typically 2–5 h a day; 2 g/kg over 2–5 days, then "
        "1 g/kg every 3 weeks. Long infusions go to a bed. Hydrate; check kidney function when at risk.",
    },
    {
        "code": "ine",
        "name": "Inebilizumab",
        "drug": "inebilizumab",
        "brand": "Uplizna",
        "indication": "NMOSD",
        "first_dose_infusion_minutes": 90,
        "later_dose_infusion_minutes": 90,
        "premedication_minutes": 30,
        "observation_minutes": 60,
        "interval_days": 182,
        "interval_window_days": 14,
        "loading_intervals_days": [14, 168],
        "notes": "Day 1, day 15, then every 6 months. Pre-medication (corticosteroid, antihistamine, antipyretic) "
        "30–60 min before every infusion: 30 min of chair time is a local default. Infusion (90 min) and "
        "observation (60 min) times are local defaults (verify). Hepatitis B, tuberculosis and quantitative "
        "serum immunoglobulins before dose 1 (Uplizna PI).",
    },
]


# Weighted protocol mix of a neurology center: (code, weight, usual dose numbers)
PROTOCOL_MIX = [
    ("ocr", 16, (3, 4, 5, 6)),
    ("nat", 18, (5, 8, 12, 20)),
    ("lec", 16, (2, 4, 6, 9, 12)),
    ("don", 8, (3, 5, 8)),
    ("ept", 10, (2, 3, 5)),
    ("ivig", 8, (3, 6, 10)),
    ("ecu", 6, (6, 9, 14)),
    ("efg", 6, (1, 2, 3, 4)),
    ("mp", 6, (1, 2, 3)),
    ("ubl", 3, (3, 4)),
    ("rav", 3, (3, 5)),
]


def seed_protocols() -> int:
    """Create the library's protocols that do not exist yet; return how many were created."""
    from scheduling.models import Protocol

    created = 0
    for values in PROTOCOLS:
        _, was_created = Protocol.objects.get_or_create(code=values["code"], defaults=values)
        created += was_created
    # The checks before doses (MRI, vaccines, screening) come with the library (issue 8).
    from treatment.prerequisite_library import seed_prerequisites

    seed_prerequisites()
    # Dose amounts, weight bands, rate ladders and courses come with the library too (issue 20).
    from regimens.library import seed_regimens

    seed_regimens()
    return created
