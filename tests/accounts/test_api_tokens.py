"""API tokens expire after API_TOKEN_DAYS, and their owner can see and revoke them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.accounts.conftest import MOMENT

pytestmark = pytest.mark.django_db


def obtain_token() -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def api_with(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_token_works_until_it_expires_then_is_a_401_saying_so(nurse, time_machine, settings):
    settings.API_TOKEN_DAYS = 30
    time_machine.move_to(MOMENT, tick=False)
    token = obtain_token()
    time_machine.move_to(MOMENT + dt.timedelta(days=29, hours=23), tick=False)
    assert api_with(token).get("/api/v1/centers/").status_code == 200
    time_machine.move_to(MOMENT + dt.timedelta(days=30), tick=False)
    response = api_with(token).get("/api/v1/centers/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "token_expired",
        "detail": "This API token expired on 2027-01-01 14:00 UTC; get a new one from POST /api/v1/auth/token/.",
    }


def test_the_lifetime_is_configurable(nurse, time_machine, settings):
    settings.API_TOKEN_DAYS = 1
    time_machine.move_to(MOMENT, tick=False)
    token = obtain_token()
    time_machine.move_to(MOMENT + dt.timedelta(days=1, seconds=1), tick=False)
    assert api_with(token).get("/api/v1/centers/").status_code == 401


def test_asking_again_after_expiry_gives_a_new_working_token(nurse, time_machine, settings):
    time_machine.move_to(MOMENT, tick=False)
    old = obtain_token()
    assert obtain_token() == old  # still valid: the same token
    time_machine.move_to(MOMENT + dt.timedelta(days=settings.API_TOKEN_DAYS + 1), tick=False)
    new = obtain_token()
    assert new != old
    assert api_with(new).get("/api/v1/centers/").status_code == 200
    assert api_with(old).get("/api/v1/centers/").status_code == 401


def test_the_security_page_lists_the_token_and_revokes_it(nurse_client, nurse, settings):
    token = obtain_token()
    page = nurse_client.get(reverse("security")).content.decode()
    assert f"<code>{token[:4]}…</code>" in page
    assert token not in page  # never the whole key
    expires = Token.objects.get(user=nurse).created + dt.timedelta(days=settings.API_TOKEN_DAYS)
    assert f"{expires:%Y-%m-%d}" in page
    response = nurse_client.post(reverse("token_revoke"))
    assert response.status_code == 302
    assert not Token.objects.filter(user=nurse).exists()
    assert api_with(token).get("/api/v1/centers/").status_code == 401
    assert "You have no API token." in nurse_client.get(reverse("security")).content.decode()


def test_revoking_is_a_post(nurse_client, nurse):
    obtain_token()
    assert nurse_client.get(reverse("token_revoke")).status_code == 405
    assert Token.objects.filter(user=nurse).exists()
