"""Production batches and ground-truth labels in: validate, summarise, store durably, commit.

Order of work for every batch: check the caller and the idempotency key; turn the input into
typed columns (bad rows reject the whole input unless the caller asked to skip them); compute
the data-quality summary; write the immutable Parquet file (temporary name, fsync, rename);
only then insert the row and its audit event in one transaction. If the transaction fails the
file is removed, so there is never a row without its file nor a file without its row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, transaction

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring import storage
from monitoring.models import (
    BatchSource,
    InferenceBatch,
    JobStatus,
    LabelBatch,
    ReferenceDataset,
)
from monitoring.performance import class_text
from monitoring.quality import batch_quality
from monitoring.schema import (
    FILE_PREDICTION_ID,
    PREDICTION_ID,
    TIMESTAMP,
    Column,
    PreparedBatch,
    RowProblems,
    check_file_columns,
    convert_arrow_column,
    csv_line_label,
    file_columns,
    file_row_label,
    prepare_records,
    prepare_table,
    read_file_table,
    sniff_format,
)
from monitoring.services._common import check_idempotency_key, dispatch, full_clean
from monitoring.services.references import input_columns_or_refuse
from registry.models import ModelVersion, TaskType

LABEL = "label"


@dataclass
class IngestResult:
    """What the caller gets back; ``replayed`` when an idempotency key matched a stored batch."""

    batch: InferenceBatch | LabelBatch
    replayed: bool = False
    skip_reasons: list = field(default_factory=list)

    @property
    def created(self) -> bool:
        return not self.replayed


def body_sha256(value) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(model, model_version, key: str, request_sha256: str) -> IngestResult | None:
    if not key:
        return None
    existing = model.objects.filter(model_version=model_version, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_sha256 != request_sha256:
        raise Conflict(
            f"Idempotency-Key: {key!r} was already used for a different request "
            f"(batch {existing.pk}); use a new key for new data.",
            field="Idempotency-Key",
        )
    return IngestResult(batch=existing, replayed=True, skip_reasons=existing.skip_reasons)


def latest_ready_reference(model_version: ModelVersion) -> ReferenceDataset | None:
    return (
        ReferenceDataset.objects.filter(model_version=model_version, status=JobStatus.SUCCEEDED)
        .exclude(profile_path="")
        .order_by("-finished_at", "-pk")
        .first()
    )


def _check_prepared(prepared: PreparedBatch, *, skip_bad_rows: bool, what: str) -> None:
    if prepared.skipped_rows and not skip_bad_rows:
        raise prepared.problems.reject()
    if prepared.table.num_rows == 0:
        if prepared.received_rows == 0:
            raise ValidationFailed(f"{what}: there are no rows.", field=what)
        raise ValidationFailed(
            f"{what}: every row is bad ({prepared.problems.first_problem()[0]}); "
            "nothing was stored.",
            field=what,
        )


def _write_and_commit(*, relative: str, table: pa.Table, build, audit_action, actor):
    """Write the file, then insert the row + audit event; on any failure remove the file."""
    size, sha256 = storage.write_parquet(table, relative)
    try:
        with transaction.atomic():
            row = build(size, sha256)
            full_clean(row, exclude=["model_version"])
            row.save()
            audit.record(
                action=audit_action,
                actor=actor,
                target=row,
                changes=audit.created(
                    {
                        "model_version": str(row.model_version),
                        "source": row.source,
                        "rows": row.row_count,
                        "skipped_rows": row.skipped_rows,
                        "idempotency_key": row.idempotency_key,
                        "sha256": row.sha256,
                        "data_path": row.data_path,
                    }
                ),
            )
    except BaseException:
        storage.remove(relative)
        raise
    return row


def inference_batch_store(
    *,
    actor,
    model_version: ModelVersion,
    columns: list[Column],
    source: str,
    prepared: PreparedBatch,
    skip_bad_rows: bool,
    idempotency_key: str,
    request_sha256: str,
    what: str,
) -> IngestResult:
    _check_prepared(prepared, skip_bad_rows=skip_bad_rows, what=what)
    reference = latest_ready_reference(model_version)
    quality = batch_quality(
        prepared.table,
        columns,
        prepared.problems,
        reference.summary if reference else None,
        reference.pk if reference else None,
    )
    low, high = pc.min_max(prepared.table.column(TIMESTAMP)).values()
    relative = storage.new_relative_path("batches", model_version.pk, ".parquet")
    skip_reasons = prepared.problems.summary()

    def build(size: int, sha256: str) -> InferenceBatch:
        return InferenceBatch(
            model_version=model_version,
            source=source,
            idempotency_key=idempotency_key,
            request_sha256=request_sha256,
            data_path=relative,
            size_bytes=size,
            sha256=sha256,
            row_count=prepared.table.num_rows,
            skipped_rows=prepared.skipped_rows,
            skip_reasons=skip_reasons,
            quality=quality,
            first_timestamp=low.as_py(),
            last_timestamp=high.as_py(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )

    try:
        batch = _write_and_commit(
            relative=relative,
            table=prepared.table,
            build=build,
            audit_action="monitoring.batch.ingested",
            actor=actor,
        )
    except IntegrityError:
        # Another request with the same idempotency key committed first.
        replay = _replay(InferenceBatch, model_version, idempotency_key, request_sha256)
        if replay is None:
            raise
        return replay
    return IngestResult(batch=batch, skip_reasons=skip_reasons)


def inference_batch_ingest_records(
    *,
    actor,
    model_version: ModelVersion,
    records,
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
    request_sha256: str = "",
) -> IngestResult:
    """A batch of JSON records ``{"features", "prediction", "prediction_id"?, "timestamp"?}``."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    if not isinstance(records, list):
        raise ValidationFailed("records: must be a list of record objects.", field="records")
    request_sha256 = request_sha256 or body_sha256({"records": records, "skip": skip_bad_rows})
    replay = _replay(InferenceBatch, model_version, key, request_sha256)
    if replay is not None:
        return replay
    columns = input_columns_or_refuse(model_version)
    prepared = prepare_records(records, columns)
    return inference_batch_store(
        actor=actor,
        model_version=model_version,
        columns=columns,
        source=BatchSource.JSON,
        prepared=prepared,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=key,
        request_sha256=request_sha256,
        what="records",
    )


