"""Ground-truth labels in, by prediction id: JSON or a CSV/Parquet file, stored as a batch.

New labels change the performance of runs already computed. Ingest does not compute it: the
commit queues the ``performance_refresh`` task by name. That request has no row of its own, so
if the broker cannot take it the refresh is lost; the next label batch refreshes the same runs.
"""

from __future__ import annotations

from pathlib import Path

from monitoring.dispatch import TaskName, send_on_commit
from monitoring.ingest.models import BatchSource
from monitoring.ingest.schema.files import sniff_format
from monitoring.ingest.schema.labels import label_kind, prepare_label_file, prepare_label_records
from monitoring.ingest.services.batch_store import (
    LABELS,
    IngestRequest,
    IngestResult,
    batch_ingest,
    file_request,
    file_source,
    json_request,
)
from registry.models import ModelVersion


def _refresh_performance(version: ModelVersion) -> None:
    send_on_commit(
        TaskName.PERFORMANCE_REFRESH,
        version.pk,
        if_lost="not requeued; the runs keep their performance until more labels arrive",
    )


def _ingest(request: IngestRequest, *, input_field: str, prepare) -> IngestResult:
    return batch_ingest(
        LABELS,
        request,
        input_field=input_field,
        prepare=prepare,
        follow_up=lambda: _refresh_performance(request.model_version),
    )


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
    request = json_request(
        actor=actor,
        model_version=model_version,
        rows=labels,
        rows_field="labels",
        row_noun="objects",
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )
    kind = label_kind(model_version)
    return _ingest(
        request,
        input_field="labels",
        prepare=lambda: (BatchSource.JSON, prepare_label_records(labels, kind)),
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
    request = file_request(
        actor=actor,
        model_version=model_version,
        path=path,
        skip_bad_rows=skip_bad_rows,
        idempotency_key=idempotency_key,
    )

    def prepare():
        file_format = sniff_format(path, filename)
        prepared = prepare_label_file(path, file_format, label_kind(model_version))
        return file_source(file_format), prepared

    return _ingest(request, input_field="file", prepare=prepare)
