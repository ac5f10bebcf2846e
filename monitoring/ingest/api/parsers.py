"""Parsers for the ingestion endpoints: fast JSON for batches, multipart streamed to disk."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, MultiPartParser

from monitoring.ingest.storage import PayloadTooLarge


@dataclass(frozen=True)
class JSONBody:
    """A parsed JSON body and the sha256 of its exact bytes (for idempotency checks)."""

    value: Any
    sha256: str


def json_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"body: the JSON body is larger than the limit of {limit:,} bytes; "
        "send fewer rows per request or upload a Parquet file.",
        field="body",
    )


class OrjsonBodyParser(BaseParser):
    """``application/json`` only, parsed by orjson in one call (no per-row work in Python),
    refused with 413 above ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> JSONBody:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if limit and declared > limit:
            raise json_too_large(limit)
        body = stream.read(limit + 1) if limit else stream.read()
        if limit and len(body) > limit:
            raise json_too_large(limit)
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        return JSONBody(value=value, sha256=hashlib.sha256(body).hexdigest())


class UploadParser(MultiPartParser):
    """multipart/form-data; the view makes the request stream files to the data root."""