def _file_sha256(path: Path, skip_bad_rows: bool) -> str:
    return hashlib.sha256(f"{storage.file_sha256(path)}:{skip_bad_rows}".encode()).hexdigest()


def inference_batch_ingest_file(
    *,
    actor,
    model_version: ModelVersion,
    path: Path,
    filename: str = "",
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
) -> IngestResult:
    """A CSV or Parquet file of production rows (the upload is already on disk)."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    request_sha256 = _file_sha256(path, skip_bad_rows) if key else ""
    replay = _replay(InferenceBatch, model_version, key, request_sha256)
    if replay is not None:
        return replay
    columns = input_columns_or_refuse(model_version)
    file_format = sniff_format(path, filename)
    check_file_columns(file_columns(path, file_format), columns)
    table, bad_lines = read_file_table(path, file_format, columns)
    prepared = prepare_table(table, columns, file_format=file_format, bad_lines=bad_lines)
    return inference_batch_store(
        actor=actor,
        model_version=model_version,
        columns=columns,
        source=BatchSource.PARQUET if file_format == "parquet" else BatchSource.CSV,
        prepared=prepared,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=key,
        request_sha256=request_sha256,
        what="file",
    )


# --- labels ----------------------------------------------------------------------------------


def _label_kind(model_version: ModelVersion) -> str:
    return "float" if model_version.model.task_type == TaskType.REGRESSION else "category"


def _label_table(
    ids: pa.Array, labels: list | pa.Array, kind: str, problems: RowProblems
) -> pa.Table:
    """Labels as stored: float64 for regression, text classes ("1", "0", "cat") otherwise."""
    if isinstance(labels, pa.ChunkedArray | pa.Array):
        if kind == "category" and not (
            pa.types.is_string(labels.type) or pa.types.is_large_string(labels.type)
        ):
            labels = labels.to_pylist()
        elif kind == "float":
            column = Column(LABEL, "float", "meta")
            chunked = labels if isinstance(labels, pa.ChunkedArray) else pa.chunked_array([labels])
            labels = convert_arrow_column(chunked, "float", column, problems)
    if isinstance(labels, list):
        if kind == "float":
            bad = [
                i
                for i, v in enumerate(labels)
                if v is not None and (type(v) not in (int, float) or isinstance(v, bool))
            ]
            problems.add(bad, "label: expected a number", values=[labels[bad[0]]] if bad else None)
            skip = set(bad)
            labels = pa.array(
                [None if i in skip else v for i, v in enumerate(labels)], pa.float64()
            )
        else:
            bad = [
                i
                for i, v in enumerate(labels)
                if v is not None and type(v) not in (str, int, bool, float)
            ]
            problems.add(
                bad,
                "label: expected a class (text, integer or boolean)",
                values=[labels[bad[0]]] if bad else None,
            )
            skip = set(bad)
            labels = pa.array(
                class_text([None if i in skip else v for i, v in enumerate(labels)]), pa.string()
            )
    labels = labels.combine_chunks() if isinstance(labels, pa.ChunkedArray) else labels
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    missing_ids = np.flatnonzero(pc.is_null(ids).to_numpy(zero_copy_only=False))
    problems.add(missing_ids, "prediction_id: missing")
    missing_labels = np.flatnonzero(pc.is_null(labels).to_numpy(zero_copy_only=False))
    problems.add(missing_labels, "label: missing")
    table = pa.table({PREDICTION_ID: ids, LABEL: labels})
    if problems.first_reason:
        table = table.filter(pa.array(~problems.bad_mask()))
    return table


def _store_labels(
    *,
    actor,
    model_version,
    source,
    table,
    problems,
    received,
    skip_bad_rows,
    key,
    request_sha256,
    what,
) -> IngestResult:
    prepared = PreparedBatch(table=table, problems=problems, received_rows=received)
    _check_prepared(prepared, skip_bad_rows=skip_bad_rows, what=what)
    relative = storage.new_relative_path("labels", model_version.pk, ".parquet")
    skip_reasons = problems.summary()

    def build(size: int, sha256: str) -> LabelBatch:
        return LabelBatch(
            model_version=model_version,
            source=source,
            idempotency_key=key,
            request_sha256=request_sha256,
            data_path=relative,
            size_bytes=size,
            sha256=sha256,
            row_count=table.num_rows,
            skipped_rows=problems.bad_count,
            skip_reasons=skip_reasons,
            created_by=actor,
        )

    try:
        with transaction.atomic():
            batch = _write_and_commit(
                relative=relative,
                table=table,
                build=build,
                audit_action="monitoring.labels.ingested",
                actor=actor,
            )
            dispatch("performance_refresh", model_version.pk)
    except IntegrityError:
        replay = _replay(LabelBatch, model_version, key, request_sha256)
        if replay is None:
            raise
        return replay
    return IngestResult(batch=batch, skip_reasons=skip_reasons)


def label_batch_ingest_records(
    *,
    actor,
    model_version: ModelVersion,
    labels,
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
    request_sha256: str = "",
) -> IngestResult:
    """Ground truth as JSON ``[{"prediction_id": "...", "label": ...}]``."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    if not isinstance(labels, list):
        raise ValidationFailed("labels: must be a list of objects.", field="labels")
    request_sha256 = request_sha256 or body_sha256({"labels": labels, "skip": skip_bad_rows})
    replay = _replay(LabelBatch, model_version, key, request_sha256)
    if replay is not None:
        return replay
    problems = RowProblems(len(labels), row_label=lambda i: f"labels[{i}]")
    ids, values = [], []
    for index, item in enumerate(labels):
        if type(item) is not dict or not {"prediction_id", "label"} >= item.keys():
            unknown = sorted(set(item) - {"prediction_id", "label"}) if type(item) is dict else []
            reason = f"unknown field {unknown[0]!r}" if unknown else "must be an object"
            problems.add([index], reason)
            ids.append(None)
            values.append(None)
            continue
        ids.append(item.get("prediction_id"))
        values.append(item.get("label"))
    bad_ids = [i for i, v in enumerate(ids) if v is not None and type(v) not in (str, int)]
    problems.add(
        bad_ids,
        "prediction_id: expected a string",
        values=[ids[bad_ids[0]]] if bad_ids else None,
    )
    skip = set(bad_ids)
    id_array = pa.array(
        [None if i in skip or v is None else str(v) for i, v in enumerate(ids)], pa.string()
    )
    table = _label_table(id_array, values, _label_kind(model_version), problems)
    return _store_labels(
        actor=actor,
        model_version=model_version,
        source=BatchSource.JSON,
        table=table,
        problems=problems,
        received=len(labels),
        skip_bad_rows=skip_bad_rows,
        key=key,
        request_sha256=request_sha256,
        what="labels",
    )


