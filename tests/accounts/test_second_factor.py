"""Two-step sign-in (TOTP): required for center admins before any page, optional for the other roles,
recovery codes when the phone is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import is_second_factor_required
from accounts.services import new_recovery_codes
from tests.accounts.conftest import code_for, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def set_up_authenticator(client, user) -> list[str]:
    """Go through the set-up page as a user would: scan (read the pending device), enter the code."""
    assert client.get(reverse("mfa_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("mfa_setup"), {"code": code_for(device)})
    assert response.status_code == 200
    return response.context["codes"]


def test_center_admin_is_sent_to_set_up_the_second_factor_before_any_page(client, center_admin, clock):
    sign_in(client, "ada.admin")
    for url in (reverse("home"), reverse("board"), "/admin/", reverse("patient_list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("mfa_setup")), url


def test_setting_up_shows_a_server_drawn_qr_code_and_gives_recovery_codes(client, center_admin, clock):
    sign_in(client, "ada.admin")
    page = client.get(reverse("mfa_setup")).content.decode()
    assert "<svg" in page and "<path" in page  # the QR code, drawn by the server
    device = TOTPDevice.objects.get(user=center_admin, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/Infusion%20Center%3Aada.admin?")
    codes = set_up_authenticator(client, center_admin)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=center_admin).confirmed
    assert client.get(reverse("patient_list")).status_code == 200


def test_a_wrong_code_does_not_turn_it_on(client, center_admin, clock):
    sign_in(client, "ada.admin")
    client.get(reverse("mfa_setup"))
    response = client.post(reverse("mfa_setup"), {"code": "000000"})
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=center_admin, confirmed=True).exists()
    assert client.get(reverse("patient_list")).status_code == 302


def test_next_sign_in_asks_for_a_code_from_the_app(client, center_admin, clock):
    sign_in(client, "ada.admin")
    set_up_authenticator(client, center_admin)
    client.post(reverse("logout"))
    clock.shift(dt.timedelta(seconds=60))

    sign_in(client, "ada.admin")
    response = client.get(reverse("board"))
    assert response.status_code == 302 and response.url == reverse("mfa_verify") + "?next=%2Fboard%2F"
    wrong = client.post(reverse("mfa_verify"), {"code": "123456", "next": "/board/"})
    assert wrong.status_code == 200 and "not valid" in wrong.content.decode()
    clock.shift(dt.timedelta(seconds=60))  # django-otp makes the next try wait after a wrong code
    device = TOTPDevice.objects.get(user=center_admin)
    response = client.post(reverse("mfa_verify"), {"code": code_for(device), "next": "/board/"})
    assert response.status_code == 302 and response.url == "/board/"
    assert client.get(reverse("board")).status_code == 200


def test_a_code_is_accepted_only_once(client, center_admin, clock):
    sign_in(client, "ada.admin")
    set_up_authenticator(client, center_admin)
    device = TOTPDevice.objects.get(user=center_admin)
    used = code_for(device)  # the code that confirmed the set-up, same 30 s step
    client.post(reverse("logout"))
    sign_in(client, "ada.admin")
    client.post(reverse("mfa_verify"), {"code": used})
    assert client.get(reverse("patient_list")).status_code == 302


def test_a_recovery_code_signs_in_once(client, center_admin, clock):
    sign_in(client, "ada.admin")
    codes = set_up_authenticator(client, center_admin)
    for attempt in ("first", "second"):
        client.post(reverse("logout"))
        clock.shift(dt.timedelta(minutes=5))
        sign_in(client, "ada.admin")
        client.post(reverse("mfa_verify"), {"code": codes[0].upper()})
        status = client.get(reverse("patient_list")).status_code
        assert status == (200 if attempt == "first" else 302), attempt
    assert StaticToken.objects.filter(device__user=center_admin).count() == 9


def test_an_unverified_session_cannot_replace_the_authenticator(client, center_admin, clock):
    sign_in(client, "ada.admin")
    set_up_authenticator(client, center_admin)
    client.post(reverse("logout"))
    sign_in(client, "ada.admin")
    response = client.get(reverse("mfa_setup"))
    assert response.status_code == 302 and response.url == reverse("mfa_verify")
    assert client.post(reverse("mfa_setup"), {"code": "000000"}).status_code == 302
    assert TOTPDevice.objects.filter(user=center_admin).count() == 1


def test_other_roles_sign_in_with_the_password_alone_until_they_turn_it_on(client, nurse, clock):
    assert not is_second_factor_required(nurse)
    sign_in(client, "nina.nurse")
    assert client.get(reverse("patient_list")).status_code == 200
    page = client.get(reverse("security")).content.decode()
    assert "Turn on two-step sign-in" in page
    set_up_authenticator(client, nurse)
    client.post(reverse("logout"))
    clock.shift(dt.timedelta(seconds=60))
    sign_in(client, "nina.nurse")
    assert client.get(reverse("patient_list")).url.startswith(reverse("mfa_verify"))
    client.post(reverse("mfa_verify"), {"code": code_for(TOTPDevice.objects.get(user=nurse))})
    assert client.get(reverse("patient_list")).status_code == 200


def test_a_nurse_may_turn_it_off_with_a_code_a_center_admin_may_not(client, nurse, center_admin, clock):
    sign_in(client, "nina.nurse")
    set_up_authenticator(client, nurse)
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("mfa_turn_off"), {"code": "999999"})
    assert TOTPDevice.objects.filter(user=nurse).exists()
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("mfa_turn_off"), {"code": code_for(TOTPDevice.objects.get(user=nurse))})
    assert not TOTPDevice.objects.filter(user=nurse).exists()

    client.post(reverse("logout"))
    sign_in(client, "ada.admin")
    set_up_authenticator(client, center_admin)
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("mfa_turn_off"), {"code": code_for(TOTPDevice.objects.get(user=center_admin))})
    assert TOTPDevice.objects.filter(user=center_admin, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(client, center_admin, clock):
    sign_in(client, "ada.admin")
    old = set_up_authenticator(client, center_admin)
    response = client.post(reverse("mfa_recovery_codes"))
    new = response.context["codes"]
    assert not set(old) & set(new)
    assert set(StaticToken.objects.filter(device__user=center_admin).values_list("token", flat=True)) == set(new)


def test_superusers_need_it_too(db):
    assert is_second_factor_required(UserFactory(is_superuser=True))


def test_required_roles_are_configurable(center_admin, settings):
    settings.MFA_REQUIRED_ROLES = []
    assert not is_second_factor_required(center_admin)


def test_session_calls_to_the_api_wait_for_the_second_factor(client, center_admin, clock):
    sign_in(client, "ada.admin")
    response = client.get("/api/v1/centers/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_api_tokens_are_not_affected_by_the_second_factor(client, center_admin, clock):
    TOTPDevice.objects.create(user=center_admin, name="phone", confirmed=True)
    new_recovery_codes(user=center_admin)
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "ada.admin", "password": "correct-horse-battery"}, format="json"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/centers/").status_code == 200


def test_public_pages_stay_public_for_an_unverified_session(client, center_admin, clock):
    sign_in(client, "ada.admin")
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("login")).status_code == 200
