"""Center setup pages: protocols and their prerequisites, and import.

A protocol's page shows, per value, the label's, the installation's (shared by every center) and the
center's own (chair-time components, interval and window; ``CenterProtocolSettings``), with a note
where what the center runs differs from the label.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.models import CENTER_PROTOCOL_FIELDS, CenterProtocolSettings, Protocol
from scheduling.protocol_library import PROTOCOLS
from scheduling.protocol_settings import protocol_for_center, protocols_for_center
from setup import forms, services
from setup.importing import ImportFileError, read_table, run_import
from setup.views import form_errors_to, with_center
from treatment.prerequisite_library import PREREQUISITES

LABEL_BY_CODE = {p["code"]: p for p in PROTOCOLS}
SIGNING_SALT = "setup.import"


def label_comparison(
    protocol: Protocol, form: forms.ProtocolForm, center_form: forms.CenterProtocolForm, applied: Protocol
) -> list[dict]:
    """One row per value: the label's, the installation's (shared by every center), the center's own
    where it may set one, and a note where what this center runs differs from the label."""
    label = LABEL_BY_CODE.get(protocol.code, {})
    names = list(dict.fromkeys([*CENTER_PROTOCOL_FIELDS, *form.Meta.fields]))
    rows = []
    for name in names:
        if name in ("notes", "is_active"):
            continue
        model_field = Protocol._meta.get_field(name)
        default = model_field.default if model_field.has_default() else None
        label_value = label.get(name, default) if label else None
        runs = getattr(applied, name)
        rows.append(
            {
                "name": name,
                "label": model_field.verbose_name.capitalize(),
                "field": form[name] if name in form.fields else None,
                "installation_value": getattr(protocol, name),
                "center_field": center_form[name] if name in center_form.fields else None,
                "label_value": label_value,
                "runs": runs,
                "differs": bool(label) and (label_value or None) != (runs or None),
            }
        )
    return rows


def _settings_for(center, protocol: Protocol) -> CenterProtocolSettings:
    return CenterProtocolSettings.objects.filter(center=center, protocol=protocol).first() or CenterProtocolSettings(
        center=center, protocol=protocol
    )


@require_http_methods(["GET", "POST"])
@with_center
def protocols(request, center):
    if request.method == "POST":
        services.mark_protocols_reviewed(actor=request.user, center=center)
        messages.success(request, "Protocols marked as reviewed.")
        return redirect("setup:center", center_id=center.pk)
    installation = list(Protocol.objects.prefetch_related("prerequisites"))
    rows = list(zip(installation, protocols_for_center(installation, center), strict=True))
    for _, applied in rows:
        applied.chair_minutes_first = applied.chair_minutes(1)
        applied.chair_minutes_later = applied.chair_minutes(applied.initial_dose_count + 1)
    own = set(CenterProtocolSettings.objects.filter(center=center).values_list("protocol_id", flat=True))
    return render(
        request,
        "setup/protocols.html",
        {"center": center, "section": "protocols", "rows": rows, "library": LABEL_BY_CODE, "own": own},
    )


@require_http_methods(["GET", "POST"])
@with_center
def protocol_edit(request, center, pk: int):
    protocol = get_object_or_404(Protocol, pk=pk)
    settings = _settings_for(center, protocol)
    data = request.POST or None
    form = forms.ProtocolForm(data, instance=protocol, prefix="protocol")
    center_form = forms.CenterProtocolForm(data, instance=settings, prefix="center", protocol=protocol)
    prerequisites = forms.PrerequisiteFormSet(data, instance=protocol, prefix="prereq")
    if request.method == "POST" and form.is_valid() and center_form.is_valid() and prerequisites.is_valid():
        try:
            with transaction.atomic():
                if form.has_changed():  # the installation's values, shared by every center
                    services.save_protocol(actor=request.user, protocol=form.instance)
                services.save_center_protocol_settings(
                    actor=request.user, settings=center_form.instance, protocol=form.instance
                )
                for item in prerequisites.save(commit=False):
                    item._history_user = request.user
                    item.save()
                for item in prerequisites.deleted_objects:
                    item._history_user = request.user
                    item.delete()
        except ValidationError as error:
            form_errors_to(center_form, error)
        else:
            messages.success(request, f"{protocol.name} saved; bookings made from now on use the new values.")
            return redirect("setup:protocol_edit", center_id=center.pk, pk=protocol.pk)
    if request.method == "POST":
        protocol.refresh_from_db()  # the page shows what is stored, not the refused values
    applied = protocol_for_center(protocol, center)
    history = protocol.history.select_related("history_user").order_by("-history_date")[:10]
    center_history = (
        list(settings.history.select_related("history_user").order_by("-history_date")[:10]) if settings.pk else []
    )
    for entry in center_history:
        own = entry.instance.overrides()
        entry.summary = ", ".join(f"{Protocol._meta.get_field(k).verbose_name} {v}" for k, v in own.items()) or (
            "back to the installation's values"
        )
    return render(
        request,
        "setup/protocol_edit.html",
        {
            "center": center,
            "section": "protocols",
            "protocol": protocol,
            "applied": applied,
            "form": form,
            "center_form": center_form,
            "comparison": label_comparison(protocol, form, center_form, applied),
            "prerequisites": prerequisites,
            "label_prerequisites": PREREQUISITES.get(protocol.code, []),
            "history": history,
            "center_history": center_history,
            "chair_minutes": {
                "first": applied.chair_minutes(1),
                "later": applied.chair_minutes(applied.initial_dose_count + 1),
            },
        },
    )


@require_http_methods(["GET", "POST"])
@with_center
def import_upload(request, center):
    """Upload → dry run: every row it would refuse and why; nothing is saved."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context = {"center": center, "section": "import", "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            rows = read_table(name=upload.name, content=upload.read(), kind=kind)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            override = form.cleaned_data["override_reason"]
            report = run_import(
                kind=kind, center=center, rows=rows, actor=request.user, commit=False, override_reason=override
            )
            payload = signing.dumps(
                {"kind": kind, "rows": rows, "override": override}, salt=SIGNING_SALT, compress=True
            )
            context |= {"report": report, "payload": payload}
    return render(request, "setup/import.html", context, status=400 if form.errors else 200)


@require_POST
@with_center
def import_confirm(request, center):
    """The import itself: all rows or none."""
    try:
        data = signing.loads(request.POST.get("payload", ""), salt=SIGNING_SALT, max_age=3600)
    except signing.BadSignature:
        messages.error(request, "The preview has expired or was altered; upload the file again.")
        return redirect("setup:import", center_id=center.pk)
    report = run_import(
        kind=data["kind"],
        center=center,
        rows=data["rows"],
        actor=request.user,
        commit=True,
        override_reason=data["override"],
    )
    if report.is_committed:
        messages.success(request, f"{len(report.rows)} {data['kind']} imported.")
        return redirect("setup:center", center_id=center.pk)
    messages.error(request, "Nothing was imported: some rows are now refused (see below).")
    return render(
        request,
        "setup/import.html",
        {"center": center, "section": "import", "form": forms.ImportForm(), "report": report},
        status=409,
    )
