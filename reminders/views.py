"""Reminder pages: staff follow-up, the development SMS inbox, patients' signed links and Twilio webhooks.

Patients' links and Twilio's webhooks work without a login (``@login_not_required``);
links are protected by their signature, webhooks by ``X-Twilio-Signature``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chairs.selectors import centers_for
from patients.models import Patient
from reminders import content, links, selectors, services
from scheduling.models import Appointment, AppointmentStatus, CancelledBy

PAGE_SIZE = 50


# --- Staff ----------------------------------------------------------------------------------------


@require_GET
@permission_required("reminders.view_reminder", raise_exception=True)
def reminder_list(request):
    view = request.GET.get("show", "follow_up")
    if view not in selectors.FILTERS:
        view = "follow_up"
    reminders = selectors.reminders_for(user=request.user, view=view)
    page = Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reminders/reminder_list.html",
        {"page": page, "show": view, "filters": selectors.FILTERS},
    )


@require_POST
@permission_required("reminders.change_reminder", raise_exception=True)
def reminder_resend(request, pk: int):
    reminder = selectors.reminder_for(user=request.user, pk=pk)
    services.resend(reminder=reminder, actor=request.user)
    messages.success(request, "The reminder will be sent again within a minute.")
    return redirect(request.POST.get("next") or "reminders:list")


@require_POST
@permission_required("reminders.change_reminder", raise_exception=True)
def reminder_followed_up(request, pk: int):
    reminder = selectors.reminder_for(user=request.user, pk=pk)
    services.mark_followed_up(reminder=reminder, actor=request.user)
    messages.success(request, "Marked as followed up.")
    return redirect(request.POST.get("next") or "reminders:list")


@require_GET
@permission_required("reminders.view_reminder", raise_exception=True)
def appointment_reminders(request, appointment_id: int):
    """The reminder history of one appointment (the partial the appointment page includes)."""
    appointment = Appointment.objects.filter(pk=appointment_id, center__in=centers_for(user=request.user)).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return render(request, "reminders/_appointment_reminders.html", {"appointment": appointment})


@require_GET
@permission_required("reminders.view_reminder", raise_exception=True)
def development_sms(request):
    return render(
        request,
        "reminders/development_sms.html",
        {
            "sent": selectors.development_messages_for(user=request.user),
            "received": selectors.inbound_messages_for(user=request.user),
            "is_development": settings.SMS_BACKEND == "development",
        },
    )


@require_POST
@permission_required("reminders.change_reminder", raise_exception=True)
def development_sms_reply(request):
    """Pretend the patient replied by text (development backend only)."""
    if settings.SMS_BACKEND != "development":
        raise Http404("Replies can be simulated only with the development SMS backend.")
    phone = services.normalize_phone(request.POST.get("from_number", ""))
    body = request.POST.get("body", "").strip()
    if not body or not Patient.objects.filter(phone=phone, center__in=centers_for(user=request.user)).exists():
        messages.error(request, "Choose a patient's number at your center and type a reply.")
        return redirect("reminders:development_sms")
    inbound = services.handle_inbound_sms(from_number=phone, body=body)
    messages.success(request, f"{inbound.outcome} Reply sent to the patient: “{inbound.reply}”")
    return redirect("reminders:development_sms")


# --- Patients' signed links -----------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def appointment_link(request, token: str, action: str):
    """GET shows what the link will do; POST does it (so link scanners in mail clients change nothing)."""
    from scheduling.errors import InvalidTransition
    from scheduling.services import transition

    try:
        appointment_id = links.read_token(token, action=action)
    except links.LinkInvalid as error:
        return render(request, "reminders/link.html", {"error": str(error)}, status=400)
    appointment = (
        Appointment.objects.select_related("center", "patient", "patient__center").filter(pk=appointment_id).first()
    )
    if appointment is None:
        return render(request, "reminders/link.html", {"error": "This appointment no longer exists."}, status=404)
    facts = content.facts_for(appointment)
    context = {"facts": facts, "action": action, "appointment": appointment}
    if appointment.start <= timezone.now():
        context["error"] = "This link has expired: the appointment time has passed."
        return render(request, "reminders/link.html", context, status=410)
    if appointment.status == AppointmentStatus.CANCELLED:
        context["done"] = "This appointment is cancelled."
        return render(request, "reminders/link.html", context)
    if request.method == "POST":
        try:
            if action == "confirm":
                transition(
                    actor=None, appointment=appointment, action="confirm", reason="Patient confirmed by email link."
                )
                context["done"] = "Thank you, your appointment is confirmed."
            else:
                transition(
                    actor=None,
                    appointment=appointment,
                    action="cancel",
                    cancelled_by=CancelledBy.PATIENT,
                    reason="Patient cancelled by email link.",
                )
                context["done"] = "Your appointment is cancelled."
        except InvalidTransition:
            context["error"] = "This appointment can no longer be changed online. Please call us."
            return render(request, "reminders/link.html", context, status=409)
    elif action == "confirm" and appointment.confirmed_at:
        context["done"] = "Your appointment is already confirmed. Thank you."
    return render(request, "reminders/link.html", context)


# --- Twilio webhooks ------------------------------------------------------------------------------


def twilio_signature_is_valid(request) -> bool:
    from twilio.request_validator import RequestValidator

    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST, signature)


@csrf_exempt
@login_not_required
@require_POST
def sms_inbound(request):
    if not twilio_signature_is_valid(request):
        return HttpResponseForbidden("Invalid signature.")
    from twilio.twiml.messaging_response import MessagingResponse

    inbound = services.handle_inbound_sms(
        from_number=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
        provider_message_id=request.POST.get("MessageSid", ""),
    )
    response = MessagingResponse()
    if inbound.reply:
        response.message(inbound.reply)
    return HttpResponse(str(response), content_type="text/xml")


@csrf_exempt
@login_not_required
@require_POST
def sms_status(request):
    if not twilio_signature_is_valid(request):
        return HttpResponseForbidden("Invalid signature.")
    services.apply_status_callback(
        provider_message_id=request.POST.get("MessageSid", "") or request.POST.get("SmsSid", ""),
        provider_status=request.POST.get("MessageStatus", "") or request.POST.get("SmsStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
