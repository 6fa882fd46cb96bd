"""The order a manager sets on the chairs page is the order of the board and the week view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.selectors import board_for, week_for
from tests.factories import ChairFactory

pytestmark = pytest.mark.django_db


def test_moving_a_chair_up_moves_it_on_the_board_and_the_week_view(admin_client, center):
    for label in ("C01", "C02", "C03"):
        admin_client.post(reverse("setup:chairs", args=[center.pk]), {"label": label, "kind": "chair"})
    admin_client.post(reverse("setup:chairs", args=[center.pk]), {"label": "B1", "kind": "bed"})
    c03 = center.chairs.get(label="C03")
    admin_client.post(reverse("setup:chair_move", args=[center.pk, c03.pk]), {"direction": "up"})
    admin_client.post(reverse("setup:chair_move", args=[center.pk, c03.pk]), {"direction": "up"})
    ChairFactory(center=center, label="A0", kind="chair", position=99)  # added last: shown last

    monday = dt.date(2026, 12, 7)
    board = board_for(center=center, day=monday)
    assert [[row.chair.label for row in group.rows] for group in board.groups] == [
        ["C03", "C01", "C02", "A0"],
        ["B1"],
    ]
    week = week_for(center=center, day=monday)
    assert [row.chair.label for row in week.rows] == ["C03", "C01", "C02", "A0", "B1"]
