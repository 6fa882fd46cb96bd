"""Fixtures shared by every test: a center with chairs and nurses, and one user per role."""

from __future__ import annotations

import datetime as dt
import os
import sys

import factory.random
import pytest

from tests.factories import CenterFactory, ChairFactory, PatientFactory, ProtocolFactory, UserFactory


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("TEST_CLOCK", ""),
        help="Run the whole session as if it were this moment (ISO 8601 with an offset, the clock ticking), "
        "e.g. --clock=2026-12-04T10:00-05:00 (a Friday) or TEST_CLOCK=...; proves no test depends on today's date.",
    )


def _clock_from_command_line() -> str:
    for index, arg in enumerate(sys.argv):
        if arg.startswith("--clock="):
            return arg.split("=", 1)[1]
        if arg == "--clock" and index + 1 < len(sys.argv):
            return sys.argv[index + 1]
    return os.environ.get("TEST_CLOCK", "")


# Travel as soon as this (the first) conftest is imported: the other conftests and test modules some
# areas compute dates in at import time (tests/api/conftest.py's DAY) must see the chosen clock too.
_CLOCK = _clock_from_command_line()
_CLOCK_TRAVEL = None
if _CLOCK:
    import time_machine

    _start = dt.datetime.fromisoformat(_CLOCK)
    if _start.tzinfo is None:
        raise pytest.UsageError("--clock needs a UTC offset, e.g. 2026-12-31T10:00-05:00")
    _CLOCK_TRAVEL = time_machine.travel(_start, tick=True)
    _CLOCK_TRAVEL.start()


def pytest_configure(config):
    config._clock_travel = _CLOCK_TRAVEL


def pytest_unconfigure(config):
    travel = getattr(config, "_clock_travel", None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    moment = config.getoption("--clock", default="")
    return f"clock: the session runs as if it were {moment}" if moment else None


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """PBKDF2's deliberate slowness costs seconds per test user; tests need no strong hashes."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def flush_by_delete():
    """Transactional tests (browser, races, workers) empty every table after each test. PostgreSQL's
    ``TRUNCATE`` of the hundred tables gives each a new file: 0.4 s on a quiet machine, over 1.5 s on
    a loaded one, per test. ``DELETE`` empties the same tables in one transaction in 20 ms (Django's
    foreign keys are deferred, so the order does not matter). Sequences are not reset, as with Django's
    own flush; a test that asks for ``reset_sequences`` gets Django's."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {self.quote_name(table)}" for table in tables)]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True, scope="session")
def force_login_passes_the_second_factor():
    """``client.force_login(user)`` stands for a complete sign-in, second step included: when the user
    must use (or has) an authenticator, the session is marked verified with one. Signing in through
    the login form (tests/accounts) still goes through the real second step."""
    from django.contrib.auth.signals import user_logged_in

    def verify(sender, request, user, **kwargs):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.mfa import authenticator_of, is_second_factor_required

        if request.path:  # a real request: the login form, not force_login's bare HttpRequest
            return
        device = authenticator_of(user)
        if device is None and is_second_factor_required(user):
            device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
        if device is not None:
            request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    user_logged_in.connect(verify, dispatch_uid="tests-force-login-second-factor")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-force-login-second-factor")


@pytest.fixture
def center(db):
    return CenterFactory(name="Riverside Neurology Infusion")


@pytest.fixture
def other_center(db):
    return CenterFactory(name="Hilltop Infusion")


@pytest.fixture
def chair(center):
    return ChairFactory(center=center, label="C01")


@pytest.fixture
def patient(center):
    return PatientFactory(center=center)


@pytest.fixture
def protocol(db):
    return ProtocolFactory()


@pytest.fixture
def nurse(center):
    return UserFactory(username="nina.nurse", role="nurse", center=center)


@pytest.fixture
def front_desk(center):
    return UserFactory(username="frank.desk", role="front_desk", center=center)


@pytest.fixture
def center_admin(center):
    return UserFactory(username="ada.admin", role="center_admin", center=center, is_staff=True)


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def front_desk_client(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def admin_client_for_center(client, center_admin):
    client.force_login(center_admin)
    return client


@pytest.fixture(autouse=True)
def same_fake_names(request):
    """Each test draws the same Faker names (patients' names, …) on every run, whatever ran before it:
    a random surname that happened to match a test's text could fail it one run in a thousand."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def order_requirement(settings):
    """Booking checks the dose's readiness (a valid order…) in production; tests of other areas book
    without orders. tests/treatment/conftest.py overrides this fixture to switch the check on."""
    settings.BOOKING_REQUIRES_ORDER = False
