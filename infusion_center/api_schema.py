"""Make the OpenAPI schema say what the API really answers (drf-spectacular postprocessing hook).

drf-spectacular documents the success answer of each operation and whatever its view declares; it
does not know what the shared machinery answers on every operation: 401 without a token, 403 for a
role without the model permission (or a state-machine step the role may not take), 404 for an id
that is not among the user's centers, 400 for a bad query or body, 409 when the data conflicts, 413
and 415 for bodies. This hook adds those (where a view did not document them already), so that
schemathesis' status-code and response-schema checks hold for every role.

It also corrects two generated shapes that never match real answers: ``format: time`` (JSON Schema's
RFC 3339 time demands an offset, but TimeFields answer ``"08:00:00"``) becomes a pattern, and query
parameters with an ``enum`` accept the empty string, which django-filter reads as "no filter".
"""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_COMPONENT = {
    "type": "object",
    "description": "A refusal: a stable `code` and a human `detail` (more keys may name fields).",
    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Invalid input: each key names a field or parameter (or `non_field_errors`, `detail`).",
    "additionalProperties": True,
}
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"
BODY_METHODS = {"post", "put", "patch"}

_STANDARD = {
    "400": ("Invalid input, naming the field or parameter.", FIELD_ERRORS),
    "401": ("No valid token or session.", ERROR),
    "403": ("Your role may not do this (code `not_permitted` for a step of the state machine).", ERROR),
    "404": ("Not found among your centers (or a referenced id is not), with a `detail`.", ERROR),
}
_WRITES = {
    "409": ("Conflicts with existing data or another change (with `code` and `detail`).", ERROR),
    "413": ("The request body is too large.", ERROR),
    "415": ("Unsupported content type.", ERROR),
}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _walk(node) -> None:
    """Replace ``format: time`` with a pattern, everywhere in the schema."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            node.pop("format")
            node["pattern"] = TIME_PATTERN
        for value in node.values():
            _walk(value)
    elif isinstance(node, list):
        for value in node:
            _walk(value)


def document_shared_answers(result, generator, request, public):
    """The postprocessing hook (see ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_COMPONENT)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            public_operation = operation.get("security") == [] or {} in operation.get("security", [])
            answers = dict(_STANDARD)
            if method in BODY_METHODS or method == "delete":
                answers.update(_WRITES)
            for code, (description, schema) in answers.items():
                if code == "401" and public_operation:
                    continue
                responses.setdefault(code, _json(description, schema))
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and "enum" in schema and "" not in schema["enum"]:
                    schema["enum"] = [*schema["enum"], ""]
                if parameter.get("in") == "query" and schema.get("type") == "array":
                    items = schema.get("items", {})
                    if "enum" in items and "" not in items["enum"]:
                        items["enum"] = [*items["enum"], ""]
    _walk(result)
    return result
