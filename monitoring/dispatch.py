"""The monitoring tasks by name, and queueing one once the current transaction commits.

``TaskName`` is the one place a task's name is written: the task decorators register under it,
beat entries and dispatch use it. Dispatch looks the task up in the Celery app when it is asked
(``monitoring.apps`` registers the tasks in every process), so a name with no task fails at
once, in the code that asked, not later in a log.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from mlops_portal.celery import app as celery_app

logger = logging.getLogger("monitoring")

BROKER_ERRORS = (BrokerUnavailable, OSError)  # Redis/AMQP unreachable; the filesystem broker


class TaskName(StrEnum):
    REFERENCE_PROFILE_BUILD = "monitoring.reference_profile_build"
    DRIFT_RUN_EXECUTE = "monitoring.drift_run_execute"
    MONITOR_SCHEDULED_RUN = "monitoring.monitor_scheduled_run"
    PERFORMANCE_REFRESH = "monitoring.performance_refresh"
    PREDICTION_BUFFERS_COMPACT = "monitoring.prediction_buffers_compact"
    JOBS_REQUEUE_STALE = "monitoring.jobs_requeue_stale"
    FILES_SWEEP = "monitoring.files_sweep"
    ALERTS_EVALUATE_RUN = "monitoring.alerts_evaluate_run"
    ALERTS_EVALUATE_PERFORMANCE = "monitoring.alerts_evaluate_performance"
    ALERTS_EVALUATE_BATCH = "monitoring.alerts_evaluate_batch"
    ALERTS_SILENT_FEED_CHECK = "monitoring.alerts_silent_feed_check"


def send_on_commit(task: TaskName, *args, if_lost: str) -> None:
    """Queue ``task`` with ``args`` once the current transaction commits (never before).

    A broker that cannot be reached does not undo the committed work: the failure is logged
    with ``if_lost``, which says plainly what becomes of the work then. Any other error is a
    bug and is raised.
    """
    registered = celery_app.tasks[task]

    def send() -> None:
        try:
            registered.delay(*args)
        except BROKER_ERRORS:
            logger.exception("could not queue %s%r: %s", task.value, args, if_lost)

    transaction.on_commit(send)
