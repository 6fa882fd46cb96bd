"""``{% appointment_offers appointment %}``: the waitlist offers an appointment's page shows."""

from django import template

from waitlist.selectors import offers_for_appointment

register = template.Library()


@register.inclusion_tag("waitlist/_appointment_offers.html", takes_context=True)
def appointment_offers(context, appointment):
    user = context["request"].user
    return {
        "appointment": appointment,
        "offers": offers_for_appointment(appointment),
        "can_waitlist": user.has_perm("waitlist.add_waitlistentry") and appointment.status in ("booked", "pending"),
    }
