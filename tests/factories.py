"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth.models import Group, User

from chairs.models import Center, Chair, ChairBlock, NurseShift, OpeningHours
from patients.models import Patient
from scheduling.models import Appointment, AppointmentStatus, Protocol

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Center
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Neurology Infusion Center {n}")
    timezone = "America/New_York"
    phone = "+16175550100"
    slot_minutes = 15
    patients_per_nurse = 4
    starts_per_nurse_per_window = 2
    start_window_minutes = 30

    @factory.post_generation
    def weekday_hours(self, create, extracted, **kwargs):
        """Open Monday to Friday 07:00–19:00 unless told otherwise (weekday_hours=False)."""
        if not create or extracted is False:
            return
        for weekday in range(5):
            OpeningHours.objects.create(center=self, weekday=weekday, opens=dt.time(7), closes=dt.time(19))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Not random names: the signed-in user's name is on every page, and a random "Jones" made a test
    # that the page does not show the patient Jones fail.
    first_name = factory.Sequence(lambda n: f"Staff{n}")
    last_name = factory.Sequence(lambda n: f"Member{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def center(self, create, extracted, **kwargs):
        if create and extracted:
            extracted.staff.add(self)
        if create:
            self.save()


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    center = factory.SubFactory(CenterFactory)
    label = factory.Sequence(lambda n: f"C{n:02d}")
    kind = "chair"
    features = factory.LazyFunction(lambda: ["recliner", "pump"])


class ChairBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChairBlock

    chair = factory.SubFactory(ChairFactory)
    start = factory.LazyFunction(lambda: dt.datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=2))
    reason = "Maintenance"


class NurseShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NurseShift

    center = factory.SubFactory(CenterFactory)
    nurse = factory.SubFactory(UserFactory, role="nurse")
    start = factory.LazyFunction(lambda: dt.datetime(2026, 12, 7, 7, 0, tzinfo=NEW_YORK))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=12))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    center = factory.SubFactory(CenterFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1961, 4, 12)
    phone = factory.Sequence(lambda n: f"+1617555{n % 10000:04d}")
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}.{o.last_name.lower()}@example.org")
    has_reminder_consent = True
    reminder_channel = "sms"


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol
        django_get_or_create = ("code",)

    code = "ocr"
    name = "Ocrelizumab"
    drug = "ocrelizumab"
    brand = "Ocrevus"
    indication = "Relapsing and primary progressive MS"
    first_dose_infusion_minutes = 150
    later_dose_infusion_minutes = 210
    initial_dose_count = 2
    premedication_minutes = 30
    observation_minutes = 60
    setup_minutes = 10
    interval_days = 168
    interval_window_days = 14


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    center = factory.SubFactory(CenterFactory)
    patient = factory.SubFactory(PatientFactory, center=factory.SelfAttribute("..center"))
    protocol = factory.SubFactory(ProtocolFactory)
    chair = factory.SubFactory(ChairFactory, center=factory.SelfAttribute("..center"))
    dose_number = 3
    start = factory.LazyFunction(lambda: dt.datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=o.protocol.chair_minutes(o.dose_number)))
    status = AppointmentStatus.BOOKED


def expire_cached_protocols() -> None:
    """After a queryset ``update()`` of protocol or regimen rows in a test (no signal is sent): expire the
    cached protocol data the way a save does (``scheduling.invalidation``)."""
    from infusion_center.versioned_cache import bump
    from scheduling.planner_input import PROTOCOLS_SCOPE

    bump(PROTOCOLS_SCOPE)
