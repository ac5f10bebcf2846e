"""Helpers shared by the monitoring services: validation, job claiming, dispatch after commit."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from mlops_portal.errors import ValidationFailed, validation_failed_from_django
from monitoring.models import JobStatus

logger = logging.getLogger("monitoring")

MAX_ATTEMPTS = 3
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def full_clean(instance, *, exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise validation_failed_from_django(exc) from exc


def check_idempotency_key(key: str) -> str:
    key = key or ""
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key: must be 1-200 printable ASCII characters without spaces.",
            field="Idempotency-Key",
        )
    return key


def dispatch(task_name: str, *args) -> None:
    """Queue a monitoring task once the current transaction commits (never before).

    A broker that cannot be reached does not undo the committed work: the job row stays
    pending and the ``jobs_requeue_stale`` periodic task queues it again.
    """

    def send() -> None:
        from monitoring import tasks

        try:
            getattr(tasks, task_name).delay(*args)
        except Exception:
            logger.exception("could not queue %s%r; it will be requeued", task_name, args)

    transaction.on_commit(send)


# --- jobs: claimed by a conditional update, so two deliveries never both work on one row ------


def claim(model, pk: int, *, stale_after: timedelta):
    """Move a pending (or abandoned running) job to running; None if someone else has it.

    A job whose worker vanished (still 'running' long after its time limit) is claimed again;
    after ``MAX_ATTEMPTS`` claims it is failed instead, so a poison job cannot loop forever.
    """
    now = timezone.now()
    claimable = Q(status=JobStatus.PENDING) | Q(
        status=JobStatus.RUNNING, started_at__lt=now - stale_after
    )
    with transaction.atomic():
        claimed = model.objects.filter(claimable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
            status=JobStatus.RUNNING,
            started_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            progress=0,
            stage="starting",
            error="",
        )
    if claimed:
        return model.objects.get(pk=pk)
    model.objects.filter(claimable, pk=pk, attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED,
        finished_at=now,
        stage="",
        error=f"Gave up after {MAX_ATTEMPTS} attempts: the worker was lost each time.",
    )
    return None


def job_progress(job, percent: int, stage: str) -> None:
    """Report progress, only while this claim still holds the job."""
    type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at).update(
        progress=max(0, min(100, percent)), stage=stage[:200]
    )


def job_release(job) -> None:
    """Give a job back (a transient error: the task is retried and claims it again)."""
    type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at).update(
        status=JobStatus.PENDING, stage="waiting to retry"
    )


def job_fail(job, message: str) -> bool:
    return bool(
        type(job)
        .objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at)
        .update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            stage="",
            error=message[:5000],
        )
    )
