"""The regimen library: dose amounts, weight bands, rate ladders and courses from the labels.

Sources are in each row's notes (prescribing information, as summarised in ../shared/DOMAIN.md);
values marked *(verify)* are sensible local defaults. ``seed_regimens`` creates only what a
protocol does not have yet, so a center admin's edits stay.
"""

from __future__ import annotations

from typing import Any

# code -> regimen settings (Regimen fields)
REGIMENS: dict[str, dict[str, Any]] = {
    "don": {"notes": "Kisunla PI (July 2025): 350, 700, 1050 mg, then 1400 mg every 4 weeks."},
    "ecu": {"notes": "Soliris PI (gMG): 900 mg weekly ×4, 1200 mg at week 5, then 1200 mg every 2 weeks."},
    "ocr": {
        "notes": "Ocrevus PI: 300 mg on day 1 and day 15 (250 mL, 30 → 180 mL/h), then 600 mg (500 mL) over "
        "~3.5 h, or the 2-hour infusion if no prior serious infusion reaction."
    },
    "ubl": {"notes": "Briumvi PI: 150 mg in 250 mL over 4 h (rate steps), then 450 mg in 250 mL over 1 h."},
    "efg": {"notes": "Vyvgart PI: 10 mg/kg (at most 1200 mg per infusion) weekly ×4 per cycle."},
    "rav": {
        "notes": "Ultomiris PI (gMG, 100 mg/mL): loading and maintenance dose and minimum infusion time by "
        "weight band (verify per band against the current label)."
    },
    "ivig": {
        "course_days_min": 2,
        "course_days_max": 5,
        "course_doses": 5,
        "course_may_skip_closed_days": False,
        "stability_minutes": 480,
        "notes": "CIDP (Gamunex-C / Gammagard PI): loading 2 g/kg over 2–5 consecutive days, then 1 g/kg "
        "every 3 weeks; rate from 2 mg/kg/min (1.2 mL/kg/h of 10 %) up to 8 mg/kg/min (4.8 mL/kg/h) "
        "(local ladder, verify). Weigh the patient before the course.",
    },
    "mp": {
        "course_days_min": 3,
        "course_days_max": 5,
        "course_may_skip_closed_days": False,
        "notes": "1 g daily ×3–5 consecutive days (common practice, verify); closed days are not skipped.",
    },
    "ine": {"notes": "Uplizna PI: 300 mg in 250 mL: 42 mL/h for 30 min, 125 mL/h for 30 min, then 333 mL/h."},
}

# code -> DoseAmount rows (from_dose, to_dose, amount, unit, divided_over_days)
AMOUNTS: dict[str, list[tuple[int, int | None, str, str, int]]] = {
    "don": [(1, 1, "350", "mg", 1), (2, 2, "700", "mg", 1), (3, 3, "1050", "mg", 1), (4, None, "1400", "mg", 1)],
    "ecu": [(1, 4, "900", "mg", 1), (5, None, "1200", "mg", 1)],
    "ocr": [(1, 2, "300", "mg", 1), (3, None, "600", "mg", 1)],
    "ubl": [(1, 1, "150", "mg", 1), (2, None, "450", "mg", 1)],
    "efg": [(1, None, "10", "mg/kg", 1)],
    "ivig": [(1, 5, "2", "g/kg", 5), (6, None, "1", "g/kg", 1)],
    "mp": [(1, None, "1000", "mg", 1)],
    "ine": [(1, None, "300", "mg", 1)],
    "lec": [(1, None, "10", "mg/kg", 1)],
    "nat": [(1, None, "300", "mg", 1)],
    "ept": [(1, None, "100", "mg", 1)],
}

# code -> WeightBand rows (from_dose, to_dose, min_kg, below_kg, amount_mg, infusion_minutes)
BANDS: dict[str, list[tuple[int, int | None, str, str | None, int, int]]] = {
    "rav": [
        (1, 1, "40", "60", 2400, 45),
        (1, 1, "60", "100", 2700, 35),
        (1, 1, "100", None, 3000, 25),
        (2, None, "40", "60", 3000, 55),
        (2, None, "60", "100", 3300, 40),
        (2, None, "100", None, 3600, 30),
    ],
}

