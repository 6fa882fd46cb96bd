"""Tokens, 401 for anonymous callers, session auth for the browser, and the schema and Swagger UI."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_for_username_and_password(nurse):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/centers/").status_code == 200


def test_wrong_password_is_a_400_without_token(nurse):
    response = APIClient().post("/api/v1/auth/token/", {"username": "nina.nurse", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_request_needs_both_fields(db):
    response = APIClient().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/centers/",
        "/api/v1/chairs/",
        "/api/v1/chair-blocks/",
        "/api/v1/shifts/",
        "/api/v1/protocols/",
        "/api/v1/patients/",
        "/api/v1/appointments/",
        "/api/v1/availability/?center=1&protocol=1",
    ],
)
def test_anonymous_is_401(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert client.get("/api/v1/patients/").status_code == 401


def test_anonymous_post_is_401(db):
    assert APIClient().post("/api/v1/appointments/", {}, format="json").status_code == 401


def test_session_auth_works_for_the_browser(nurse_client, center):
    response = nurse_client.get("/api/v1/centers/")
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == center.pk


def test_schema_is_served_and_describes_every_route(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for route in [
        "/api/v1/auth/token/",
        "/api/v1/centers/",
        "/api/v1/chairs/{id}/",
        "/api/v1/chair-blocks/",
        "/api/v1/shifts/",
        "/api/v1/protocols/",
        "/api/v1/patients/",
        "/api/v1/appointments/",
        "/api/v1/appointments/{id}/check-in/",
        "/api/v1/appointments/{id}/seat/",
        "/api/v1/appointments/{id}/start-infusion/",
        "/api/v1/appointments/{id}/start-observation/",
        "/api/v1/appointments/{id}/complete/",
        "/api/v1/appointments/{id}/no-show/",
        "/api/v1/appointments/{id}/cancel/",
        "/api/v1/appointments/{id}/reschedule/",
        "/api/v1/availability/",
    ]:
        assert route in paths, route
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method.upper()} {path} has no description"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_every_operation_has_examples(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            bodies = [operation.get("requestBody", {})] + list(operation.get("responses", {}).values())
            examples = [
                example
                for body in bodies
                for media in body.get("content", {}).values()
                for example in media.get("examples", {}).values()
            ]
            assert examples, f"{method.upper()} {path} has no example"
    text = str(schema)
    for marker in ("Booking", "Refused", "Candidates", "Credentials", "A patient", "A chair", "A shift", "Reminders"):
        assert marker in text, marker


def test_swagger_ui_is_served_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    from django.contrib.staticfiles import finders

    for asset in re.findall(r"/static/(drf_spectacular_sidecar/[^\"']+)", html):
        assert finders.find(asset), asset


def test_repeated_failures_lock_the_account(nurse, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "nina.nurse", "password": "bad"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_api_root_lists_the_routes(nurse):
    from tests.api.conftest import client_for

    assert APIClient().get("/api/v1/").status_code == 401
    body = client_for(nurse).get("/api/v1/").json()
    assert {"centers", "chairs", "chair-blocks", "shifts", "protocols", "patients", "appointments"} <= set(body)


def test_trailing_slash_is_optional(nurse, center):
    from tests.api.conftest import client_for

    response = APIClient().post(
        "/api/v1/auth/token", {"username": "nina.nurse", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    client = client_for(nurse)
    assert client.get("/api/v1/centers").status_code == 200
    assert client.get(f"/api/v1/centers/{center.pk}").status_code == 200
    assert client.post("/api/v1/appointments", {}, format="json").status_code == 400
    assert client.get("/api/v1/availability").status_code == 400


def test_unknown_api_path_is_a_json_404(db):
    response = APIClient().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert "detail" in response.json()
