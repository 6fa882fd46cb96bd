"""Center setup tests: a center admin's client, another center with its own objects, a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import NEW_YORK, ChairFactory, UserFactory

# Wednesday 2 December 2026, 09:00 in New York: every setup test runs at this instant.
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin_client(client, center_admin):
    client.force_login(center_admin)
    return client


@pytest.fixture
def other_chair(other_center):
    return ChairFactory(center=other_center, label="H01")


@pytest.fixture
def other_nurse(other_center):
    return UserFactory(username="otto.other", role="nurse", center=other_center)


@pytest.fixture
def system_admin(db):
    return UserFactory(username="sam.system", role="system_admin")
