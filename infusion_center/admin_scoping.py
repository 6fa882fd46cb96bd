"""The Django admin, scoped to the user's centers and shown in the center's time zone.

Every admin class of center data derives from :class:`CenterScopedAdmin` (inlines from
:class:`CenterScopedInline`) and names how its rows reach a center (``center_path``, e.g.
``"chair__center"``). For anyone but a superuser:

* lists, change pages, history and deletes see only rows of the user's centers (another center's
  row is "not found", as in the pages and the API);
* every foreign-key and many-to-many choice (centers, chairs, patients, appointments, staff) is
  limited to the user's centers, raw-id inputs included (the form refuses another center's id).

Datetimes are stored in UTC (``TIME_ZONE = "UTC"``) but entered and shown in the center's zone: a
change page activates its object's center zone (an add page the zone of the center or chair being
posted, else the user's first center), and datetime fields say which zone they are in.
"""

from __future__ import annotations

import zoneinfo

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.http import Http404
from django.utils import timezone

from chairs.models import Center
from chairs.selectors import centers_for

# How each model's rows reach their center (a lookup path; "pk" for the center itself).
CENTER_PATHS: dict[str, str] = {
    "chairs.center": "pk",
    "chairs.chair": "center",
    "chairs.chairblock": "chair__center",
    "chairs.nurseshift": "center",
    "chairs.openinghours": "center",
    "chairs.closure": "center",
    "patients.patient": "center",
    "treatment.order": "patient__center",
    "treatment.priorauthorization": "patient__center",
    "treatment.prerequisitedocument": "patient__center",
    "treatment.authorizationstage": "authorization__patient__center",
    "treatment.medicationhistory": "patient__center",
    "treatment.tentativehold": "authorization__patient__center",
    "scheduling.appointment": "center",
    "reminders.reminder": "center",
    "reminders.inboundsms": "appointment__center",
    "reminders.developmentsms": "reminder__center",
    "setup.recurringholiday": "center",
    "setup.rotapattern": "center",
    "setup.setupprogress": "center",
    "booking_templates.bookingtemplate": "center",
    "auth.user": "centers",
    "regimens.patientweight": "patient__center",
    "chairside.allergy": "patient__center",
    "chairside.premedicationorder": "patient__center",
    "chairside.infusionreaction": "appointment__center",
    "chairside.vitalsigns": "appointment__center",
    "chairside.druglot": "appointment__center",
    "chairside.rategiven": "appointment__center",
    "chairside.dosepreparation": "appointment__center",
    "chairside.premedicationgiven": "appointment__center",
    "regimens.course": "patient__center",
}


def center_path_of(model) -> str | None:
    return CENTER_PATHS.get(model._meta.label_lower)


def scope_to_centers(queryset, *, user):
    """The rows of ``queryset`` that belong to the user's centers (all rows for a superuser)."""
    if user.is_superuser:
        return queryset
    path = center_path_of(queryset.model)
    if path is None:
        return queryset
    ids = list(centers_for(user=user).values_list("pk", flat=True))
    scoped = queryset.filter(**{"pk__in" if path == "pk" else f"{path}__in": ids})
    return scoped.distinct() if path == "centers" else scoped  # a user may work at several centers


def center_of(obj) -> Center | None:
    """Follow the model's center path from one row to its center."""
    path = center_path_of(type(obj))
    if path is None or path == "centers":
        return None
    if path == "pk":
        return obj
    current = obj
    for part in path.split("__"):
        current = getattr(current, part, None)
        if current is None:
            return None
    return current


class _ScopedChoices:
    """Foreign-key and many-to-many choices limited to the user's centers."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_centers(field.queryset, user=request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_centers(field.queryset, user=request.user)
        return field


class CenterScopedInline(_ScopedChoices, admin.options.InlineModelAdmin):
    """An inline whose choices are limited to the user's centers (its parent is scoped already)."""


class CenterScopedAdmin(_ScopedChoices, admin.ModelAdmin):
    """A ModelAdmin that shows and edits only the user's centers' rows, in the center's time zone."""

    def get_queryset(self, request):
        return scope_to_centers(super().get_queryset(request), user=request.user)

    # django-simple-history's views find their object without get_queryset(): check it here.
    def history_view(self, request, object_id, extra_context=None):
        self._refuse_unless_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_unless_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_unless_visible(self, request, object_id) -> None:
        if request.user.is_superuser:
            return
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("Not among your centers' records.")

    # --- Time zone -----------------------------------------------------------------------------

    def admin_timezone(self, request, obj=None) -> zoneinfo.ZoneInfo:
        """The zone this page reads and shows datetimes in: the object's center's, else the posted or first center's."""
        center = center_of(obj) if obj is not None else None
        if center is None and request.method == "POST":
            center = self._posted_center(request)
        if center is None:
            center = centers_for(user=request.user).order_by("pk").first()
        return center.tzinfo if center is not None else timezone.get_default_timezone()

    def _posted_center(self, request) -> Center | None:
        centers = centers_for(user=request.user)
        if "center" in request.POST:
            return centers.filter(pk=_int(request.POST["center"])).first()
        if "chair" in request.POST:
            return centers.filter(chairs__pk=_int(request.POST["chair"])).first()
        if "patient" in request.POST:
            return centers.filter(patients__pk=_int(request.POST["patient"])).first()
        return None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        zone = self.admin_timezone(request, obj)
        for name, field in form.base_fields.items():
            model_field = _model_field(self.model, name)
            if isinstance(model_field, models.DateTimeField):
                field.help_text = f"Local time of the center ({zone.key})."
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        with timezone.override(self.admin_timezone(request, obj)):
            return _rendered(super().changeform_view(request, object_id, form_url, extra_context))

    def changelist_view(self, request, extra_context=None):
        center = None
        center_filter = next((v for k, v in request.GET.items() if k.endswith("center__id__exact")), None)
        if center_filter:
            center = centers_for(user=request.user).filter(pk=_int(center_filter)).first()
        zone = center.tzinfo if center is not None else self.admin_timezone(request)
        with timezone.override(zone):
            return _rendered(super().changelist_view(request, extra_context))


def _rendered(response):
    """Render a TemplateResponse now, while the center's time zone is active."""
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:  # a form-only field
        return None


def _int(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def local_time(obj, field: str) -> str:
    """A datetime of a row, in its center's zone, for list columns (rows of several zones side by side)."""
    value = getattr(obj, field)
    center = center_of(obj)
    if value is None or center is None:
        return "—" if value is None else f"{value:%Y-%m-%d %H:%M %Z}"
    return f"{timezone.localtime(value, center.tzinfo):%Y-%m-%d %H:%M %Z}"
