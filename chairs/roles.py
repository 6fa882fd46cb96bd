"""Staff roles: the groups every user belongs to, and what each may do.

Roles are Django groups with model permissions, so the admin, the pages and
the API all ask the same question (``user.has_perm``). ``ensure_roles`` runs
after every migrate and is idempotent.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import Group, Permission, User

# Who makes a change: the signed-in staff user, or None for the patient (a reply, a link) or the
# system (a task); django-simple-history records it with the change.
Actor: TypeAlias = User | None

NURSE = "nurse"
FRONT_DESK = "front_desk"
CENTER_ADMIN = "center_admin"
# Prepares and dispenses doses (the pharmacy queue, issue 20).
PHARMACY = "pharmacy"
# Creates centers and their first center admin (without being a superuser).
SYSTEM_ADMIN = "system_admin"
ROLES = (NURSE, FRONT_DESK, CENTER_ADMIN, PHARMACY, SYSTEM_ADMIN)
# Roles a center admin may give to the staff of their center.
CENTER_ROLES = (NURSE, FRONT_DESK, CENTER_ADMIN, PHARMACY)

_ALL = ("view", "add", "change", "delete")

# (app_label, model) -> actions, per role.
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    NURSE: {
        ("chairs", "center"): ("view",),
        ("chairs", "openinghours"): ("view",),
        ("chairs", "closure"): ("view",),
        ("chairs", "chair"): ("view",),
        ("chairs", "chairblock"): ("view", "add", "change", "delete"),
        ("chairs", "nurseshift"): ("view",),
        ("patients", "patient"): ("view", "add", "change"),
        ("scheduling", "protocol"): ("view",),
        ("scheduling", "appointment"): ("view", "add", "change"),
        ("treatment", "order"): ("view",),
        ("treatment", "priorauthorization"): ("view",),
        ("treatment", "prerequisitedocument"): ("view", "add", "change"),
        ("treatment", "protocolprerequisite"): ("view",),
        ("treatment", "authorizationstage"): ("view",),
        ("treatment", "medicationhistory"): ("view", "add", "change"),
        ("treatment", "steptherapyrule"): ("view",),
        ("treatment", "tentativehold"): ("view",),
        ("reminders", "reminder"): ("view", "change"),
        ("waitlist", "waitlistentry"): ("view", "add", "change"),
        ("waitlist", "offer"): ("view", "change"),
        ("regimens", "patientweight"): ("view", "add", "change"),
        ("regimens", "regimen"): ("view",),
        ("chairside", "allergy"): ("view", "add", "change"),
        ("chairside", "premedicationorder"): ("view", "add", "change"),
        ("chairside", "vitalsigns"): ("view", "add"),
        ("chairside", "infusionreaction"): ("view", "add"),
        ("chairside", "druglot"): ("view", "add"),
        ("chairside", "rategiven"): ("view", "add"),
        ("chairside", "premedicationgiven"): ("view", "add"),
        ("chairside", "dosepreparation"): ("view",),
        ("regimens", "course"): ("view",),
    },
    PHARMACY: {
        ("chairs", "center"): ("view",),
        ("chairs", "chair"): ("view",),
        ("scheduling", "protocol"): ("view",),
        ("scheduling", "appointment"): ("view",),
        ("regimens", "regimen"): ("view",),
        ("regimens", "patientweight"): ("view",),
        ("chairside", "allergy"): ("view",),
        ("chairside", "dosepreparation"): ("view", "add", "change"),
    },
    FRONT_DESK: {
        ("chairs", "center"): ("view",),
        ("chairs", "openinghours"): ("view",),
        ("chairs", "closure"): ("view",),
        ("chairs", "chair"): ("view",),
        ("chairs", "chairblock"): ("view",),
        ("chairs", "nurseshift"): ("view",),
        ("patients", "patient"): ("view", "add", "change"),
        ("scheduling", "protocol"): ("view",),
        ("scheduling", "appointment"): ("view", "add", "change"),
        ("treatment", "order"): ("view", "add", "change"),
        ("treatment", "priorauthorization"): ("view", "add", "change"),
        ("treatment", "prerequisitedocument"): ("view", "add", "change"),
        ("treatment", "protocolprerequisite"): ("view",),
        # The access coordinator's work: stages, medication history, holds.
        ("treatment", "authorizationstage"): ("view", "add"),
        ("treatment", "medicationhistory"): ("view", "add", "change", "delete"),
        ("treatment", "steptherapyrule"): ("view",),
        ("treatment", "tentativehold"): ("view", "add"),
        ("reminders", "reminder"): ("view", "change"),
        ("waitlist", "waitlistentry"): ("view", "add", "change"),
        ("waitlist", "offer"): ("view", "change"),
        ("regimens", "course"): ("view",),
    },
    CENTER_ADMIN: {
        ("chairs", "center"): ("view", "change"),
        ("chairs", "openinghours"): _ALL,
        ("chairs", "closure"): _ALL,
        ("chairs", "chair"): _ALL,
        ("chairs", "chairblock"): _ALL,
        ("chairs", "nurseshift"): _ALL,
        ("patients", "patient"): _ALL,
        ("scheduling", "protocol"): _ALL,
        ("scheduling", "appointment"): _ALL,
        ("treatment", "order"): _ALL,
        ("treatment", "priorauthorization"): _ALL,
        ("treatment", "prerequisitedocument"): _ALL,
        ("treatment", "protocolprerequisite"): _ALL,
        ("treatment", "authorizationstage"): ("view", "add"),
        ("treatment", "medicationhistory"): _ALL,
        ("treatment", "steptherapyrule"): _ALL,
        ("treatment", "tentativehold"): ("view", "add"),
        ("reminders", "reminder"): ("view", "change"),
        ("waitlist", "waitlistentry"): ("view", "add", "change"),
        ("waitlist", "offer"): ("view", "change"),
        ("audit", "patientaccess"): ("view",),
        ("regimens", "regimen"): _ALL,
        ("regimens", "doseamount"): _ALL,
        ("regimens", "weightband"): _ALL,
        ("regimens", "rateladder"): _ALL,
        ("regimens", "ratestep"): _ALL,
        ("regimens", "patientweight"): _ALL,
        ("chairside", "allergy"): _ALL,
        ("chairside", "premedicationorder"): _ALL,
        ("chairside", "vitalsigns"): ("view", "add", "change"),
        ("chairside", "infusionreaction"): ("view", "add", "change"),
        ("chairside", "druglot"): ("view", "add", "change"),
        ("chairside", "rategiven"): ("view", "add", "change"),
        ("chairside", "premedicationgiven"): ("view", "add", "change"),
        ("chairside", "dosepreparation"): ("view", "add", "change"),
        ("regimens", "course"): ("view", "change"),
    },
    SYSTEM_ADMIN: {
        ("chairs", "center"): _ALL,
        ("chairs", "openinghours"): _ALL,
        ("chairs", "closure"): _ALL,
        ("chairs", "chair"): _ALL,
    },
}


def ensure_roles(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions.

    Connected to ``post_migrate``, which Django sends once per installed app (after each app's own
    permissions are created): the roles span every app, so they are set once, after the last app's
    signal. Every flush of a transactional test sends the signal again; setting the roles 25 times
    took two seconds of each such test's teardown.
    """
    app_config = kwargs.get("app_config")
    if app_config is not None and app_config is not _last_migrated_app():
        return
    wanted_codenames = {
        f"{action}_{model}"
        for grants in ROLE_PERMISSIONS.values()
        for (_, model), actions in grants.items()
        for action in actions
    }
    permissions = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.filter(codename__in=wanted_codenames).select_related("content_type")
    }
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            permissions[(app, f"{action}_{model}")]
            for (app, model), actions in grants.items()
            for action in actions
            if (app, f"{action}_{model}") in permissions
        ]
        group.permissions.set(wanted)


