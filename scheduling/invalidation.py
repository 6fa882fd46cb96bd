"""Which writes make which cached reads stale (``infusion_center.versioned_cache``).

Connected in ``SchedulingConfig.ready``. Model signals catch every path that saves or deletes
through the ORM (pages, API, admin, imports, the demo); ``bulk_create`` and ``QuerySet.update``
send none, so the few callers that use them on these models bump the scope themselves.

* ``center:<id>``: the center's fixed planner input (the center row, its opening hours, chairs,
  closures and booking templates);
* ``protocols``: every center's fixed input (the shortest protocol sets the sliver size);
* ``center-day:<id>:<ordinal>``: availability answers touching that local day (appointments,
  chair blocks, nurse shifts; a fixed-input change moves every day, through ``center:<id>``);
* ``patient:<id>``: what the chair board shows of a patient (``scheduling.board_fragment``): the
  patient row, weights, orders, authorizations, documents, and the patient's appointments on any day;
* ``user:<id>``: the user's permissions, roles and centers; ``groups``: every user's (a group's
  permissions changed).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from infusion_center import versioned_cache
from scheduling.planner_input import PROTOCOLS_SCOPE, center_scope

GROUPS_SCOPE = "groups"


def center_day_scope(center_id: int, day: dt.date) -> str:
    return f"center-day:{center_id}:{day.toordinal()}"


def patient_scope(patient_id: int) -> str:
    return f"patient:{patient_id}"


def user_scope(user_id: int) -> str:
    return f"user:{user_id}"


def center_day_scopes(center, start: dt.datetime | None, end: dt.datetime | None) -> list[str]:
    """The scopes of every local day the interval [start, end) touches (the planner's answer for a day
    depends only on what overlaps that day)."""
    if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
        return []
    tz = center.tzinfo
    first = start.astimezone(tz).date()
    last = max(end.astimezone(tz).date(), first)
    days = [first + dt.timedelta(days=n) for n in range(min((last - first).days + 1, 40))]
    return [center_day_scope(center.pk, day) for day in days]


def bump_center_days(center, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Availability of every local day the interval [start, end) touches is stale."""
    versioned_cache.bump(*center_day_scopes(center, start, end))


def _center_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(center_scope(instance.pk))


def _center_part_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(center_scope(instance.center_id))


def _protocol_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(PROTOCOLS_SCOPE)


def _appointment_changed(sender, instance, **kwargs) -> None:
    center = instance._state.fields_cache.get("center") or _center_with_timezone(instance.center_id)
    scopes = center_day_scopes(center, instance.start, instance.end)
    old = getattr(instance, "times_before_move", None)  # set by services.move_appointment
    if old:
        scopes += center_day_scopes(center, *old)
    if instance.patient_id:  # readiness on the patient's other days counts this one (visits, previous dose)
        scopes.append(patient_scope(instance.patient_id))
    versioned_cache.bump(*scopes)  # one round trip


def _patient_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(patient_scope(instance.pk))


def _patient_record_changed(sender, instance, **kwargs) -> None:
    if instance.patient_id:
        versioned_cache.bump(patient_scope(instance.patient_id))


def _chairside_record_changed(sender, instance, **kwargs) -> None:
    """A chair-side record of an appointment (vitals, pre-medication given, the dose's preparation…): the
    board's tile shows what it changes (vitals overdue, dispensed), so the patient's version moves."""
    appointment = instance._state.fields_cache.get("appointment")
    if appointment is not None:
        patient_id = appointment.patient_id
    else:
        from scheduling.models import Appointment

        patient_id = Appointment.objects.filter(pk=instance.appointment_id).values_list("patient_id", flat=True).first()
    if patient_id:
        versioned_cache.bump(patient_scope(patient_id))


def _block_changed(sender, instance, **kwargs) -> None:
    chair = instance._state.fields_cache.get("chair")
    if chair is not None:
        center_id = chair.center_id
    else:
        from chairs.models import Chair

        center_id = Chair.objects.filter(pk=instance.chair_id).values_list("center_id", flat=True).first()
    if center_id is not None:
        bump_center_days(_center_with_timezone(center_id), instance.start, instance.end)


def _shift_changed(sender, instance, **kwargs) -> None:
    bump_center_days(_center_with_timezone(instance.center_id), instance.start, instance.end)


def _center_with_timezone(center_id: int):
    from scheduling.planner_input import fixed_input_for

    return fixed_input_for(center_id).center


