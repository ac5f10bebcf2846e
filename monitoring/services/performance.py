"""Performance of runs already computed, refreshed when ground-truth labels arrive (the task
that label ingest queues by name)."""

from __future__ import annotations

from monitoring.dispatch import TaskName, send_on_commit
from monitoring.ingest.readers import rows_between, version_labels, window_table
from monitoring.ingest.schema.columns import PREDICTION_ID, prediction_column
from monitoring.models import DriftRun, JobStatus
from monitoring.performance import window_performance
from registry.models import ModelVersion

PERFORMANCE_REFRESH_RUNS = 60


def performance_refresh(*, model_version_id: int) -> int:
    """Recompute the performance of the recent runs of the version's monitors.

    Reads the labels once and the runs' windows once. Returns how many runs changed.
    """
    version = ModelVersion.objects.select_related("model").filter(pk=model_version_id).first()
    if version is None:
        return 0
    labels = version_labels(version)
    prediction = prediction_column(version.signature)
    if labels is None or prediction is None:
        return 0
    runs = list(
        DriftRun.objects.filter(
            monitor__model_version=version, status=JobStatus.SUCCEEDED
        ).order_by("-window_end")[:PERFORMANCE_REFRESH_RUNS]
    )
    if not runs:
        return 0
    start = min(run.window_start for run in runs)
    end = max(run.window_end for run in runs)
    table, _ = window_table(version, start, end, [PREDICTION_ID, prediction.name])
    changed = 0
    for run in runs:
        window = rows_between(table, run.window_start, run.window_end)
        performance, labelled = window_performance(version, window, labels)
        if performance != run.performance or labelled != run.labelled_rows:
            DriftRun.objects.filter(pk=run.pk).update(
                performance=performance, labelled_rows=labelled
            )
            changed += 1
    if changed:
        send_on_commit(
            TaskName.ALERTS_EVALUATE_PERFORMANCE,
            version.pk,
            if_lost="performance rules wait for the next run or refresh",
        )
    return changed
