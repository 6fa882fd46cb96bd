"""Every change center setup makes: centers, hours, holidays, chairs, staff, rota and protocols.

Views parse input and call one function here; each function writes, records who (django-simple-
history's ``_history_user`` where the model keeps history) and refuses with a ``ValidationError``
that names the field, which the pages show as a form error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from chairs.models import Center, Chair, ChairBlock, Closure, NurseShift, OpeningHours
from chairs.roles import CENTER_ADMIN, CENTER_ROLES, NURSE
from scheduling.models import Appointment, CenterProtocolSettings, Protocol
from setup.localtime import local_instant
from setup.models import RecurringHoliday, RotaPattern, SetupProgress
from setup.rota import pattern_dates

# --- Centers ---------------------------------------------------------------------------------


@transaction.atomic
def create_center(*, actor, center: Center, admin: dict, base_url: str) -> Center:
    """A new center with its first center admin, who is emailed an invitation (a system admin's job)."""
    center.full_clean()
    center.save()
    add_staff(actor=actor, center=center, roles=[CENTER_ADMIN], base_url=base_url, **admin)
    return center


@transaction.atomic
def save_weekly_hours(*, center: Center, rows: list[dict]) -> None:
    """Replace the center's weekly hours: one row per open weekday, optionally with a break."""
    center.opening_hours.all().delete()
    for row in rows:
        hours = OpeningHours(center=center, **row)
        hours.full_clean()
        hours.save()


def add_holidays_for_year(*, center: Center, year: int) -> list[Closure]:
    """Closures for every recurring holiday in ``year`` (those already closed are left alone)."""
    made = []
    for holiday in center.recurring_holidays.all():
        day = holiday.date_in(year)
        if day is None:
            continue
        closure, created = Closure.objects.get_or_create(center=center, date=day, defaults={"reason": holiday.name})
        if created:
            made.append(closure)
    return made


# --- Chairs ----------------------------------------------------------------------------------


def next_position(center: Center) -> int:
    return (center.chairs.aggregate(top=Max("position"))["top"] or 0) + 1


def move_chair(*, chair: Chair, step: int) -> None:
    """Move a chair one place up (-1) or down (+1) in the center's order."""
    chairs = list(chair.center.chairs.all())
    index = next(i for i, c in enumerate(chairs) if c.pk == chair.pk)
    other = index + step
    if not 0 <= other < len(chairs):
        return
    chairs[index], chairs[other] = chairs[other], chairs[index]
    with transaction.atomic():
        for position, c in enumerate(chairs, start=1):
            if c.position != position:
                Chair.objects.filter(pk=c.pk).update(position=position)


def bookings_ahead(chair: Chair, *, now: dt.datetime | None = None):
    """Active appointments on the chair that have not ended yet: what must move before it goes."""
    now = now or timezone.now()
    return Appointment.objects.active().filter(chair=chair, end__gt=now).select_related("patient", "protocol")


class ChairStillBooked(Exception):
    def __init__(self, appointments: list[Appointment]) -> None:
        super().__init__(f"{len(appointments)} appointment(s) are booked on this chair.")
        self.appointments = appointments


@transaction.atomic
def deactivate_chair(*, chair: Chair) -> Chair:
    """Take a chair out of service, refused while anything is booked on it ahead."""
    Chair.objects.select_for_update().get(pk=chair.pk)
    ahead = list(bookings_ahead(chair))
    if ahead:
        raise ChairStillBooked(ahead)
    chair.is_active = False
    chair.save(update_fields=["is_active"])
    return chair


def reactivate_chair(*, chair: Chair) -> Chair:
    chair.is_active = True
    chair.save(update_fields=["is_active"])
    return chair


def add_chair_block(*, chair: Chair, start: dt.datetime, end: dt.datetime, reason: str) -> ChairBlock:
    block = ChairBlock(chair=chair, start=start, end=end, reason=reason)
    block.full_clean()
    block.save()
    return block


# --- Staff -----------------------------------------------------------------------------------


def set_roles(*, actor, center: Center, user: User, roles: list[str]) -> None:
    """Give the user exactly these center roles (other groups, e.g. system admin, are kept)."""
    unknown = set(roles) - set(CENTER_ROLES)
    if unknown:
        raise ValidationError({"roles": f"Unknown role: {', '.join(sorted(unknown))}."})
    keep = user.groups.exclude(name__in=CENTER_ROLES)
    user.groups.set([*keep, *Group.objects.filter(name__in=roles)])
    if CENTER_ADMIN in roles and not user.is_staff:
        user.is_staff = True  # center admins may still open the Django admin for what setup does not cover
        user.save(update_fields=["is_staff"])


def invitation_link(*, user: User, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def send_invitation(*, user: User, center: Center, base_url: str) -> None:
    """Email a set-password link (Django's password-reset token: single use, expires)."""
    context = {"user": user, "center": center, "link": invitation_link(user=user, base_url=base_url)}
    send_mail(
        subject=f"Your account at {center.name}",
        message=render_to_string("setup/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def add_staff(
    *,
    actor,
    center: Center,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    roles: list[str],
    password: str = "",
    base_url: str = "",
) -> User:
    """Create a user for the center; without a password they get an emailed invitation to set one."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That user name is taken."})
    if not password and not email:
        raise ValidationError({"email": "An invitation needs an email address (or set a password)."})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    center.staff.add(user)
    set_roles(actor=actor, center=center, user=user, roles=roles)
    if not password:
        transaction.on_commit(lambda: send_invitation(user=user, center=center, base_url=base_url))
    return user


@transaction.atomic
def deactivate_staff(*, actor, center: Center, user: User, now: dt.datetime | None = None) -> int:
    """Remove the user from the center and its future shifts; with no other center, the account is
    deactivated. Returns how many future shifts were removed."""
    now = now or timezone.now()
    removed, _ = NurseShift.objects.filter(center=center, nurse=user, start__gte=now).delete()
    center.staff.remove(user)
    if not user.centers.exists() and not user.is_superuser:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return removed


# --- Rota ------------------------------------------------------------------------------------


@dataclass
class GenerationResult:
    created: list[NurseShift] = field(default_factory=list)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)


def save_shift(*, shift: NurseShift) -> NurseShift:
    """Every shift (generated or one-off) passes the model's own validation, nurse rule included."""
    shift.full_clean()
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        raise ValidationError({"start": "This nurse already has a shift that overlaps this time."}) from None
    return shift


@transaction.atomic
def generate_shifts(*, pattern: RotaPattern, date_from: dt.date, date_to: dt.date) -> GenerationResult:
    """Shifts for the pattern's dates in the range, skipping closures and days the nurse already works."""
    center = pattern.center
    tz = center.tzinfo
    closed = set(center.closures.filter(date__gte=date_from, date__lte=date_to).values_list("date", flat=True))
    result = GenerationResult()
    days = pattern_dates(
        weekday_numbers=pattern.weekdays,
        every_weeks=pattern.every_weeks,
        first_week=pattern.first_week,
        until=pattern.until,
        date_from=date_from,
        date_to=date_to,
    )
    for day in days:
        if day in closed:
            result.skipped.append((day, "the center is closed"))
            continue
        try:
            start = local_instant(tz, day, pattern.starts_at)
            end = local_instant(tz, day, pattern.ends_at)
        except ValidationError as error:
            result.skipped.append((day, " ".join(error.messages)))
            continue
        if NurseShift.objects.filter(nurse=pattern.nurse, start__lt=end, end__gt=start).exists():
            result.skipped.append((day, "already on a shift then"))
            continue
        shift = save_shift(shift=NurseShift(center=center, nurse=pattern.nurse, start=start, end=end))
        pattern.generated_shifts.add(shift)
        result.created.append(shift)
    return result


@transaction.atomic
def delete_pattern(*, pattern: RotaPattern, remove_future_shifts: bool, now: dt.datetime | None = None) -> int:
    removed = 0
    if remove_future_shifts:
        removed, _ = pattern.generated_shifts.filter(start__gte=now or timezone.now()).delete()
    pattern.delete()
    return removed


def nurses_of(center: Center):
    """Active users with the nurse role at the center (who may be put on its rota)."""
    return (
        User.objects.filter(centers=center, is_active=True, groups__name=NURSE)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --- Protocols -------------------------------------------------------------------------------


def save_protocol(*, actor, protocol: Protocol) -> Protocol:
    """Save an edited protocol; history keeps who changed what. Appointments already booked keep
    their stored start and end, so a new chair time applies to bookings made from now on."""
    protocol.full_clean()
    protocol._history_user = actor
    protocol.save()
    return protocol


def save_center_protocol_settings(
    *, actor, settings: CenterProtocolSettings, protocol: Protocol
) -> CenterProtocolSettings | None:
    """Save the center's own values for the protocol (checked against the protocol as it will be), with
    who in the history. Nothing is stored while the center has never set a value of its own."""
    settings.protocol = protocol
    settings.full_clean()
    if settings.pk is None and not settings.overrides():
        return None
    settings._history_user = actor
    settings.save()
    return settings


def mark_protocols_reviewed(*, actor, center: Center) -> SetupProgress:
    progress, _ = SetupProgress.objects.get_or_create(center=center)
    progress.protocols_reviewed_at = timezone.now()
    progress.protocols_reviewed_by = actor
    progress.save()
    return progress


def add_recurring_holiday(*, center: Center, month: int, day: int, name: str) -> RecurringHoliday:
    holiday = RecurringHoliday(center=center, month=month, day=day, name=name)
    holiday.full_clean()
    holiday.save()
    return holiday
