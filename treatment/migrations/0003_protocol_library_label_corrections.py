"""Bring library protocols already in a database in line with the labels (issue 11).

Only values still equal to what the library seeded before are changed, so a
center's own edits stay. Monitoring MRIs (lecanemab, donanemab) count only
after the previous dose; ublituximab gets its pregnancy check, inebilizumab its
immunoglobulin check. The values are written out here, not imported, so the
migration stays as it is when the library changes later.
"""

from django.db import migrations

# code: {field: (old library value, new value)}
PROTOCOL_FIXES = {
    "ubl": {
        "min_days_between_doses": (None, 150),
        "observation_dose_count": (None, 2),
        "later_observation_minutes": (0, 30),
    },
    "ine": {"premedication_minutes": (0, 30)},
    "ecu": {"loading_window_days": (None, 2)},
    "rav": {"loading_window_days": (None, 0)},
    "efg": {"min_days_between_doses": (None, 7), "cycle_doses": (None, 4), "cycle_gap_days": (None, 28)},
}
NOTE = " Checked against the label (issue 11): see the library's notes for local defaults."
MONITORING_MRI = {"lec": [3, 5, 7, 14], "don": [2, 3, 4, 7]}
NEW_CHECKS = {
    "ubl": {
        "kind": "pregnancy_test",
        "applies_to": "every",
        "window_days": 0,
        "is_acknowledgeable": True,
        "notes": "Briumvi PI: pregnancy status before every dose (women who can become pregnant), checked on the "
        "day; a nurse may acknowledge it with a reason (e.g. cannot become pregnant).",
    },
    "ine": {
        "kind": "immunoglobulins",
        "applies_to": "first",
        "notes": "Uplizna PI: quantitative serum immunoglobulins before dose 1.",
    },
}


def forwards(apps, schema_editor):
    Protocol = apps.get_model("scheduling", "Protocol")
    ProtocolPrerequisite = apps.get_model("treatment", "ProtocolPrerequisite")
    for code, fixes in PROTOCOL_FIXES.items():
        protocol = Protocol.objects.filter(code=code).first()
        if protocol is None:
            continue
        changed = False
        for field, (old, new) in fixes.items():
            if getattr(protocol, field) == old:
                setattr(protocol, field, new)
                changed = True
        if changed:
            protocol.notes = (protocol.notes + NOTE).strip()
            protocol.save()
    for code, doses in MONITORING_MRI.items():
        ProtocolPrerequisite.objects.filter(
            protocol__code=code, kind="mri", applies_to="listed", dose_numbers=doses
        ).update(after_previous_dose=True)
    for code, values in NEW_CHECKS.items():
        protocol = Protocol.objects.filter(code=code).first()
        if protocol is None or not protocol.prerequisites.exists():
            continue  # seed_prerequisites gives a protocol without rows the whole library set
        if not protocol.prerequisites.filter(kind=values["kind"]).exists():
            ProtocolPrerequisite.objects.create(protocol=protocol, **values)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_dose_rules_and_chair_checks"),
        ("treatment", "0002_prerequisite_monitoring_and_acknowledgement"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
