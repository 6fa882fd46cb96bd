"""The checks each protocol needs before some doses, from ../shared/DOMAIN.md.

Rows, not code: a center admin edits them in Center setup. ``seed_prerequisites``
adds a protocol's library rows only when that protocol has none yet, so a
center's edits (or deliberate deletions) survive re-seeding. Windows the label
does not state are local defaults and their notes say "(verify)".
"""

from __future__ import annotations

from typing import Any

EVERY, FIRST, LISTED = "every", "first", "listed"
MRI_WINDOW_NOTE = "Window not stated in the label: 30 days is a local default (verify)."

PREREQUISITES: dict[str, list[dict[str, Any]]] = {
    "lec": [
        {"kind": "amyloid", "applies_to": FIRST, "notes": "Leqembi PI: confirm amyloid pathology before starting."},
        {"kind": "apoe4", "applies_to": FIRST, "notes": "Leqembi PI: ApoE ε4 testing before starting."},
        {
            "kind": "mri",
            "applies_to": FIRST,
            "window_days": 365,
            "notes": "Leqembi PI: recent baseline brain MRI (within a year) before dose 1.",
        },
        {
            "kind": "mri",
            "applies_to": LISTED,
            "dose_numbers": [3, 5, 7, 14],
            "window_days": 30,
            "notes": "Leqembi PI; FDA Drug Safety Communication 28 Aug 2025 added the MRI before dose 3. "
            + MRI_WINDOW_NOTE,
        },
    ],
    "don": [
        {"kind": "amyloid", "applies_to": FIRST, "notes": "Kisunla PI: confirm amyloid pathology before starting."},
        {"kind": "apoe4", "applies_to": FIRST, "notes": "Kisunla PI: ApoE ε4 testing before starting."},
        {
            "kind": "mri",
            "applies_to": FIRST,
            "window_days": 365,
            "notes": "Kisunla PI: recent baseline brain MRI (within a year) before dose 1.",
        },
        {
            "kind": "mri",
            "applies_to": LISTED,
            "dose_numbers": [2, 3, 4, 7],
            "window_days": 30,
            "notes": "Kisunla PI (July 2025): MRI before infusions 2, 3, 4 and 7. " + MRI_WINDOW_NOTE,
        },
    ],
    "nat": [
        {
            "kind": "rems_enrollment",
            "applies_to": EVERY,
            "window_days": 183,
            "notes": "TOUCH prescribing program: prescriber, patient and site enrolled; reauthorization every "
            "6 months.",
        },
        {
            "kind": "rems_checklist",
            "applies_to": EVERY,
            "window_days": 0,
            "notes": "TOUCH pre-infusion patient checklist before every infusion; not authorized means no infusion.",
        },
    ],
    "ocr": [
        {"kind": "hepatitis_b", "applies_to": FIRST, "notes": "Ocrevus PI: hepatitis B screening before starting."},
        {"kind": "immunoglobulins", "applies_to": FIRST, "notes": "Ocrevus PI: serum immunoglobulins before starting."},
        {"kind": "liver_tests", "applies_to": FIRST, "notes": "Ocrevus PI: liver function tests before starting."},
    ],
    "ubl": [
        {"kind": "hepatitis_b", "applies_to": FIRST, "notes": "Briumvi PI: hepatitis B screening before starting."},
        {"kind": "immunoglobulins", "applies_to": FIRST, "notes": "Briumvi PI: serum immunoglobulins before starting."},
        {"kind": "liver_tests", "applies_to": FIRST, "notes": "Briumvi PI: liver function tests before starting."},
    ],
    "ecu": [
        {
            "kind": "meningococcal_vaccine",
            "applies_to": FIRST,
            "min_days_before": 14,
            "notes": "Soliris PI (boxed warning): meningococcal vaccines (ACWY + B) at least 2 weeks before dose 1, "
            "otherwise antibiotic cover.",
        },
        {"kind": "rems_enrollment", "applies_to": FIRST, "notes": "Soliris REMS enrollment."},
    ],
    "rav": [
        {
            "kind": "meningococcal_vaccine",
            "applies_to": FIRST,
            "min_days_before": 14,
            "notes": "Ultomiris PI (boxed warning): meningococcal vaccines at least 2 weeks before dose 1, "
            "otherwise antibiotic cover.",
        },
        {"kind": "rems_enrollment", "applies_to": FIRST, "notes": "Ultomiris REMS enrollment."},
    ],
    "ine": [
        {"kind": "hepatitis_b", "applies_to": FIRST, "notes": "Uplizna PI: hepatitis B screening before dose 1."},
        {"kind": "tuberculosis", "applies_to": FIRST, "notes": "Uplizna PI: tuberculosis screening before dose 1."},
    ],
}


def seed_prerequisites() -> int:
    """Give each library protocol without prerequisites its rows; return how many rows were created."""
    from scheduling.models import Protocol
    from treatment.models import ProtocolPrerequisite

    protocols = Protocol.objects.filter(code__in=PREREQUISITES).exclude(prerequisites__isnull=False)
    rows = [
        ProtocolPrerequisite(protocol=protocol, **values)
        for protocol in protocols
        for values in PREREQUISITES[protocol.code]
    ]
    ProtocolPrerequisite.objects.bulk_create(rows)
    return len(rows)
