"""``{% dose_card appointment %}`` and ``{% dose_preview protocol dose_number patient %}``: a dose's
amount, weight, rate ladder and what earlier reactions changed, on one appointment's pages."""

from django import template

from regimens.dosing import dose_plan

register = template.Library()


@register.inclusion_tag("regimens/_dose_card.html")
def dose_card(appointment):
    plan = dose_plan(
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        patient=appointment.patient,
        on=appointment.start.astimezone(appointment.center.tzinfo).date(),
    )
    short_by = plan.chair_minutes - appointment.chair_minutes if appointment.is_active else 0
    return {"plan": plan, "appointment": appointment, "short_by": short_by if short_by > 0 else 0}


@register.inclusion_tag("regimens/_dose_preview.html")
def dose_preview(protocol, dose_number, patient):
    return {"plan": dose_plan(protocol=protocol, dose_number=dose_number, patient=patient)}
