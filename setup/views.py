"""Center setup pages: the center and its checklist, settings, hours, closures and chairs.

Every page needs the center admin role (or system admin / superuser) and looks the center up
through ``setup_center_for``: another center's pages and objects are a 404.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chairs.roles import CENTER_ADMIN, SYSTEM_ADMIN, has_role
from setup import forms, services
from setup.selectors import can_create_centers, checklist, setup_center_for, setup_centers_for


def setup_role_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_role(request.user, CENTER_ADMIN, SYSTEM_ADMIN):
            raise PermissionDenied("Center setup is for center admins.")
        return view(request, *args, **kwargs)

    return wrapper


def with_center(view):
    """Resolve ``center_id`` to a center the user may set up (404 otherwise)."""

    @setup_role_required
    @functools.wraps(view)
    def wrapper(request, center_id: int, *args, **kwargs):
        center = setup_center_for(user=request.user, center_id=center_id)
        return view(request, center, *args, **kwargs)

    return wrapper


def form_errors_to(form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def render_form(request, center, form, title: str, *, section: str, **extra):
    return render(
        request, "setup/form.html", {"form": form, "title": title, "center": center, "section": section, **extra}
    )


@require_http_methods(["GET"])
@setup_role_required
def center_list(request):
    centers = setup_centers_for(user=request.user)
    if len(centers) == 1 and not can_create_centers(request.user):
        return redirect("setup:center", center_id=centers[0].pk)
    return render(
        request, "setup/center_list.html", {"centers": centers, "can_create": can_create_centers(request.user)}
    )


@require_http_methods(["GET", "POST"])
@setup_role_required
def center_create(request):
    if not can_create_centers(request.user):
        raise PermissionDenied("Only a system admin creates centers.")
    form = forms.NewCenterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        admin = {
            "username": data["admin_username"],
            "first_name": data["admin_first_name"],
            "last_name": data["admin_last_name"],
            "email": data["admin_email"],
        }
        try:
            center = services.create_center(
                actor=request.user, center=form.instance, admin=admin, base_url=request.build_absolute_uri("/")
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(
                request, f"{center.name} is created; {admin['first_name']} has been emailed an invitation."
            )
            return redirect("setup:center", center_id=center.pk)
    return render_form(request, None, form, "New center", section="centers")


@require_http_methods(["GET"])
@with_center
def center_detail(request, center):
    items = checklist(center)
    return render(
        request,
        "setup/center_detail.html",
        {"center": center, "section": "overview", "checklist": items, "is_ready": all(i.is_done for i in items)},
    )


@require_http_methods(["GET", "POST"])
@with_center
def center_settings(request, center):
    form = forms.CenterForm(request.POST or None, instance=center)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Center settings saved.")
        return redirect("setup:center", center_id=center.pk)
    return render_form(request, center, form, "Center settings", section="settings")


@require_http_methods(["GET", "POST"])
@with_center
def weekly_hours(request, center):
    formset = forms.WeekdayHoursFormSet(request.POST or None, initial=forms.weekly_hours_initial(center))
    if request.method == "POST" and formset.is_valid():
        rows = [row for f in formset if (row := f.as_row())]
        try:
            services.save_weekly_hours(center=center, rows=rows)
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect("setup:hours", center_id=center.pk)
    return render(request, "setup/hours.html", {"center": center, "section": "hours", "formset": formset})


@require_http_methods(["GET", "POST"])
@with_center
def closures(request, center):
    closure_form = forms.ClosureForm(center=center, prefix="closure")
    holiday_form = forms.RecurringHolidayForm(center=center, prefix="holiday")
    year_form = forms.HolidayYearForm(prefix="year")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "closure":
            closure_form = forms.ClosureForm(request.POST, center=center, prefix="closure")
            if closure_form.is_valid():
                closure_form.save()
                messages.success(request, "Closure added.")
                return redirect("setup:closures", center_id=center.pk)
        elif action == "holiday":
            holiday_form = forms.RecurringHolidayForm(request.POST, center=center, prefix="holiday")
            if holiday_form.is_valid():
                holiday_form.save()
                messages.success(request, "Recurring holiday added.")
                return redirect("setup:closures", center_id=center.pk)
        elif action == "year":
            year_form = forms.HolidayYearForm(request.POST, prefix="year")
            if year_form.is_valid():
                made = services.add_holidays_for_year(center=center, year=year_form.cleaned_data["year"])
                messages.success(request, f"{len(made)} closure(s) added for {year_form.cleaned_data['year']}.")
                return redirect("setup:closures", center_id=center.pk)
    return render(
        request,
        "setup/closures.html",
        {
            "center": center,
            "section": "closures",
            "closures": center.closures.all(),
            "holidays": center.recurring_holidays.all(),
            "closure_form": closure_form,
            "holiday_form": holiday_form,
            "year_form": year_form,
        },
    )


@require_POST
@with_center
def closure_delete(request, center, pk: int):
    get_object_or_404(center.closures, pk=pk).delete()
    messages.success(request, "Closure removed.")
    return redirect("setup:closures", center_id=center.pk)


@require_POST
@with_center
def holiday_delete(request, center, pk: int):
    get_object_or_404(center.recurring_holidays, pk=pk).delete()
    messages.success(request, "Recurring holiday removed (closures already added stay).")
    return redirect("setup:closures", center_id=center.pk)


@require_http_methods(["GET", "POST"])
@with_center
def chairs(request, center):
    form = forms.ChairForm(request.POST or None, center=center)
    if request.method == "POST" and form.is_valid():
        chair = form.save(commit=False)
        chair.position = services.next_position(center)
        chair.save()
        messages.success(request, f"{chair.label} added.")
        return redirect("setup:chairs", center_id=center.pk)
    return render(
        request,
        "setup/chairs.html",
        {"center": center, "section": "chairs", "chairs": center.chairs.all(), "form": form},
    )


@require_http_methods(["GET", "POST"])
@with_center
def chair_edit(request, center, pk: int):
    chair = get_object_or_404(center.chairs, pk=pk)
    form = forms.ChairForm(request.POST or None, instance=chair, center=center)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{chair.label} saved.")
        return redirect("setup:chairs", center_id=center.pk)
    if request.htmx:  # the row's inline editor on the chairs page
        chair.refresh_from_db()
        return render(
            request,
            "setup/_chair_row_form.html",
            {"center": center, "chair": chair, "form": form},
            status=400 if form.errors else 200,
        )
    return render_form(request, center, form, f"Edit {chair.label}", section="chairs")


@require_POST
@with_center
def chair_move(request, center, pk: int):
    chair = get_object_or_404(center.chairs, pk=pk)
    services.move_chair(chair=chair, step=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("setup:chairs", center_id=center.pk)


@require_http_methods(["GET", "POST"])
@with_center
def chair_deactivate(request, center, pk: int):
    chair = get_object_or_404(center.chairs, pk=pk)
    if request.method == "POST":
        if chair.is_active:
            try:
                services.deactivate_chair(chair=chair)
            except services.ChairStillBooked:
                pass  # the page below lists what must move
            else:
                messages.success(request, f"{chair.label} is out of service.")
                return redirect("setup:chairs", center_id=center.pk)
        else:
            services.reactivate_chair(chair=chair)
            messages.success(request, f"{chair.label} is back in service.")
            return redirect("setup:chairs", center_id=center.pk)
    ahead = list(services.bookings_ahead(chair).order_by("start"))
    return render(
        request,
        "setup/chair_deactivate.html",
        {"center": center, "section": "chairs", "chair": chair, "ahead": ahead, "tried": request.method == "POST"},
        status=409 if request.method == "POST" and ahead else 200,
    )


@require_http_methods(["GET", "POST"])
@with_center
def chair_blocks(request, center, pk: int):
    chair = get_object_or_404(center.chairs, pk=pk)
    form = forms.ChairBlockForm(request.POST or None, center=center)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_chair_block(chair=chair, start=data["start"], end=data["end"], reason=data["reason"])
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, f"{chair.label} blocked.")
            return redirect("setup:chair_blocks", center_id=center.pk, pk=chair.pk)
    return render(
        request,
        "setup/chair_blocks.html",
        {"center": center, "section": "chairs", "chair": chair, "form": form, "blocks": chair.blocks.all()},
    )


@require_POST
@with_center
def chair_block_delete(request, center, pk: int, block_id: int):
    chair = get_object_or_404(center.chairs, pk=pk)
    get_object_or_404(chair.blocks, pk=block_id).delete()
    messages.success(request, "Block removed.")
    return redirect("setup:chair_blocks", center_id=center.pk, pk=chair.pk)
