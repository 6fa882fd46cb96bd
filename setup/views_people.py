"""Center setup pages for people: staff (invite, roles, deactivate) and the nurses' rota."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from chairs.models import NurseShift
from chairs.roles import CENTER_ROLES, roles_of
from setup import forms, services
from setup.rota import monday_of
from setup.selectors import staff_member_of, staff_of, week_staffing
from setup.views import form_errors_to, render_form, with_center


@require_http_methods(["GET", "POST"])
@with_center
def staff(request, center):
    form = forms.StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.add_staff(
                actor=request.user, center=center, base_url=request.build_absolute_uri("/"), **data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            how = "can sign in now" if data["password"] else f"has been emailed an invitation at {user.email}"
            messages.success(request, f"{user.get_full_name()} {how}.")
            return redirect("setup:staff", center_id=center.pk)
    people = [(u, sorted(g.name for g in u.role_groups)) for u in staff_of(center)]
    return render(request, "setup/staff.html", {"center": center, "section": "staff", "people": people, "form": form})


@require_http_methods(["GET", "POST"])
@with_center
def staff_edit(request, center, user_id: int):
    person = staff_member_of(center=center, user_id=user_id)
    if person.is_superuser and not request.user.is_superuser:
        raise PermissionDenied("A superuser's roles are not changed here.")
    form = forms.StaffRolesForm(
        request.POST if request.method == "POST" else None,
        initial={"roles": sorted(roles_of(person) & set(CENTER_ROLES))},
    )
    if request.method == "POST" and form.is_valid():
        services.set_roles(actor=request.user, center=center, user=person, roles=form.cleaned_data["roles"])
        messages.success(request, f"Roles of {person.get_full_name() or person.username} saved.")
        return redirect("setup:staff", center_id=center.pk)
    if request.htmx:  # the row's inline editor on the staff page
        return render(
            request,
            "setup/_staff_row_form.html",
            {"center": center, "person": person, "form": form},
            status=400 if form.errors else 200,
        )
    return render_form(request, center, form, f"Roles of {person.get_full_name() or person.username}", section="staff")


@require_POST
@with_center
def staff_deactivate(request, center, user_id: int):
    person = staff_member_of(center=center, user_id=user_id)
    if person == request.user or person.is_superuser:
        messages.error(request, "You cannot remove yourself or a superuser.")
        return redirect("setup:staff", center_id=center.pk)
    removed = services.deactivate_staff(actor=request.user, center=center, user=person)
    messages.success(
        request, f"{person.get_full_name() or person.username} removed ({removed} future shift(s) cleared)."
    )
    return redirect("setup:staff", center_id=center.pk)


def _week_start(request, center) -> dt.date:
    try:
        return monday_of(dt.date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        return monday_of(timezone.localdate(timezone=center.tzinfo))


@require_http_methods(["GET", "POST"])
@with_center
def rota(request, center):
    nurses = services.nurses_of(center)
    today = timezone.localdate(timezone=center.tzinfo)
    form = forms.RotaPatternForm(
        request.POST or None, center=center, nurses=nurses, initial={"first_week": monday_of(today)}
    )
    if request.method == "POST" and form.is_valid():
        pattern = form.save(commit=False)
        pattern._history_user = request.user
        pattern.save()
        messages.success(request, f"Pattern added for {pattern.nurse.get_full_name()}; generate its shifts below.")
        return redirect("setup:rota", center_id=center.pk)
    monday = _week_start(request, center)
    return render(
        request,
        "setup/rota.html",
        {
            "center": center,
            "section": "rota",
            "form": form,
            "patterns": center.rota_patterns.select_related("nurse"),
            "generate_form": forms.GenerateShiftsForm(),
            "week": week_staffing(center, monday),
            "monday": monday,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "shift_form": forms.ShiftForm(center=center, nurses=nurses, initial={"date": monday}),
        },
    )


@require_POST
@with_center
def rota_generate(request, center, pk: int):
    pattern = get_object_or_404(center.rota_patterns, pk=pk)
    form = forms.GenerateShiftsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of weeks (1 to 26).")
        return redirect("setup:rota", center_id=center.pk)
    today = timezone.localdate(timezone=center.tzinfo)
    until = today + dt.timedelta(weeks=form.cleaned_data["weeks"]) - dt.timedelta(days=1)
    try:
        result = services.generate_shifts(pattern=pattern, date_from=today, date_to=until)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("setup:rota", center_id=center.pk)
    skipped = "; ".join(f"{day:%a %d %b}: {why}" for day, why in result.skipped[:10])
    messages.success(
        request, f"{len(result.created)} shift(s) created." + (f" Skipped {skipped}." if result.skipped else "")
    )
    return redirect("setup:rota", center_id=center.pk)


@require_POST
@with_center
def rota_pattern_delete(request, center, pk: int):
    pattern = get_object_or_404(center.rota_patterns, pk=pk)
    removed = services.delete_pattern(pattern=pattern, remove_future_shifts=request.POST.get("remove_shifts") == "on")
    messages.success(request, f"Pattern removed ({removed} future shift(s) removed).")
    return redirect("setup:rota", center_id=center.pk)


@require_http_methods(["GET", "POST"])
@with_center
def shift_edit(request, center, pk: int | None = None):
    """Add a one-off shift, or edit one (a swap, other hours); deleting it records a sick day."""
    shift = get_object_or_404(center.shifts, pk=pk) if pk else None
    form = forms.ShiftForm(request.POST or None, center=center, nurses=services.nurses_of(center), instance=shift)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_shift(shift=form.instance)
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Shift saved.")
            week = saved.start.astimezone(center.tzinfo).date().isoformat()
            return redirect(f"{reverse('setup:rota', kwargs={'center_id': center.pk})}?week={week}")
    return render_form(request, center, form, "Edit shift" if shift else "Add a shift", section="rota")


@require_POST
@with_center
def shift_delete(request, center, pk: int):
    shift = get_object_or_404(NurseShift, pk=pk, center=center)
    week = shift.start.astimezone(center.tzinfo).date().isoformat()
    shift.delete()
    messages.success(request, "Shift removed.")
    return redirect(f"{reverse('setup:rota', kwargs={'center_id': center.pk})}?week={week}")
