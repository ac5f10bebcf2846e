"""Celery tasks: thin, take ids, call one service, safe to run twice (STYLE.md §9).

``portal_task`` sets what keeps work from being lost: ``acks_late`` with
``reject_on_worker_lost`` (the message goes back to the queue if the worker dies; every task
here is idempotent, so a second delivery is harmless), soft/hard time limits, retries with
backoff for database hiccups, results ignored. The job rows' attempt counters cap redelivery.
"""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError

from monitoring.services import buffer, maintenance, references, runs


def portal_task(name: str, *, soft_time_limit: int = 1800, max_retries: int = 3):
    return shared_task(
        name=f"monitoring.{name}",
        base=DjangoTask,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        soft_time_limit=soft_time_limit,
        time_limit=soft_time_limit + 60,
        autoretry_for=(OperationalError, InterfaceError),
        retry_backoff=True,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=max_retries,
    )


@portal_task("reference_profile_build", soft_time_limit=3600)
def reference_profile_build(reference_id: int) -> None:
    references.reference_profile_build(reference_id=reference_id)


@portal_task("drift_run_execute", soft_time_limit=1800)
def drift_run_execute(run_id: int) -> None:
    runs.drift_run_execute(run_id=run_id)


@portal_task("monitor_scheduled_run", soft_time_limit=300)
def monitor_scheduled_run(monitor_id: int) -> None:
    runs.monitor_scheduled_run(monitor_id=monitor_id)


@portal_task("performance_refresh", soft_time_limit=1800)
def performance_refresh(model_version_id: int) -> None:
    runs.performance_refresh(model_version_id=model_version_id)


@portal_task("prediction_buffers_compact", soft_time_limit=600)
def prediction_buffers_compact() -> None:
    buffer.prediction_buffers_compact()


@portal_task("jobs_requeue_stale", soft_time_limit=300)
def jobs_requeue_stale() -> None:
    maintenance.jobs_requeue_stale()


@portal_task("files_sweep", soft_time_limit=600)
def files_sweep() -> None:
    maintenance.orphan_files_sweep()
