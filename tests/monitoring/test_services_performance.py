"""Labels that arrive after a run refresh its performance (the task label ingest queues)."""

from __future__ import annotations

from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from monitoring.ingest import storage
from monitoring.ingest.services.batches import LABELS, batch_ingest_records
from monitoring.models import DriftRun
from monitoring.services.performance import performance_refresh
from monitoring.services.run_execution import drift_run_execute
from tests.monitoring.factories import (
    InferenceBatchFactory,
    aligned_hour,
    pending_run,
)

pytestmark = pytest.mark.django_db


def test_labels_arriving_later_update_existing_runs(
    owner, monitor, django_capture_on_commit_callbacks
):
    batch = InferenceBatchFactory(
        model_version=monitor.model_version,
        first_timestamp=aligned_hour(1),
        last_timestamp=aligned_hour(1) + timedelta(minutes=30),
        row_count=20,
    )
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.performance == {} and run.labelled_rows == 0
    ids = pq.read_table(storage.resolve(batch.data_path)).column("__prediction_id").to_pylist()

    def label_all(label: int) -> DriftRun:
        with django_capture_on_commit_callbacks(execute=True):
            batch_ingest_records(
                kind=LABELS,
                actor=owner,
                model_version=monitor.model_version,
                rows=[{"prediction_id": pid, "label": label} for pid in ids[:10]],
            )
        return DriftRun.objects.get(pk=run.pk)

    run = label_all(1)
    assert run.labelled_rows == 10 and run.performance["n"] == 10
    run = label_all(0)  # a corrected label for the same prediction replaces the first one
    assert run.labelled_rows == 10 and run.performance["recall"] == 0.0


def test_a_refresh_without_labels_or_runs_changes_nothing(version):
    assert performance_refresh(model_version_id=version.pk) == 0
    assert performance_refresh(model_version_id=version.pk + 1000) == 0
