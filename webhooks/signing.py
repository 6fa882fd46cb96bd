"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body, with the subscription's secret.

Header ``Webhook-Signature: t=<unix seconds>,v1=<hex digest>`` where the digest is
``HMAC_SHA256(secret, f"{t}.{body}")``. A receiver recomputes it over the raw body it received, compares
in constant time, and refuses a timestamp older than its tolerance (replays). Pure: no Django.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Webhook-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, body: bytes, header: str, now: float, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and its timestamp is within ``tolerance`` of ``now``."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, digest = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not digest:
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=int(timestamp)).split("v1=", 1)[1]
    return hmac.compare_digest(expected, digest)
