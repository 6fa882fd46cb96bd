"""The CapabilityStatement served at /fhir/r4/metadata: what this server reads, searches and writes."""

from __future__ import annotations

from django.utils import timezone

from fhir_r4.resources import DOSE_NUMBER_URL

_COMMON = [
    {"name": "_id", "type": "token"},
    {"name": "_count", "type": "number", "documentation": "Page size, 0–500 (default 50)."},
    {"name": "_offset", "type": "number", "documentation": "Where the page starts (the Bundle's links carry it)."},
]
_LAST_UPDATED = {"name": "_lastUpdated", "type": "date"}


def _resource(kind: str, params: list[tuple[str, str, str]], *, write: bool = False, updated: bool = True) -> dict:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    if write:
        interactions += [{"code": "create"}, {"code": "update"}]
    search = [*_COMMON, *([_LAST_UPDATED] if updated else [])]
    search += [{"name": n, "type": t, **({"documentation": d} if d else {})} for n, t, d in params]
    entry = {
        "type": kind,
        "interaction": interactions,
        "versioning": "versioned-update" if write else "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": search,
    }
    if write:
        entry["conditionalCreate"] = True
    return entry


def capability_statement(*, base: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "Infusion Center (open source)",
        "kind": "instance",
        "software": {"name": "Infusion Center"},
        "implementation": {"description": "Infusion Center FHIR R4 interface", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Scoped to the centers the signed-in user works at; another center's resource is "
                "a 404. Refusals are OperationOutcome resources (409 for booking refusals, with our refusal code).",
                "security": {
                    "cors": False,
                    "description": "Send the REST API's token: `Authorization: Token <token>` from "
                    "POST /api/v1/auth/token/ (it expires after API_TOKEN_DAYS). SMART on FHIR scopes are future work.",
                },
                "resource": [
                    _resource(
                        "Patient",
                        [
                            ("identifier", "token", "The MRN."),
                            ("family", "string", ""),
                            ("given", "string", ""),
                            ("name", "string", ""),
                            ("birthdate", "date", ""),
                        ],
                    ),
                    _resource("Practitioner", [("name", "string", "Nurses and ordering providers.")], updated=False),
                    _resource(
                        "Location",
                        [("name", "string", ""), ("partof", "reference", "A center's chairs.")],
                        updated=False,
                    ),
                    _resource(
                        "Schedule",
                        [("actor", "reference", "Location/chair-{id} or a center"), ("active", "token", "")],
                        updated=False,
                    ),
                    {
                        **_resource(
                            "Slot",
                            [
                                ("schedule", "reference", "Required: the chairs' schedules (one center)."),
                                ("service-type", "token", "Required: the protocol code."),
                                ("start", "date", "ge/gt/le/lt/eq; default the next 14 days, at most 90."),
                                ("status", "token", "Only free slots are listed."),
                                ("patient", "reference", "Leave out the patient's busy times and series rules."),
                                ("dose-number", "number", f"The dose (extension {DOSE_NUMBER_URL}); default 1."),
                            ],
                            updated=False,
                        ),
                        "operation": [{"name": "book", "definition": f"{base}/OperationDefinition/Slot-book"}],
                    },
                    _resource(
                        "Appointment",
                        [
                            ("patient", "reference", ""),
                            ("actor", "reference", "Patient or Location (center or chair)."),
                            ("location", "reference", "Center or chair."),
                            ("date", "date", "The start."),
                            ("status", "token", ""),
                            ("service-type", "token", "The protocol code."),
                            ("identifier", "token", "An identifier the client gave (system|value)."),
                        ],
                        write=True,
                    ),
                    _resource(
                        "ServiceRequest",
                        [
                            ("patient", "reference", ""),
                            ("subject", "reference", ""),
                            ("status", "token", "active, completed, revoked"),
                            ("code", "token", "The protocol code."),
                        ],
                    ),
                    _resource(
                        "ClaimResponse",
                        [
                            ("patient", "reference", ""),
                            ("outcome", "token", "queued (pending), complete, error (denied)"),
                            ("identifier", "token", "The payer's reference number."),
                        ],
                    ),
                ],
            }
        ],
    }
