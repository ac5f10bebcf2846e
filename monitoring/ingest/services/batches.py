"""Production rows in: JSON records or a CSV/Parquet file, checked against the signature,
summarised for data quality against the baseline the caller passes, and stored as a batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc

from monitoring.ingest.models import BatchSource
from monitoring.ingest.quality import QualityBaseline, batch_quality
from monitoring.ingest.schema.columns import (
    TIMESTAMP,
    Column,
    input_columns_or_refuse,
    signature_columns,
)
from monitoring.ingest.schema.files import (
    check_file_columns,
    file_columns,
    read_file_table,
    sniff_format,
)
from monitoring.ingest.schema.prepare import PreparedBatch, prepare_records, prepare_table
from monitoring.ingest.services.batch_store import (
    PRODUCTION,
    IngestRequest,
    IngestResult,
    batch_ingest,
    file_request,
    file_source,
    json_request,
)
from registry.models import ModelVersion


def production_fields(
    prepared: PreparedBatch, columns: list[Column], baseline: QualityBaseline | None
) -> dict:
    """An inference batch's own columns: its data-quality summary and its time span."""
    low, high = pc.min_max(prepared.table.column(TIMESTAMP)).values()
    return {
        "quality": batch_quality(prepared.table, columns, prepared.problems, baseline),
        "first_timestamp": low.as_py(),
        "last_timestamp": high.as_py(),
    }


def _ingest(
    request: IngestRequest,
    *,
    input_field: str,
    baseline: QualityBaseline | None,
    prepare: Callable[[list[Column]], tuple[str, PreparedBatch]],
) -> IngestResult:
    version = request.model_version
    return batch_ingest(
        PRODUCTION,
        request,
        input_field=input_field,
        prepare=lambda: prepare(input_columns_or_refuse(version)),
        fields=lambda prepared: production_fields(
            prepared, signature_columns(version.signature), baseline
        ),
    )


def inference_batch_ingest_records(
    *,
    actor,
    model_version: ModelVersion,
    records,
    baseline: QualityBaseline | None,
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
    request_sha256: str = "",
) -> IngestResult:
    """A batch of JSON records ``{"features", "prediction", "prediction_id"?, "timestamp"?}``."""
    request = json_request(
        actor=actor,
        model_version=model_version,
        rows=records,
        rows_field="records",
        row_noun="record objects",
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )
    return _ingest(
        request,
        input_field="records",
        baseline=baseline,
        prepare=lambda columns: (BatchSource.JSON, prepare_records(records, columns)),
    )


def inference_batch_ingest_file(
    *,
    actor,
    model_version: ModelVersion,
    path: Path,
    baseline: QualityBaseline | None,
    filename: str = "",
    skip_bad_rows: bool = False,
    idempotency_key: str = "",
) -> IngestResult:
    """A CSV or Parquet file of production rows (the upload is already on disk)."""
    request = file_request(
        actor=actor,
        model_version=model_version,
        path=path,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
    )

    def prepare(columns: list[Column]) -> tuple[str, PreparedBatch]:
        file_format = sniff_format(path, filename)
        check_file_columns(file_columns(path, file_format), columns)
        table, bad_lines = read_file_table(path, file_format, columns)
        prepared = prepare_table(table, columns, file_format=file_format, bad_lines=bad_lines)
        return file_source(file_format), prepared

    return _ingest(request, input_field="file", baseline=baseline, prepare=prepare)
