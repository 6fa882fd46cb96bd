"""Factories draw the same names in a test on every run (``tests/conftest.py``: ``same_fake_names``)."""

from __future__ import annotations

import factory.random

from tests.factories import PatientFactory


def names(count: int) -> list[tuple[str, str]]:
    return [(patient.first_name, patient.last_name) for patient in PatientFactory.build_batch(count)]


def test_the_names_a_test_draws_depend_on_the_test_alone(request):
    drawn = names(5)
    factory.random.reseed_random(request.node.nodeid)  # the state the test began with, whatever ran before
    assert names(5) == drawn
