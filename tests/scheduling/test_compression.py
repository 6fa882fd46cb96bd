"""Pages and the htmx partials that poll every 20-30 s are served gzip-compressed (issue 14)."""

from __future__ import annotations

import gzip

import pytest

from tests.api.conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("htmx", [False, True])
def test_board_and_its_refresh_are_gzipped(client, nurse, center, chair, htmx):
    client.force_login(nurse)
    headers = {"Accept-Encoding": "gzip, br"}
    if htmx:
        headers |= {"HX-Request": "true", "HX-Target": "board-live"}
    response = client.get(f"/board/?center={center.pk}&date={DAY.isoformat()}", headers=headers)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    page = gzip.decompress(response.content)
    assert b"C01" in page  # the chair's row
    assert (b"<html" in page) is not htmx  # the refresh is the partial only


def test_uncompressed_when_the_client_does_not_ask(client, nurse, center, chair):
    client.force_login(nurse)
    response = client.get(f"/board/?center={center.pk}&date={DAY.isoformat()}")
    assert not response.has_header("Content-Encoding")