# code -> ladders: (name, from_dose, to_dose, rate_unit, volume_ml, concentration, is_short, no_serious, steps)
LADDERS: dict[str, list[tuple[str, int, int | None, str, int | None, str | None, bool, bool, list[tuple[str, int | None]]]]] = {
    "ocr": [
        ("300 mg ladder", 1, 2, "mL/h", 250, None, False, False,
         [("30", 30), ("60", 30), ("90", 30), ("120", 30), ("150", 30), ("180", None)]),
        ("600 mg standard (~3.5 h)", 3, None, "mL/h", 500, None, False, False,
         [("40", 30), ("80", 30), ("120", 30), ("160", 30), ("200", None)]),
        ("600 mg 2-hour option", 3, None, "mL/h", 500, None, True, True,
         [("100", 15), ("200", 15), ("250", 30), ("300", None)]),
    ],
    "ubl": [
        ("150 mg ladder (4 h)", 1, 1, "mL/h", 250, None, False, False,
         [("10", 30), ("20", 30), ("35", 60), ("100", None)]),
        ("450 mg (1 h)", 2, None, "mL/h", 250, None, False, False, [("100", 30), ("400", None)]),
    ],
    "ivig": [
        ("10 % by weight", 1, None, "mL/kg/h", None, "100", False, False,
         [("1.2", 30), ("2.4", 30), ("3.6", 30), ("4.8", None)]),
    ],
    "ine": [
        ("300 mg ladder (~90 min)", 1, None, "mL/h", 250, None, False, False, [("42", 30), ("125", 30), ("333", None)]),
    ],
}  # fmt: skip


def seed_regimens() -> int:
    """Give each library protocol its regimen rows where it has none yet; return how many protocols got some."""
    from regimens.models import DoseAmount, RateLadder, RateStep, Regimen, WeightBand
    from scheduling.models import Protocol

    seeded = 0
    for protocol in Protocol.objects.filter(code__in=set(REGIMENS) | set(AMOUNTS)):
        code = protocol.code
        _, created = Regimen.objects.get_or_create(protocol=protocol, defaults=REGIMENS.get(code, {}))
        seeded += created
        if code in AMOUNTS and not DoseAmount.objects.filter(protocol=protocol).exists():
            DoseAmount.objects.bulk_create(
                DoseAmount(protocol=protocol, from_dose=f, to_dose=t, amount=a, unit=u, divided_over_days=d)
                for f, t, a, u, d in AMOUNTS[code]
            )
        if code in BANDS and not WeightBand.objects.filter(protocol=protocol).exists():
            WeightBand.objects.bulk_create(
                WeightBand(protocol=protocol, from_dose=f, to_dose=t, min_kg=lo, below_kg=hi, amount_mg=mg,
                           infusion_minutes=minutes)
                for f, t, lo, hi, mg, minutes in BANDS[code]
            )  # fmt: skip
        if code in LADDERS and not RateLadder.objects.filter(protocol=protocol).exists():
            for name, f, t, unit, volume, conc, short, no_serious, steps in LADDERS[code]:
                ladder = RateLadder.objects.create(
                    protocol=protocol, name=name, from_dose=f, to_dose=t, rate_unit=unit, volume_ml=volume,
                    concentration_mg_per_ml=conc, is_short_option=short, requires_no_serious_reaction=no_serious,
                )  # fmt: skip
                RateStep.objects.bulk_create(
                    RateStep(ladder=ladder, position=i, rate=rate, minutes=m) for i, (rate, m) in enumerate(steps, 1)
                )
    return seeded


def seed_demo_weights(patients, *, today) -> int:
    """Give demo patients a weight (45–110 kg), most measured lately and some weeks ago (stale), once."""
    import datetime as dt
    import random
    from decimal import Decimal

    from regimens.models import PatientWeight

    rng = random.Random(20)
    weighed = set(PatientWeight.objects.filter(patient__in=patients).values_list("patient_id", flat=True))
    rows = [
        PatientWeight(
            patient=p,
            kg=Decimal(rng.randint(450, 1100)) / 10,
            measured_on=today - dt.timedelta(days=rng.choice([0, 3, 7, 14, 21, 45, 60])),
        )
        for p in patients
        if p.pk not in weighed
    ]
    PatientWeight.objects.bulk_create(rows)
    return len(rows)
