"""Batches in: production rows or ground-truth labels, as JSON or as a CSV/Parquet file.

One service per input shape serves both kinds of batch; the kind says what differs
(``PRODUCTION``, ``LABELS``). Production rows are summarised for data quality against the
baseline the caller passes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc

from monitoring.dispatch import TaskName, send_on_commit
from monitoring.ingest.models import BatchSource, InferenceBatch, LabelBatch
from monitoring.ingest.quality import QualityBaseline, batch_quality
from monitoring.ingest.schema.columns import (
    TIMESTAMP,
    input_columns_or_refuse,
    signature_columns,
)
from monitoring.ingest.schema.files import (
    check_file_columns,
    file_columns,
    read_file_table,
    sniff_format,
)
from monitoring.ingest.schema.labels import label_kind, prepare_label_file, prepare_label_records
from monitoring.ingest.schema.prepare import PreparedBatch, prepare_records, prepare_table
from monitoring.ingest.services.batch_store import (
    BatchKind,
    IngestResult,
    batch_store,
    file_request,
    json_request,
    replay,
)
from registry.models import ModelVersion


class ProductionBatches(BatchKind):
    """Production rows: checked against the signature, summarised for data quality."""

    def fields(
        self, prepared: PreparedBatch, version: ModelVersion, baseline: QualityBaseline | None
    ) -> dict:
        """Its data-quality summary against ``baseline``, and its time span."""
        columns = signature_columns(version.signature)
        low, high = pc.min_max(prepared.table.column(TIMESTAMP)).values()
        return {
            "quality": batch_quality(prepared.table, columns, prepared.problems, baseline),
            "first_timestamp": low.as_py(),
            "last_timestamp": high.as_py(),
        }

    def follow_up(self, version: ModelVersion) -> None:
        send_on_commit(
            TaskName.ALERTS_EVALUATE_BATCH,
            version.pk,
            if_lost="data-quality rules wait for the next batch; the silent-feed check goes on",
        )

    def prepare_rows(self, rows: list, version: ModelVersion) -> PreparedBatch:
        return prepare_records(rows, input_columns_or_refuse(version))

    def prepare_file(
        self, path: Path, filename: str, version: ModelVersion
    ) -> tuple[str, PreparedBatch]:
        columns = input_columns_or_refuse(version)
        file_format = sniff_format(path, filename)
        check_file_columns(file_columns(path, file_format), columns)
        table, bad_lines = read_file_table(path, file_format, columns)
        prepared = prepare_table(table, columns, file_format=file_format, bad_lines=bad_lines)
        return file_format, prepared


class LabelBatches(BatchKind):
    """Ground-truth labels by prediction id. They change the performance of runs already
    computed: a new batch queues ``performance_refresh`` by name. That request has no row of its
    own, so if the broker cannot take it the refresh is lost; the next label batch refreshes
    the same runs."""

    def follow_up(self, version: ModelVersion) -> None:
        send_on_commit(
            TaskName.PERFORMANCE_REFRESH,
            version.pk,
            if_lost="not requeued; the runs keep their performance until more labels arrive",
        )

    def prepare_rows(self, rows: list, version: ModelVersion) -> PreparedBatch:
        return prepare_label_records(rows, label_kind(version))

    def prepare_file(
        self, path: Path, filename: str, version: ModelVersion
    ) -> tuple[str, PreparedBatch]:
        file_format = sniff_format(path, filename)
        return file_format, prepare_label_file(path, file_format, label_kind(version))


PRODUCTION = ProductionBatches(InferenceBatch, "batches", "records", "monitoring.batch.ingested")
LABELS = LabelBatches(LabelBatch, "labels", "labels", "monitoring.labels.ingested")


def batch_ingest_records(
    *,
    kind: BatchKind,
    actor,
    model_version: ModelVersion,
    rows,
    baseline: QualityBaseline | None = None,
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
    request_sha256: str = "",
) -> IngestResult:
    """A batch sent as JSON: production records ``{"features", "prediction",
    "prediction_id"?, "timestamp"?}`` or labels ``{"prediction_id", "label"}``. ``baseline``:
    what production rows' quality is measured against (None: no reference to compare with)."""
    request = json_request(
        kind,
        actor=actor,
        model_version=model_version,
        rows=rows,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )
    replayed = replay(kind, request)
    if replayed is not None:
        return replayed
    prepared = kind.prepare_rows(rows, model_version)
    return batch_store(
        kind,
        request,
        source=BatchSource.JSON,
        prepared=prepared,
        input_field=kind.rows_field,
        baseline=baseline,
    )


def batch_ingest_file(
    *,
    kind: BatchKind,
    actor,
    model_version: ModelVersion,
    path: Path,
    filename: str = "",
    baseline: QualityBaseline | None = None,
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
) -> IngestResult:
    """A batch uploaded as a CSV or Parquet file (already on disk): production rows with the
    signature's columns, or labels with exactly ``prediction_id`` and ``label``."""
    request = file_request(
        actor=actor,
        model_version=model_version,
        path=path,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
    )
    replayed = replay(kind, request)
    if replayed is not None:
        return replayed
    file_format, prepared = kind.prepare_file(path, filename, model_version)
    source = BatchSource.PARQUET if file_format == "parquet" else BatchSource.CSV
    return batch_store(
        kind, request, source=source, prepared=prepared, input_field="file", baseline=baseline
    )
