"""The Content-Security-Policy header, and templates that need nothing it forbids.

The browser tests (tests/e2e) fail on any violation on the pages they visit; this guards every
template, including pages no browser test opens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=\"\{\{ CSP_NONCE \}\}\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
EVAL_IN_HTMX = re.compile(r"""hx-on|hx-trigger="[^"]*\[|hx-vals=['"]js:|javascript:""", re.I)


def templates() -> list[Path]:
    found = [
        path
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts and "email" not in path.parts  # emails are not pages
    ]
    assert len(found) > 30
    return found


@pytest.mark.django_db
def test_pages_send_a_strict_policy(nurse_client):
    policy = nurse_client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    # The nonce is added only to responses whose page used it (django-csp renders it lazily).
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9+/=]+')?", directives["script-src"])
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy


@pytest.mark.django_db
def test_the_api_docs_need_no_inline_script(nurse_client):
    html = nurse_client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(html) and "<style" not in html
    script = nurse_client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_no_template_has_an_inline_script_handler_or_eval():
    offenders = []
    for path in templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, EVAL_IN_HTMX):
            offenders += [f"{path.relative_to(ROOT)}: {match.group(0)}" for match in pattern.finditer(text)]
    assert not offenders, "\n".join(offenders)
