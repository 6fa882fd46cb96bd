"""What every FHIR endpoint shares: authentication, permissions, ``application/fhir+json`` in and out,
errors as ``OperationOutcome``, and searchset ``Bundle`` paging.

The FHIR views are DRF views, so they accept the REST API's tokens (``Authorization: Token …``, with
their expiry) and sessions, and ask the same model permissions as the API. Errors go through the API's
one exception handler (``infusion_center.api_common.exception_handler``: domain refusals, validation,
database races) and only its answer is re-shaped here as an OperationOutcome, so a refusal has the same
status, ``code`` and message on both interfaces.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from infusion_center.api_common import exception_handler
from infusion_center.api_parsers import DepthLimitedJSONParser

FHIR_JSON = "application/fhir+json"
REFUSAL_SYSTEM = "urn:infusion-center:fhir:refusal-code"
DEFAULT_COUNT = 50
MAX_COUNT = 500
MAX_OFFSET = 10**6


class FhirJSONParser(DepthLimitedJSONParser):
    media_type = FHIR_JSON


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class FhirResponse(HttpResponse):
    def __init__(self, resource: dict, *, status_code: int = 200, headers: dict | None = None) -> None:
        super().__init__(
            json.dumps(resource, ensure_ascii=False, default=str),
            content_type=f"{FHIR_JSON}; charset=utf-8",
            status=status_code,
            headers=headers,
        )


class FhirPermission(permissions.BasePermission):
    """Signed in, and holding the model permission the view names for the method (``view.perms``)."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = view.perms.get(request.method, view.perms.get("*", ()))
        return all(request.user.has_perm(p) for p in needed)


# HTTP status -> OperationOutcome.issue.code
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def issue(code: str, message: str, *, refusal: str = "", expression: str = "", severity: str = "error") -> dict:
    entry: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if refusal:
        entry["details"] = {"coding": [{"system": REFUSAL_SYSTEM, "code": refusal}], "text": message}
    if expression:
        entry["expression"] = [expression]
    return entry


def outcome_from_api_body(body: Any, status_code: int) -> dict:
    """The REST API's error body (``code``/``detail``/``reasons``, or field errors) as an OperationOutcome."""
    code = _ISSUE_CODES.get(status_code, "exception")
    if not isinstance(body, dict):
        return outcome([issue(code, str(body))])
    reasons = body.get("reasons") or []
    if reasons:
        business = code == "conflict" and not any(r["code"] in ("chair_taken", "chairs_full") for r in reasons)
        return outcome([issue("business-rule" if business else code, r["message"], refusal=r["code"]) for r in reasons])
    if "detail" in body and len([k for k in body if k not in ("code", "detail")]) == 0:
        return outcome([issue(code, str(body["detail"]), refusal=str(body.get("code", "")))])
    issues = []
    for field, messages in body.items():
        if field == "code":
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            issues.append(issue(code, f"{field}: {message}" if field != "detail" else str(message), expression=field))
    return outcome(issues or [issue(code, "The request was refused.")])


class FhirView(APIView):
    """Base of every FHIR endpoint; subclasses set ``perms`` (HTTP method -> permissions)."""

    permission_classes = [FhirPermission]
    parser_classes = [FhirJSONParser, DepthLimitedJSONParser, JSONParser]
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    perms: dict[str, tuple[str, ...]] = {}
    schema = None  # not part of the REST API's OpenAPI document

    def perform_content_negotiation(self, request, force=False):
        # Every answer is FHIR JSON (application/fhir+json); a client asking for XML gets JSON too.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            body = exception_handler(exc, self.get_exception_handler_context())
            detail = body.data.get("detail", "Authentication is required.") if body is not None else ""
            refusal = body.data.get("code", "") if body is not None else ""
            return FhirResponse(
                outcome([issue("login", str(detail), refusal=str(refusal) if refusal != "not_authenticated" else "")]),
                status_code=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Token realm="fhir"'},
            )
        response = exception_handler(exc, self.get_exception_handler_context())
        if response is None:
            raise exc
        return FhirResponse(
            outcome_from_api_body(response.data, response.status_code), status_code=response.status_code
        )

    def base_url(self, request) -> str:
        return request.build_absolute_uri("/fhir/r4").rstrip("/")


def page_parameters(params) -> tuple[int, int]:
    """``_count`` (1–500, default 50) and ``_offset`` (0–10⁶); anything else is a 400 naming the parameter."""
    values = []
    for name, default, low, high in (("_count", DEFAULT_COUNT, 0, MAX_COUNT), ("_offset", 0, 0, MAX_OFFSET)):
        text = params.get(name)
        if text is None:
            values.append(default)
            continue
        if not text.isdigit() or not low <= int(text) <= high:
            raise exceptions.ValidationError({name: [f"Give one whole number from {low} to {high}."]})
        values.append(int(text))
    return values[0], values[1]


def searchset(
    request, *, base: str, resource_type: str, resources: list[dict], total: int, count: int, offset: int
) -> dict:
    """A searchset Bundle of one page, with self/first/previous/next links that keep the search parameters."""
    kept = [(k, v) for k, values in request.GET.lists() if k not in ("_count", "_offset") for v in values]

    def link(relation: str, at: int) -> dict:
        query = urlencode([*kept, ("_count", count), ("_offset", at)])
        return {"relation": relation, "url": f"{base}/{resource_type}?{query}"}

    links = [link("self", offset), link("first", 0)]
    if offset > 0:
        links.append(link("previous", max(0, offset - max(count, 1))))
    if count and offset + count < total:
        links.append(link("next", offset + count))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if resources:  # FHIR has no empty arrays
        bundle["entry"] = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ]
    return bundle