def _last_migrated_app():
    """The app whose ``post_migrate`` signal Django sends last (it sends them in the apps' order)."""
    from django.apps import apps

    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def roles_of(user) -> set[str]:
    """The user's roles (cached on the user object, and across requests until their groups change)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        from infusion_center.auth_backend import user_scopes
        from infusion_center.versioned_cache import cached as cached_read

        cached = user._roles_cache = cached_read(
            user_scopes(user.pk),
            f"roles:{user.pk}",
            lambda: frozenset(name for name in user.groups.values_list("name", flat=True) if name in ROLES),
        )
    return set(cached)


def has_role(user, *roles: str) -> bool:
    return user.is_superuser or bool(roles_of(user) & set(roles))


def shift_nurse_problem(user, center) -> str | None:
    """Why this user cannot be given a nurse shift at the center (None when they can).

    A shift's nurse counts towards the planner's watch and start capacity, so it must be an
    active account with the nurse role on the center's staff. Model validation (admin, API and
    any setup page) asks this one question.
    """
    if not user.is_active:
        return "This account is inactive; only active nurses can be given shifts."
    if not user.groups.filter(name=NURSE).exists():
        return "Only users with the nurse role can be given nurse shifts."
    if not center.staff.filter(pk=user.pk).exists():
        return "This nurse does not work at that center."
    return None
