"""The waitlist pages (staff) and the patients' offer and reschedule links (no login, signed)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chairs.selectors import center_for, centers_for
from reminders import content, links
from reminders.models import LinkPurpose
from scheduling.errors import BookingRefused, CenterBusy, InvalidTransition
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import appointment_for
from waitlist import selectors, services
from waitlist.forms import PhoneOutcomeForm, WaitlistEntryChangeForm, WaitlistEntryForm
from waitlist.models import Offer, OfferStatus

# --- Staff ----------------------------------------------------------------------------------------


@require_GET
@permission_required("waitlist.view_waitlistentry", raise_exception=True)
def waitlist(request):
    center = center_for(user=request.user, center_id=request.GET.get("center"))
    if center is None:
        raise Http404("You do not work at any center.")
    return render(
        request,
        "waitlist/waitlist.html",
        {
            "center": center,
            "centers": centers_for(user=request.user),
            "rows": selectors.waitlist_rows(user=request.user, center=center),
            "offers": selectors.recent_offers(user=request.user, center=center),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("waitlist.add_waitlistentry", raise_exception=True)
def entry_add(request):
    replaces = None
    if request.GET.get("appointment"):
        replaces = appointment_for(user=request.user, pk=_int(request.GET["appointment"]))
    center = replaces.center if replaces else center_for(user=request.user, center_id=request.GET.get("center"))
    if center is None:
        raise Http404("You do not work at any center.")
    initial = {}
    if replaces is not None:
        initial = {
            "patient": replaces.patient_id,
            "protocol": replaces.protocol_id,
            "dose_number": replaces.dose_number,
            "replaces": replaces.pk,
            "channel": "sms" if replaces.patient.phone else "email",
        }
    form = WaitlistEntryForm(
        request.POST or None, center=center, patient=replaces.patient if replaces else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.add_to_waitlist(actor=request.user, center=center, **data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, f"{entry.patient.full_name} is on the waitlist.")
            return redirect("waitlist:entry", pk=entry.pk)
    return render(request, "waitlist/entry_form.html", {"form": form, "center": center, "replaces": replaces})


@require_GET
@permission_required("waitlist.view_waitlistentry", raise_exception=True)
def entry_detail(request, pk: int):
    entry = selectors.entry_for(user=request.user, pk=pk)
    return render(
        request,
        "waitlist/entry_detail.html",
        {
            "entry": entry,
            "offers": entry.offers.select_related("chair", "release", "appointment", "answered_by"),
            "earliest_slot": selectors.earliest_slot(entry, now=timezone.now()) if entry.is_waiting else None,
            "phone_form": PhoneOutcomeForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("waitlist.change_waitlistentry", raise_exception=True)
def entry_edit(request, pk: int):
    """Change a waiting entry's days, preferences or channel (through the service: the same checks as adding)."""
    entry = selectors.entry_for(user=request.user, pk=pk)
    if not entry.is_waiting:
        messages.error(request, "Only a waiting entry can be changed.")
        return redirect("waitlist:entry", pk=entry.pk)
    form = WaitlistEntryChangeForm.for_entry(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_waitlist_entry(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, f"{entry.patient.full_name}’s waitlist entry is changed.")
            return redirect("waitlist:entry", pk=entry.pk)
    return render(request, "waitlist/entry_edit.html", {"form": form, "entry": entry})


@require_POST
@permission_required("waitlist.change_waitlistentry", raise_exception=True)
def entry_remove(request, pk: int):
    entry = selectors.entry_for(user=request.user, pk=pk)
    services.remove_from_waitlist(actor=request.user, entry=entry, reason=request.POST.get("reason", ""))
    messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    return redirect(f"{_url('waitlist:list')}?center={entry.center_id}")


@require_POST
@permission_required("waitlist.change_offer", raise_exception=True)
def offer_phone_outcome(request, pk: int):
    """Staff called the patient about an offer and record the answer."""
    offer = selectors.offer_for(user=request.user, pk=pk)
    form = PhoneOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether the patient takes the time or declines it.")
    elif form.cleaned_data["outcome"] == "accepted":
        answer = services.accept_offer(offer=offer, actor=request.user)
        (messages.success if answer.outcome == "booked" else messages.error)(request, answer.message)
    else:
        services.decline_offer(offer=offer, actor=request.user)
        messages.success(request, "Recorded: the patient declined; the next patient will be offered the time.")
    return redirect("waitlist:entry", pk=offer.entry_id)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404("Not a number.") from None


def _url(name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


# --- Patients' links (no login) -------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def offer_link(request, token: str):
    """GET shows the offered time; POST takes it (so mail scanners take nothing)."""
    try:
        offer_id = links.read_token(token, action="take_offer")
    except links.LinkInvalid as error:
        return render(request, "waitlist/offer_link.html", {"error": str(error)}, status=400)
    return _offer_page(request, offer_id)


def _offer_page(request, offer_id: int):
    offer = (
        Offer.objects.select_related("entry__patient", "entry__center", "entry__protocol").filter(pk=offer_id).first()
    )
    if offer is None:
        return render(request, "waitlist/offer_link.html", {"error": "This offer no longer exists."}, status=404)
    context = {"facts": services._facts(offer), "offer": offer}
    if request.method == "POST":
        answer = services.accept_offer(offer=offer)
        context["done" if answer.outcome == "booked" else "error"] = answer.message
        return render(request, "waitlist/offer_link.html", context, status=200 if answer.outcome == "booked" else 409)
    if offer.status == OfferStatus.ACCEPTED:
        context["done"] = "This time is booked for you."
    elif offer.status != OfferStatus.SENT or offer.expires_at <= timezone.now():
        context["error"] = "Sorry, this offer is no longer open; you are still on the list."
    return render(request, "waitlist/offer_link.html", context)


def _load_appointment(appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_related("center", "patient", "patient__center", "protocol")
        .filter(pk=appointment_id)
        .first()
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def reschedule_link(request, token: str):
    """The patient picks another time for their appointment from a few of the planner's (no login)."""
    try:
        appointment = links.read_short_token(token, action="reschedule", load=_load_appointment)
    except links.LinkInvalid as error:
        return render(request, "waitlist/reschedule_link.html", {"error": str(error)}, status=400)
    return _reschedule_page(request, appointment)


@login_not_required
@require_http_methods(["GET", "POST"])
def sms_link(request, code: str):
    """A text message's short link (/r/<code>): the page of the one purpose the code was made for."""
    try:
        link = links.read_sms_code(code)
    except links.LinkInvalid as error:
        return render(request, "waitlist/reschedule_link.html", {"error": str(error)}, status=400)
    if link.purpose == LinkPurpose.TAKE_OFFER:
        offer = Offer.objects.filter(pk=link.object_id).only("start").first()
        if offer is None or offer.start != link.bound_start:
            return render(request, "waitlist/offer_link.html", {"error": "This offer no longer exists."}, status=404)
        return _offer_page(request, offer.pk)
    appointment = _load_appointment(link.object_id)
    if appointment is None or appointment.start != link.bound_start:
        error = "This link is not valid any more: the appointment was changed."
        return render(request, "waitlist/reschedule_link.html", {"error": error}, status=400)
    return _reschedule_page(request, appointment)


def _reschedule_page(request, appointment: Appointment):
    facts = content.facts_for(appointment)
    context: dict = {"facts": facts, "appointment": appointment}
    if appointment.start <= timezone.now() or appointment.status not in (
        AppointmentStatus.BOOKED,
        AppointmentStatus.PENDING,
    ):
        context["error"] = "This appointment can no longer be changed online. Please call us."
        return render(request, "waitlist/reschedule_link.html", context, status=410)
    if request.method == "POST":
        try:
            chair_id = int(request.POST.get("chair", ""))
            start = dt.datetime.fromisoformat(request.POST.get("start", ""))
            if start.tzinfo is None:
                raise ValueError
        except ValueError:
            context["error"] = "Choose one of the times below."
        else:
            try:
                moved = services.reschedule_by_patient(appointment=appointment, chair_id=chair_id, start=start)
            except (BookingRefused, CenterBusy, InvalidTransition):
                context["error"] = "Sorry, that time has just been taken. Please choose another."
            else:
                context["done"] = content.facts_for(moved)
                return render(request, "waitlist/reschedule_link.html", context)
    context["choices"] = [
        {"chair": c.chair_id, "start": c.start.isoformat(), "facts": _time_facts(appointment, c.start)}
        for c in services.reschedule_choices(appointment)
    ]
    return render(request, "waitlist/reschedule_link.html", context, status=409 if context.get("error") else 200)


def _time_facts(appointment: Appointment, start: dt.datetime) -> content.ReminderFacts:
    probe = Appointment(center=appointment.center, patient=appointment.patient, start=start)
    return content.facts_for(probe)