def _user_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(user_scope(instance.pk))


def _group_changed(sender, instance, **kwargs) -> None:
    versioned_cache.bump(GROUPS_SCOPE)


def _memberships_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    User = get_user_model()
    if isinstance(instance, User):
        versioned_cache.bump(user_scope(instance.pk))
        for memo in ("_roles_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache", "_api_center_ids"):
            instance.__dict__.pop(memo, None)  # this very object asks again
    elif model is User:
        versioned_cache.bump(*(user_scope(pk) for pk in pk_set or ()))
        if action == "post_clear":
            versioned_cache.bump(GROUPS_SCOPE)
    else:  # a group's permissions
        versioned_cache.bump(GROUPS_SCOPE)


def connect() -> None:
    from booking_templates.models import BookingTemplate
    from chairs.models import Center, Chair, ChairBlock, Closure, NurseShift, OpeningHours
    from patients.models import Patient
    from scheduling.models import Appointment, Protocol
    from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite

    User = get_user_model()
    model: type[Model]
    for signal in (post_save, post_delete):
        signal.connect(_center_changed, sender=Center, dispatch_uid=f"cache-center-{signal}")
        for model in (Chair, OpeningHours, Closure, BookingTemplate):
            signal.connect(_center_part_changed, sender=model, dispatch_uid=f"cache-{model.__name__}-{signal}")
        signal.connect(_protocol_changed, sender=Protocol, dispatch_uid=f"cache-protocol-{signal}")
        signal.connect(_protocol_changed, sender=ProtocolPrerequisite, dispatch_uid=f"cache-prerequisite-{signal}")
        signal.connect(_appointment_changed, sender=Appointment, dispatch_uid=f"cache-appointment-{signal}")
        signal.connect(_block_changed, sender=ChairBlock, dispatch_uid=f"cache-block-{signal}")
        signal.connect(_shift_changed, sender=NurseShift, dispatch_uid=f"cache-shift-{signal}")
        signal.connect(_user_changed, sender=User, dispatch_uid=f"cache-user-{signal}")
        signal.connect(_group_changed, sender=Group, dispatch_uid=f"cache-group-{signal}")
        signal.connect(_patient_changed, sender=Patient, dispatch_uid=f"cache-patient-{signal}")
        for model in (Order, PriorAuthorization, PrerequisiteDocument):
            signal.connect(_patient_record_changed, sender=model, dispatch_uid=f"cache-{model.__name__}-{signal}")
    # What else a protocol's chair time is read from: the center's own values and the regimens.
    from django.apps import apps

    from scheduling.models import CenterProtocolSettings

    protocol_parts: list[type[Model]] = [CenterProtocolSettings]
    if apps.is_installed("regimens"):
        # A patient's weight and booked courses (the models with a patient) are the patient's, not the
        # protocol's: they must not expire every cached answer and every center's board. The tile shows
        # the weight a dose is for and a course's day; chair time reads both per patient, never cached.
        # (Their history rows are written with them: the record's own signal has bumped already.)
        for model in apps.get_app_config("regimens").get_models():
            if not any(f.name == "patient" for f in model._meta.fields):
                protocol_parts.append(model)
            elif not model.__name__.startswith("Historical"):
                for signal in (post_save, post_delete):
                    signal.connect(
                        _patient_record_changed, sender=model, dispatch_uid=f"cache-{model.__name__}-{signal}"
                    )
    if apps.is_installed("chairside"):
        for model in apps.get_app_config("chairside").get_models():
            handler = _patient_record_changed if hasattr(model, "patient_id") else _chairside_record_changed
            for signal in (post_save, post_delete):
                signal.connect(handler, sender=model, dispatch_uid=f"cache-{model.__name__}-{signal}")
    for model in protocol_parts:
        for signal in (post_save, post_delete):
            signal.connect(_protocol_changed, sender=model, dispatch_uid=f"cache-{model.__name__}-{signal}")
    m2m_changed.connect(_memberships_changed, sender=User.groups.through, dispatch_uid="cache-user-groups")
    m2m_changed.connect(
        _memberships_changed, sender=User.user_permissions.through, dispatch_uid="cache-user-permissions"
    )
    m2m_changed.connect(_memberships_changed, sender=Group.permissions.through, dispatch_uid="cache-group-perms")
    m2m_changed.connect(_memberships_changed, sender=Center.staff.through, dispatch_uid="cache-center-staff")
