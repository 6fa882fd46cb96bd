"""Center setup pages: protocols and their prerequisites (label beside local value), and import."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.models import Protocol
from scheduling.protocol_library import PROTOCOLS
from setup import forms, services
from setup.importing import ImportFileError, read_table, run_import
from setup.views import with_center
from treatment.prerequisite_library import PREREQUISITES

LABEL_BY_CODE = {p["code"]: p for p in PROTOCOLS}
SIGNING_SALT = "setup.import"


def label_comparison(protocol: Protocol, form: forms.ProtocolForm) -> list[dict]:
    """Each edited field with the label's value beside the center's, flagged where they differ."""
    label = LABEL_BY_CODE.get(protocol.code, {})
    rows = []
    for name in form.Meta.fields:
        if name in ("notes", "is_active"):
            continue
        model_field = Protocol._meta.get_field(name)
        default = model_field.default if model_field.has_default() else None
        label_value = label.get(name, default) if label else None
        ours = getattr(protocol, name)
        rows.append(
            {
                "field": form[name],
                "label_value": label_value,
                "differs": bool(label) and (label_value or None) != (ours or None),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@with_center
def protocols(request, center):
    if request.method == "POST":
        services.mark_protocols_reviewed(actor=request.user, center=center)
        messages.success(request, "Protocols marked as reviewed.")
        return redirect("setup:center", center_id=center.pk)
    return render(
        request,
        "setup/protocols.html",
        {"center": center, "section": "protocols", "protocols": Protocol.objects.all(), "library": LABEL_BY_CODE},
    )


@require_http_methods(["GET", "POST"])
@with_center
def protocol_edit(request, center, pk: int):
    protocol = get_object_or_404(Protocol, pk=pk)
    form = forms.ProtocolForm(request.POST or None, instance=protocol, prefix="protocol")
    prerequisites = forms.PrerequisiteFormSet(request.POST or None, instance=protocol, prefix="prereq")
    if request.method == "POST" and form.is_valid() and prerequisites.is_valid():
        with transaction.atomic():
            services.save_protocol(actor=request.user, protocol=form.instance)
            for item in prerequisites.save(commit=False):
                item._history_user = request.user
                item.save()
            for item in prerequisites.deleted_objects:
                item._history_user = request.user
                item.delete()
        messages.success(request, f"{protocol.name} saved; bookings made from now on use the new values.")
        return redirect("setup:protocol_edit", center_id=center.pk, pk=protocol.pk)
    history = protocol.history.select_related("history_user").order_by("-history_date")[:10]
    return render(
        request,
        "setup/protocol_edit.html",
        {
            "center": center,
            "section": "protocols",
            "protocol": protocol,
            "form": form,
            "comparison": label_comparison(protocol, form),
            "prerequisites": prerequisites,
            "label_prerequisites": PREREQUISITES.get(protocol.code, []),
            "history": history,
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
