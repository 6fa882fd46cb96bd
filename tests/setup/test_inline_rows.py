"""The setup pages' rows edited in place (htmx): a row's editor, its refusals in the row, and scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory
from tests.setup.conftest import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_chairs_row_opens_its_own_editor(admin_client, center, chair):
    response = admin_client.get(reverse("setup:chair_edit", args=[center.pk, chair.pk]), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="chair-row-{chair.pk}"' in page and "<html" not in page
    assert 'value="C01"' in page and "By a window" in page


def test_a_refused_rename_stays_in_the_row_with_the_reason_and_saves_nothing(admin_client, center, chair):
    center.chairs.create(label="C02")
    url = reverse("setup:chair_edit", args=[center.pk, chair.pk])
    response = admin_client.post(url, {"label": "C02", "kind": "chair"}, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="chair-row-{chair.pk}"' in page and "already exists" in page
    assert 'value="C02"' in page  # what the manager typed, to correct
    chair.refresh_from_db()
    assert chair.label == "C01"


def test_a_saved_row_comes_back_from_the_chairs_page_with_its_message(admin_client, center, chair):
    url = reverse("setup:chair_edit", args=[center.pk, chair.pk])
    response = admin_client.post(url, {"label": "W1", "kind": "chair", "features": ["window"]}, follow=True, **HTMX)
    page = response.content.decode()
    assert f'<tr id="chair-row-{chair.pk}">' in page and "W1 saved." in page and 'id="messages"' in page
    chair.refresh_from_db()
    assert chair.features == ["window"]


def test_deactivating_a_booked_chair_answers_409_with_what_must_move(admin_client, center, chair):
    AppointmentFactory(center=center, chair=chair, start=NOW.replace(day=9))
    response = admin_client.post(reverse("setup:chair_deactivate", args=[center.pk, chair.pk]), **HTMX)
    assert response.status_code == 409
    assert "cannot be deactivated" in response.content.decode()
    chair.refresh_from_db()
    assert chair.is_active


def test_a_persons_row_opens_a_roles_editor_and_saves_roles(admin_client, center, nurse):
    url = reverse("setup:staff_edit", args=[center.pk, nurse.pk])
    page = admin_client.get(url, **HTMX).content.decode()
    assert f'id="staff-row-{nurse.pk}"' in page and "Save roles" in page
    refused = admin_client.post(url, {}, **HTMX)
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    saved = admin_client.post(url, {"roles": ["nurse", "front_desk"]}, follow=True, **HTMX)
    assert f'id="staff-row-{nurse.pk}"' in saved.content.decode()
    assert {g.name for g in nurse.groups.all()} >= {"nurse", "front_desk"}


def test_another_centers_rows_are_not_found(admin_client, center, other_chair, other_nurse):
    assert admin_client.get(reverse("setup:chair_edit", args=[center.pk, other_chair.pk]), **HTMX).status_code == 404
    assert admin_client.get(reverse("setup:staff_edit", args=[center.pk, other_nurse.pk]), **HTMX).status_code == 404
