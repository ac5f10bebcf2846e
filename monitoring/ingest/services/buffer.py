"""Single predictions: buffered in append-only spool files, compacted into Parquet batches.

A serving app sends one record per request. Each accepted record is validated, then appended as
one JSON line to ``DATA_ROOT/spool/v<version>/open.jsonl`` (``O_APPEND``, fsync, under a shared
``flock``) — never a database row per prediction.

Compaction (a periodic task) first *seals* the open file by renaming it to
``sealed-<time>-<random>.jsonl``; new records start a fresh open file. It then takes an exclusive
lock on the sealed file (waiting for writers that opened it before the rename), turns its lines
into one batch through the normal batch path, with the idempotency key ``buffer:<sealed name>``,
and deletes the sealed file only after the batch committed. A worker that dies anywhere in
between leaves the sealed file in place; the next compaction picks it up, and the idempotency
key makes sure a batch that did commit is not stored twice. Nothing is lost and nothing doubles.

A writer that opened ``open.jsonl`` just before the rename checks, once it holds its lock, that
the path still names the file it opened; if not, it reopens. So no line lands in a sealed file
after compaction read it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import uuid
from pathlib import Path

import orjson
from django.utils import timezone

from governance.roles import Action, require
from mlops_portal.errors import ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.models import BatchSource, InferenceBatch
from monitoring.ingest.quality import BaselineLookup
from monitoring.ingest.schema.columns import TIMESTAMP, input_columns_or_refuse
from monitoring.ingest.schema.prepare import prepare_records
from monitoring.ingest.services.batch_store import (
    IngestRequest,
    IngestResult,
    batch_store,
    body_sha256,
)
from monitoring.ingest.services.batches import PRODUCTION
from registry.models import ModelVersion

logger = logging.getLogger("monitoring")

SPOOL = "spool"
OPEN_FILE = "open.jsonl"
SEALED_PREFIX = "sealed-"
LOCK_FILE = ".compact.lock"
KEY_PREFIX = "buffer:"


def spool_dir(version_id: int) -> Path:
    path = storage.data_root() / SPOOL / f"v{int(version_id)}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _append_line(directory: Path, line: bytes) -> None:
    path = directory / OPEN_FILE
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue  # sealed between open and lock: open the new file
            opened = os.fstat(fd)
            if (opened.st_ino, opened.st_dev) != (current.st_ino, current.st_dev):
                continue  # the path now names a newer file: write there instead
            os.write(fd, line)
            os.fsync(fd)
            return
        finally:
            os.close(fd)  # also releases the lock


def prediction_buffer_append(*, actor, model_version: ModelVersion, record) -> dict:
    """Accept one prediction for later compaction (validated now, stored within a minute)."""
    require(actor, Action.DATA_INGEST, model_version)
    columns = input_columns_or_refuse(model_version)
    now = timezone.now()
    prepared = prepare_records([record], columns, now=now)
    if prepared.skipped_rows:
        message, _ = prepared.problems.first_problem()
        raise ValidationFailed(message.removeprefix("records[0]: "), field="record")
    kept = {
        key: record[key] for key in ("features", "prediction", "prediction_id") if key in record
    }
    stamp = prepared.table.column(TIMESTAMP)[0].as_py()
    kept["timestamp"] = stamp.isoformat()
    _append_line(spool_dir(model_version.pk), orjson.dumps(kept) + b"\n")
    return {"accepted": 1, "timestamp": stamp}


def _seal(directory: Path) -> None:
    path = directory / OPEN_FILE
    try:
        if path.stat().st_size == 0:
            return
    except FileNotFoundError:
        return
    sealed = directory / f"{SEALED_PREFIX}{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.jsonl"
    os.rename(path, sealed)
    storage.fsync_dir(directory)


def _read_sealed(path: Path) -> tuple[bytes, list]:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # writers that opened it before sealing are done
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    records = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            # Only a line torn by a writer killed mid-write (never acknowledged) can be bad.
            logger.warning("%s line %s is not JSON; left out of the batch", path.name, number)
    return data, records


def prediction_buffer_compact(
    *, model_version_id: int, baseline_of: BaselineLookup
) -> list[IngestResult]:
    """Seal and compact one version's buffer (safe to run twice, or after a crash); each batch's
    quality is measured against ``baseline_of(version)``."""
    version = ModelVersion.objects.select_related("model").filter(pk=model_version_id).first()
    if version is None:
        return []
    directory = spool_dir(model_version_id)
    lock_fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # another compaction of this version is running
        _seal(directory)
        results = []
        for sealed in sorted(directory.glob(f"{SEALED_PREFIX}*.jsonl")):
            result = _compact_file(version, sealed, baseline_of)
            if result is not None:
                results.append(result)
            sealed.unlink(missing_ok=True)
            storage.fsync_dir(directory)
        return results
    finally:
        os.close(lock_fd)


def _compact_file(
    version: ModelVersion, sealed: Path, baseline_of: BaselineLookup
) -> IngestResult | None:
    key = f"{KEY_PREFIX}{sealed.name}"[:200]
    if InferenceBatch.objects.filter(model_version=version, idempotency_key=key).exists():
        return None  # committed before a crash: only the file was left to delete
    data, records = _read_sealed(sealed)
    if not records:
        return None
    columns = input_columns_or_refuse(version)
    prepared = prepare_records(records, columns)
    if prepared.table.num_rows == 0:
        logger.warning("%s: no valid rows (%s)", sealed, prepared.problems.summary())
        return None
    request = IngestRequest(
        actor=None,
        model_version=version,
        skip_bad_rows=True,
        idempotency_key=key,
        request_sha256=body_sha256({"buffer": data.decode("utf-8", "replace")}),
    )
    return batch_store(
        PRODUCTION,
        request,
        source=BatchSource.BUFFER,
        prepared=prepared,
        input_field="records",
        baseline=baseline_of(version),
    )


def buffered_version_ids() -> list[int]:
    root = storage.data_root() / SPOOL
    if not root.exists():
        return []
    ids = []
    for directory in root.iterdir():
        if not directory.name.startswith("v") or not directory.name[1:].isdigit():
            continue
        has_data = any(directory.glob(f"{SEALED_PREFIX}*.jsonl"))
        with contextlib.suppress(FileNotFoundError):
            has_data = has_data or (directory / OPEN_FILE).stat().st_size > 0
        if has_data:
            ids.append(int(directory.name[1:]))
    return sorted(ids)


def prediction_buffers_compact(*, baseline_of: BaselineLookup) -> int:
    """Compact every version's buffer (the periodic task). Returns the batches stored."""
    stored = 0
    for version_id in buffered_version_ids():
        results = prediction_buffer_compact(model_version_id=version_id, baseline_of=baseline_of)
        stored += len(results)
    return stored


def buffered_bytes() -> int:
    root = storage.data_root() / SPOOL
    if not root.exists():
        return 0
    total = 0
    for path in root.glob("v*/*.jsonl"):
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size
    return total
