"""Storing one batch, the same way for every kind of batch (production rows, labels).

Order of work for every batch: check the caller and the idempotency key; turn the input into
typed columns (bad rows reject the whole input unless the caller asked to skip them); write the
immutable Parquet file (temporary name, fsync, rename); only then insert the row and its audit
event in one transaction. If the transaction fails the file is removed, so there is never a row
without its file nor a file without its row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from django.db import IntegrityError, transaction

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.models import IngestedBatch
from monitoring.ingest.quality import QualityBaseline
from monitoring.ingest.schema.prepare import PreparedBatch
from monitoring.validation import full_clean
from registry.models import ModelVersion

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True)
class BatchKind:
    """What differs between the kinds of batch: their row, their folder under the data root,
    the JSON body's field that holds their rows, their audit action, and (in a subclass, see
    ``batches``) how rows become the stored table."""

    batch_class: type[IngestedBatch]
    folder: str
    rows_field: str
    audit_action: str

    def prepare_rows(self, rows: list, version: ModelVersion) -> PreparedBatch:
        raise NotImplementedError

    def prepare_file(
        self, path: Path, filename: str, version: ModelVersion
    ) -> tuple[str, PreparedBatch]:
        """The file's format ("csv", "parquet") and its rows."""
        raise NotImplementedError

    def fields(
        self, prepared: PreparedBatch, version: ModelVersion, baseline: QualityBaseline | None
    ) -> dict:
        """The kind's own columns of the batch row."""
        return {}

    def follow_up(self, version: ModelVersion) -> None:
        """What a new batch starts, inside its transaction."""


@dataclass
class IngestResult:
    """What the caller gets back; ``replayed`` when an idempotency key matched a stored batch."""

    batch: IngestedBatch
    replayed: bool = False
    skip_reasons: list = field(default_factory=list)


@dataclass(frozen=True)
class IngestRequest:
    """Who sends data for which version, and what makes a retry safe: the idempotency key and
    the fingerprint of the request it was first used for."""

    actor: object
    model_version: ModelVersion
    skip_bad_rows: bool
    idempotency_key: str
    request_sha256: str


def check_idempotency_key(key: str) -> str:
    key = key or ""
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key: must be 1-200 printable ASCII characters without spaces.",
            field="Idempotency-Key",
        )
    return key


def body_sha256(value) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def json_request(
    kind: BatchKind,
    *,
    actor,
    model_version: ModelVersion,
    rows,
    skip_bad_rows: bool,
    idempotency_key: str,
    request_sha256: str,
) -> IngestRequest:
    """A JSON body's rows: the caller may ingest, the key is well formed, the rows are a list.
    The fingerprint is the exact body's when the parser kept it, else the rows'."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    field = kind.rows_field
    if not isinstance(rows, list):
        raise ValidationFailed(f"{field}: must be a list of objects.", field=field)
    return IngestRequest(
        actor=actor,
        model_version=model_version,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=key,
        request_sha256=request_sha256 or body_sha256({field: rows, "skip": skip_bad_rows}),
    )


def file_request(
    *, actor, model_version: ModelVersion, path: Path, skip_bad_rows: bool, idempotency_key: str
) -> IngestRequest:
    """An uploaded file (already on disk): fingerprinted only when a key asks for it."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    fingerprint = ""
    if key:
        fingerprint = hashlib.sha256(
            f"{storage.file_sha256(path)}:{skip_bad_rows}".encode()
        ).hexdigest()
    return IngestRequest(
        actor=actor,
        model_version=model_version,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=key,
        request_sha256=fingerprint,
    )


def replay(kind: BatchKind, request: IngestRequest) -> IngestResult | None:
    """The batch a retry with the same key stored first; a different request with a used key is
    a conflict."""
    key = request.idempotency_key
    if not key:
        return None
    existing = kind.batch_class.objects.filter(
        model_version=request.model_version, idempotency_key=key
    ).first()
    if existing is None:
        return None
    if existing.request_sha256 != request.request_sha256:
        raise Conflict(
            f"Idempotency-Key: {key!r} was already used for a different request "
            f"(batch {existing.pk}); use a new key for new data.",
            field="Idempotency-Key",
        )
    return IngestResult(batch=existing, replayed=True, skip_reasons=existing.skip_reasons)


def _check_prepared(prepared: PreparedBatch, *, skip_bad_rows: bool, input_field: str) -> None:
    if prepared.skipped_rows and not skip_bad_rows:
        raise prepared.problems.reject()
    if prepared.table.num_rows == 0:
        if prepared.received_rows == 0:
            raise ValidationFailed(f"{input_field}: there are no rows.", field=input_field)
        raise ValidationFailed(
            f"{input_field}: every row is bad ({prepared.problems.first_problem()[0]}); "
            "nothing was stored.",
            field=input_field,
        )


def batch_store(
    kind: BatchKind,
    request: IngestRequest,
    *,
    source: str,
    prepared: PreparedBatch,
    input_field: str,
    baseline: QualityBaseline | None,
) -> IngestResult:
    """Store ``prepared`` as one batch of ``kind`` (or return the batch a concurrent request
    with the same key committed first). ``input_field`` names the input in errors ("records",
    "labels", "file"); ``baseline`` is what the kind's own fields may be measured against."""
    _check_prepared(prepared, skip_bad_rows=request.skip_bad_rows, input_field=input_field)
    actor, version = request.actor, request.model_version
    fields = kind.fields(prepared, version, baseline)
    relative = storage.new_relative_path(kind.folder, version.pk, ".parquet")
    skip_reasons = prepared.problems.summary()
    size, sha256 = storage.write_parquet(prepared.table, relative)
    batch = kind.batch_class(
        model_version=version,
        source=source,
        idempotency_key=request.idempotency_key,
        request_sha256=request.request_sha256,
        data_path=relative,
        size_bytes=size,
        sha256=sha256,
        row_count=prepared.table.num_rows,
        skipped_rows=prepared.skipped_rows,
        skip_reasons=skip_reasons,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    try:
        with transaction.atomic(durable=True):
            full_clean(batch, exclude=["model_version"])
            batch.save()
            audit.record(
                action=kind.audit_action,
                actor=actor,
                target=batch,
                changes=audit.created(
                    {
                        "model_version": str(version),
                        "source": batch.source,
                        "rows": batch.row_count,
                        "skipped_rows": batch.skipped_rows,
                        "idempotency_key": batch.idempotency_key,
                        "sha256": batch.sha256,
                        "data_path": batch.data_path,
                    }
                ),
            )
            kind.follow_up(version)
    except IntegrityError:
        storage.remove(relative)
        replayed = replay(kind, request)  # the same key, committed first by a concurrent request
        if replayed is None:
            raise
        return replayed
    except BaseException:
        storage.remove(relative)
        raise
    return IngestResult(batch=batch, skip_reasons=skip_reasons)
