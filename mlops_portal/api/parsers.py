"""The API's JSON parser: bounded before it is read, and shallow enough to handle safely."""

from __future__ import annotations

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from mlops_portal.errors import PayloadTooLarge

MAX_NESTING = 32  # objects and arrays inside one another; real API bodies need a handful


def read_bounded(stream, request) -> bytes:
    """The body's bytes, refused with 413 (naming the limit) beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (``PORTAL_MAX_JSON_BYTES``) before more than the limit is read."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    if limit and declared > limit:
        raise json_too_large(limit)
    body = stream.read(limit + 1) if limit else stream.read()
    if limit and len(body) > limit:
        raise json_too_large(limit)
    return body


def json_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"body: the JSON body is larger than the limit of {limit:,} bytes "
        "(PORTAL_MAX_JSON_BYTES); send less per request or upload a Parquet file.",
        field="body",
    )


def _nesting_depth(value) -> int:
    """How deeply objects and arrays nest in ``value``, without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:
                children = item.values() if isinstance(item, dict) else item
                pending.extend((child, depth + 1) for child in children)
    return deepest


def loads(body: bytes):
    """Parsed JSON, or a 400 naming the problem (syntax, or nesting beyond ``MAX_NESTING``)."""
    too_deep = ParseError(f"body: JSON nested more than {MAX_NESTING} levels deep.")
    try:
        value = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise too_deep from exc
        raise ParseError(f"body: JSON parse error - {exc}") from exc
    if _nesting_depth(value) > MAX_NESTING:
        raise too_deep
    return value


class PortalJSONParser(BaseParser):
    """``application/json``, bounded in size and depth, parsed by orjson."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        return loads(read_bounded(stream, request))
