"""The appointment history tells each status in one vocabulary: plain words with the FHIR status."""

from __future__ import annotations

import pytest

from scheduling.selectors import status_history
from scheduling.services import transition
from tests.booking.conftest import at
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_history_uses_the_same_words_from_check_in_to_discharge(center, chair, protocol, nurse, monday):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(monday, 9))
    for step, minute in (("check_in", 50), ("seat", 55)):
        appointment = transition(actor=nurse, appointment=appointment, action=step, now=at(monday, 8, minute))
    for step, hour in (("start_infusion", 10), ("start_observation", 13), ("complete", 15)):
        appointment = transition(actor=nurse, appointment=appointment, action=step, now=at(monday, hour))
    lines = [entry.what for entry in reversed(status_history(appointment=appointment))]
    assert lines[0] == "Created: booked"
    assert lines[1] == "Status booked → arrived, checked in at the desk (arrived)"
    assert lines[2].startswith("Status arrived, checked in at the desk (arrived) → in the chair (checked-in)")
    assert "discharged (fulfilled)" in lines[-1]
