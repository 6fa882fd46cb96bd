"""The API's JSON parser: DRF's, refusing over-deep bodies before Python's recursive parser sees them.

Its own module because DRF imports parser classes while it is still setting itself up (a parser
living beside the exception handler would import ``rest_framework.views`` too early).
"""

from __future__ import annotations

import io
import re

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def is_nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in a JSON text nest deeper than ``limit`` (brackets in strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # fewer openers than the limit: it cannot nest deeper
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_JSON_DEPTH with a 400 before parsing.

    Python's json module parses recursively: a body of a thousand nested arrays would otherwise
    end in a RecursionError (a 500) instead of a clear refusal.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if is_nested_deeper_than(body, MAX_JSON_DEPTH):
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.")
        return super().parse(io.BytesIO(body), media_type, parser_context)
