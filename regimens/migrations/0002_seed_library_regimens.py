"""Seed the library protocols already in a database with their regimens (issue 20).

IVIG's loading doses become consecutive days (2 g/kg over up to 5 days) where its loading gaps are
still the library's empty list. ``seed_regimens`` adds rows only where a protocol has none.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from regimens import library

    Protocol = apps.get_model("scheduling", "Protocol")
    Regimen = apps.get_model("regimens", "Regimen")
    DoseAmount = apps.get_model("regimens", "DoseAmount")
    WeightBand = apps.get_model("regimens", "WeightBand")
    RateLadder = apps.get_model("regimens", "RateLadder")
    RateStep = apps.get_model("regimens", "RateStep")
    Protocol.objects.filter(code="ivig", loading_intervals_days=[]).update(
        loading_intervals_days=[1, 1, 1, 1], loading_window_days=0
    )
    for protocol in Protocol.objects.filter(code__in=set(library.REGIMENS) | set(library.AMOUNTS)):
        code = protocol.code
        Regimen.objects.get_or_create(protocol=protocol, defaults=library.REGIMENS.get(code, {}))
        if not DoseAmount.objects.filter(protocol=protocol).exists():
            for f, t, a, u, d in library.AMOUNTS.get(code, []):
                DoseAmount.objects.create(protocol=protocol, from_dose=f, to_dose=t, amount=a, unit=u, divided_over_days=d)
        if not WeightBand.objects.filter(protocol=protocol).exists():
            for f, t, lo, hi, mg, minutes in library.BANDS.get(code, []):
                WeightBand.objects.create(
                    protocol=protocol, from_dose=f, to_dose=t, min_kg=lo, below_kg=hi, amount_mg=mg,
                    infusion_minutes=minutes,
                )  # fmt: skip
        if not RateLadder.objects.filter(protocol=protocol).exists():
            for name, f, t, unit, volume, conc, short, no_serious, steps in library.LADDERS.get(code, []):
                ladder = RateLadder.objects.create(
                    protocol=protocol, name=name, from_dose=f, to_dose=t, rate_unit=unit, volume_ml=volume,
                    concentration_mg_per_ml=conc, is_short_option=short, requires_no_serious_reaction=no_serious,
                )  # fmt: skip
                for i, (rate, m) in enumerate(steps, 1):
                    RateStep.objects.create(ladder=ladder, position=i, rate=rate, minutes=m)


class Migration(migrations.Migration):
    dependencies = [("regimens", "0001_initial"), ("scheduling", "0004_dose_rules_and_chair_checks")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
