"""Celery tasks: thin, take ids, call one service, safe to run twice.

``portal_task`` sets what keeps work from being lost: ``acks_late`` with
``reject_on_worker_lost`` (the message goes back to the queue if the worker dies; every task
here is idempotent, so a second delivery is harmless), soft/hard time limits, retries with
backoff for database hiccups, results ignored. The job rows' attempt counters cap redelivery.
Each task registers under its ``TaskName``, the name dispatch and the beat entries use.
"""

from __future__ import annotations

from mlops_portal.celery import portal_task
from monitoring.alerts import evaluation as alert_evaluation
from monitoring.dispatch import TaskName
from monitoring.ingest.services import buffer, files
from monitoring.selectors import quality_baseline
from monitoring.services import jobs, performance, references, run_execution, scheduling


@portal_task(TaskName.REFERENCE_PROFILE_BUILD, soft_time_limit=3600)
def reference_profile_build(reference_id: int) -> None:
    references.reference_profile_build(reference_id=reference_id)


@portal_task(TaskName.DRIFT_RUN_EXECUTE, soft_time_limit=1800)
def drift_run_execute(run_id: int) -> None:
    run_execution.drift_run_execute(run_id=run_id)


@portal_task(TaskName.MONITOR_SCHEDULED_RUN, soft_time_limit=300)
def monitor_scheduled_run(monitor_id: int) -> None:
    scheduling.monitor_scheduled_run(monitor_id=monitor_id)


@portal_task(TaskName.PERFORMANCE_REFRESH, soft_time_limit=1800)
def performance_refresh(model_version_id: int) -> None:
    performance.performance_refresh(model_version_id=model_version_id)


@portal_task(TaskName.PREDICTION_BUFFERS_COMPACT, soft_time_limit=600)
def prediction_buffers_compact() -> None:
    buffer.prediction_buffers_compact(baseline_of=quality_baseline)


@portal_task(TaskName.JOBS_REQUEUE_STALE, soft_time_limit=300)
def jobs_requeue_stale() -> None:
    jobs.jobs_requeue_stale()


@portal_task(TaskName.FILES_SWEEP, soft_time_limit=600)
def files_sweep(temporary_only: bool = False) -> None:
    """Hourly: orphan files and temporary files; every 2 minutes (``temporary_only``): the
    temporary files killed processes left, so a killed upload's file does not linger."""
    if temporary_only:
        files.temporary_files_sweep()
    else:
        files.orphan_files_sweep()


@portal_task(TaskName.ALERTS_EVALUATE_RUN, soft_time_limit=300)
def alerts_evaluate_run(run_id: int) -> None:
    alert_evaluation.alerts_evaluate_run(run_id=run_id)


@portal_task(TaskName.ALERTS_EVALUATE_PERFORMANCE, soft_time_limit=300)
def alerts_evaluate_performance(model_version_id: int) -> None:
    alert_evaluation.alerts_evaluate_performance(model_version_id=model_version_id)


@portal_task(TaskName.ALERTS_EVALUATE_BATCH, soft_time_limit=300)
def alerts_evaluate_batch(model_version_id: int) -> None:
    alert_evaluation.alerts_evaluate_batch(model_version_id=model_version_id)


@portal_task(TaskName.ALERTS_SILENT_FEED_CHECK, soft_time_limit=600)
def alerts_silent_feed_check() -> None:
    alert_evaluation.alerts_check_silent_feeds()
