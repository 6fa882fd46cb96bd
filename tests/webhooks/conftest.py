"""Webhook fixtures: a real local HTTP receiver, subscriptions, a staffed day."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import DAY, at, shift  # noqa: F401  (fixtures and helpers)
from webhooks.models import EventType, Subscription


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``status`` (200 by default)."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


def subscribe(center, url: str, *, clinical: bool = False, events=None) -> Subscription:
    return Subscription.objects.create(
        center=center,
        name="EHR" if clinical else "Front-office system",
        url=url,
        events=list(events or EventType.values),
        is_clinical=clinical,
    )


__all__ = ["DAY", "Receiver", "at", "free_port", "subscribe"]
