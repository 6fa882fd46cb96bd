"""Failed logins lock the user name they were tried for, never everyone behind one address."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CLINIC_ADDRESS = "203.0.113.7"  # the whole clinic behind one NAT address


def test_failures_for_made_up_names_do_not_lock_a_real_user_on_the_same_address(client, nurse, settings):
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(reverse("login"), {"username": f"nobody{n}", "password": "guess"}, REMOTE_ADDR=CLINIC_ADDRESS)
    response = client.post(
        reverse("login"),
        {"username": "nina.nurse", "password": "correct-horse-battery"},
        REMOTE_ADDR=CLINIC_ADDRESS,
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_failures_for_one_user_lock_that_user_from_every_address(client, nurse, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "nina.nurse", "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{n}")
    response = client.post(
        reverse("login"), {"username": "nina.nurse", "password": "correct-horse-battery"}, REMOTE_ADDR=CLINIC_ADDRESS
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_user_does_not_lock_colleagues_on_the_same_address(client, nurse, front_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "nina.nurse", "password": "wrong"}, REMOTE_ADDR=CLINIC_ADDRESS)
    response = client.post(
        reverse("login"), {"username": "frank.desk", "password": "correct-horse-battery"}, REMOTE_ADDR=CLINIC_ADDRESS
    )
    assert response.status_code == 302


def test_token_endpoint_failures_for_made_up_names_do_not_lock_a_real_user(nurse, settings):
    api = APIClient(REMOTE_ADDR=CLINIC_ADDRESS)
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        api.post("/api/v1/auth/token/", {"username": f"nobody{n}", "password": "guess"}, format="json")
    response = api.post(
        "/api/v1/auth/token/", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"]


def test_token_endpoint_locks_the_user_name_with_429(nurse, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        APIClient(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/api/v1/auth/token/", {"username": "nina.nurse", "password": "bad"}, format="json"
        )
    response = APIClient(REMOTE_ADDR=CLINIC_ADDRESS).post(
        "/api/v1/auth/token/", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 429
    assert response.json() == {
        "code": "locked_out",
        "detail": "Too many failed logins for this account; try again later.",
    }
