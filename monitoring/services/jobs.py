"""Jobs: background work that is a row (a reference profile, a drift run).

Every kind of job is listed once in ``JOB_KINDS`` with the task that does it and how long a
claim may run; queueing a job, claiming it and the requeue sweep all read that list, so every
job that is queued is one the sweep can find again. A task claims its row by a conditional
update, so two deliveries of one message never both work on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.dispatch import TaskName, send_on_commit
from monitoring.models import DriftRun, Job, JobStatus, ReferenceDataset

MAX_ATTEMPTS = 3
LOST_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class JobKind:
    task: TaskName
    stale_after: timedelta
    """A claim older than this is abandoned (its worker is gone): longer than the task's
    hard time limit."""


JOB_KINDS: dict[type[Job], JobKind] = {
    ReferenceDataset: JobKind(TaskName.REFERENCE_PROFILE_BUILD, timedelta(hours=2)),
    DriftRun: JobKind(TaskName.DRIFT_RUN_EXECUTE, timedelta(minutes=40)),
}


def job_dispatch(job: Job) -> None:
    """Queue the job's task once the current transaction commits."""
    send_on_commit(
        JOB_KINDS[type(job)].task,
        job.pk,
        if_lost="the job stays pending; jobs_requeue_stale queues it again",
    )


def claim(job_class: type[Job], pk: int):
    """Move a pending (or abandoned running) job to running; None if someone else has it.

    A job whose worker vanished (still 'running' past its kind's ``stale_after``) is claimed
    again; after ``MAX_ATTEMPTS`` claims it is failed instead, so a poison job cannot loop
    forever.
    """
    now = timezone.now()
    claimable = Q(status=JobStatus.PENDING) | Q(
        status=JobStatus.RUNNING, started_at__lt=now - JOB_KINDS[job_class].stale_after
    )
    with transaction.atomic(durable=True):
        claimed = job_class.objects.filter(claimable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
            status=JobStatus.RUNNING,
            started_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            progress=0,
            stage="starting",
            error="",
        )
    if claimed:
        return job_class.objects.get(pk=pk)
    job_class.objects.filter(claimable, pk=pk, attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED,
        finished_at=now,
        stage="",
        error=f"Gave up after {MAX_ATTEMPTS} attempts: the worker was lost each time.",
    )
    return None


def _held(job: Job):
    """The job's row, while this claim still holds it."""
    return type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at)


def job_progress(job: Job, percent: int, stage: str) -> None:
    """Report progress, only while this claim still holds the job."""
    _held(job).update(progress=max(0, min(100, percent)), stage=stage[:200])


def job_release(job: Job) -> None:
    """Give a job back (a transient error: the task is retried and claims it again)."""
    _held(job).update(status=JobStatus.PENDING, stage="waiting to retry")


def job_succeed(job: Job, **results) -> bool:
    """Finish a job, saving ``results`` (columns of its row), only while this claim still
    holds it; False when another worker took it over meanwhile."""
    return bool(
        _held(job).update(
            status=JobStatus.SUCCEEDED,
            progress=100,
            stage="",
            error="",
            finished_at=timezone.now(),
            **results,
        )
    )


def job_fail(job: Job, message: str) -> bool:
    return bool(
        _held(job).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), stage="", error=message[:5000]
        )
    )


def jobs_requeue_stale() -> int:
    """Queue again jobs whose message was lost (pending too long) or whose worker vanished
    (running past its kind's ``stale_after``). The task claims them with the usual conditional
    update, which also fails a job that used up its attempts."""
    now = timezone.now()
    requeued = 0
    for job_class, kind in JOB_KINDS.items():
        lost = job_class.objects.filter(status=JobStatus.PENDING, queued_at__lt=now - LOST_AFTER)
        lost_ids = list(lost.values_list("pk", flat=True)[:SWEEP_BATCH])
        job_class.objects.filter(pk__in=lost_ids).update(queued_at=now)
        abandoned_ids = list(
            job_class.objects.filter(
                status=JobStatus.RUNNING, started_at__lt=now - kind.stale_after
            ).values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        for pk in lost_ids + abandoned_ids:
            send_on_commit(kind.task, pk, if_lost="the next sweep queues it again")
            requeued += 1
    return requeued