def label_batch_ingest_file(
    *,
    actor,
    model_version: ModelVersion,
    path: Path,
    filename: str = "",
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
) -> IngestResult:
    """A CSV or Parquet file with the columns ``prediction_id`` and ``label``."""
    require(actor, Action.DATA_INGEST, model_version)
    key = check_idempotency_key(idempotency_key)
    request_sha256 = _file_sha256(path, skip_bad_rows) if key else ""
    replay = _replay(LabelBatch, model_version, key, request_sha256)
    if replay is not None:
        return replay
    file_format = sniff_format(path, filename)
    names = file_columns(path, file_format)
    expected = [FILE_PREDICTION_ID, LABEL]
    if sorted(names) != sorted(expected):
        missing = [n for n in expected if n not in names]
        unknown = [n for n in names if n not in expected]
        problem = f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}"
        raise ValidationFailed(
            f"file: {problem}; a label file has exactly the columns 'prediction_id' and 'label'.",
            field="file",
        )
    kind = _label_kind(model_version)
    meta = [Column(LABEL, "string" if kind == "category" else "float", "meta")]
    table, bad_lines = read_file_table(path, file_format, meta)
    labeller = csv_line_label if file_format == "csv" else file_row_label
    problems = RowProblems(table.num_rows, row_label=labeller)
    problems.drop([f"line {n}" for n in bad_lines], "the line does not have the header's columns")
    ids = table.column(FILE_PREDICTION_ID)
    if not (
        pa.types.is_string(ids.type)
        or pa.types.is_large_string(ids.type)
        or pa.types.is_integer(ids.type)
    ):
        raise ValidationFailed(
            f"file: column 'prediction_id' must hold text, not {ids.type}.", field="file"
        )
    ids = pc.cast(ids, pa.string())
    labels = table.column(LABEL)
    if pa.types.is_dictionary(labels.type):
        labels = pc.cast(labels, labels.type.value_type)
    label_table = _label_table(ids, labels, kind, problems)
    return _store_labels(
        actor=actor,
        model_version=model_version,
        source=BatchSource.PARQUET if file_format == "parquet" else BatchSource.CSV,
        table=label_table,
        problems=problems,
        received=table.num_rows + len(bad_lines),
        skip_bad_rows=skip_bad_rows,
        key=key,
        request_sha256=request_sha256,
        what="file",
    )
