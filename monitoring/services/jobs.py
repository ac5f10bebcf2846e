"""Jobs: background work that is a row (a reference profile, a drift run).

Every kind of job is listed once in ``JOB_KINDS`` with the task that does it and how long a
claim holds without being renewed (its *lease*); queueing a job, claiming it and the requeue
sweep all read that list, so every job that is queued is one the sweep can find again. A task
claims its row by a conditional update, so two deliveries of one message never both work on it.

A claim is a lease: ``lease_expires_at`` is set when the job is claimed, and a worker that does
long work renews it (``job_heartbeat``: a thread in the worker process, every quarter of the
lease; also each progress report). A worker killed with ``kill -9`` stops renewing, so its job
is reclaimable as soon as the lease runs out, by a redelivered task or by the requeue sweep
(every minute), instead of after the task's hard time limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.dispatch import TaskName, send_on_commit
from monitoring.models import DriftRun, Job, JobStatus, ReferenceDataset

logger = logging.getLogger("monitoring")

MAX_ATTEMPTS = 3
LOST_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def heartbeat_lease() -> timedelta:
    """How long a renewed claim holds: ``PORTAL_JOB_LEASE_SECONDS`` (60 s by default)."""
    return timedelta(seconds=int(getattr(settings, "PORTAL_JOB_LEASE_SECONDS", 60)))


@dataclass(frozen=True)
class JobKind:
    task: TaskName
    stale_after: timedelta
    """A claim never renewed is abandoned after this (its worker is gone): longer than the
    task's hard time limit. Claims renewed by a heartbeat hold for ``heartbeat_lease()``."""
    heartbeat: bool = False
    """Whether the task renews its claim while it works (then its lease is short)."""

    def lease(self) -> timedelta:
        return heartbeat_lease() if self.heartbeat else self.stale_after


JOB_KINDS: dict[type[Job], JobKind] = {
    ReferenceDataset: JobKind(TaskName.REFERENCE_PROFILE_BUILD, timedelta(hours=2), heartbeat=True),
    DriftRun: JobKind(TaskName.DRIFT_RUN_EXECUTE, timedelta(minutes=40), heartbeat=True),
}


def lease_expired(job_class: type[Job], now) -> Q:
    """Running jobs whose claim is lost: the lease ran out (or, for a claim taken before leases
    existed, it is older than the kind's ``stale_after``)."""
    return Q(status=JobStatus.RUNNING) & (
        Q(lease_expires_at__lt=now)
        | Q(
            lease_expires_at__isnull=True,
            started_at__lt=now - JOB_KINDS[job_class].stale_after,
        )
    )


def job_dispatch(job: Job) -> None:
    """Queue the job's task once the current transaction commits."""
    send_on_commit(
        JOB_KINDS[type(job)].task,
        job.pk,
        if_lost="the job stays pending; jobs_requeue_stale queues it again",
    )


def claim(job_class: type[Job], pk: int):
    """Move a pending (or lost: lease expired) job to running; None if someone else has it.

    After ``MAX_ATTEMPTS`` claims a lost job is failed instead, so a poison job cannot loop
    forever.
    """
    now = timezone.now()
    claimable = Q(status=JobStatus.PENDING) | lease_expired(job_class, now)
    with transaction.atomic(durable=True):
        claimed = job_class.objects.filter(claimable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
            status=JobStatus.RUNNING,
            started_at=now,
            lease_expires_at=now + JOB_KINDS[job_class].lease(),
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
        lease_expires_at=None,
        stage="",
        error=f"Gave up after {MAX_ATTEMPTS} attempts: the worker was lost each time.",
    )
    return None


def _held(job: Job):
    """The job's row, while this claim still holds it."""
    return type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at)


def job_renew(job: Job) -> bool:
    """Extend this claim's lease; False once the claim is lost (another worker took over)."""
    lease = JOB_KINDS[type(job)].lease()
    return bool(_held(job).update(lease_expires_at=timezone.now() + lease))


def _beat(job: Job, stop: threading.Event, every: float) -> None:
    try:
        while not stop.wait(every):
            try:
                if not job_renew(job):
                    return  # the claim was lost: its result will not be saved anyway
            except DatabaseError:
                logger.warning("could not renew the lease of %s %s", type(job).__name__, job.pk)
    finally:
        connections.close_all()  # this thread's own connections


@contextmanager
def job_heartbeat(job: Job) -> Iterator[None]:
    """Renew the job's lease from a thread every quarter of the lease while the body runs."""
    stop = threading.Event()
    every = JOB_KINDS[type(job)].lease().total_seconds() / 4
    beat = threading.Thread(
        target=_beat, args=(job, stop, every), name=f"lease-{job.pk}", daemon=True
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=10)  # never hold the task up on a slow database


def job_progress(job: Job, percent: int, stage: str) -> None:
    """Report progress (and renew the lease), only while this claim still holds the job."""
    _held(job).update(
        progress=max(0, min(100, percent)),
        stage=stage[:200],
        lease_expires_at=timezone.now() + JOB_KINDS[type(job)].lease(),
    )


def job_release(job: Job) -> None:
    """Give a job back (a transient error: the task is retried and claims it again)."""
    _held(job).update(status=JobStatus.PENDING, stage="waiting to retry", lease_expires_at=None)


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
            lease_expires_at=None,
            **results,
        )
    )


def job_fail(job: Job, message: str) -> bool:
    return bool(
        _held(job).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            lease_expires_at=None,
            stage="",
            error=message[:5000],
        )
    )


def job_requeue_if_lost(job: Job) -> bool:
    """Someone asks for a running job again ("Run now"): if its worker is gone (lease expired),
    say so on the row and queue it again at once; True if it was. A live job is left alone:
    its stage and progress say what it is doing."""
    now = timezone.now()
    job_class = type(job)
    expired_at = job.lease_expires_at
    when = f"{expired_at:%H:%M:%S} UTC" if expired_at else "its start"
    requeued = job_class.objects.filter(lease_expired(job_class, now), pk=job.pk).update(
        stage=f"its worker stopped responding (no heartbeat since {when}); queued again",
        queued_at=now,
    )
    if requeued:
        job_dispatch(job)
    return bool(requeued)


def jobs_requeue_stale() -> int:
    """Queue again jobs whose message was lost (pending too long) or whose worker vanished
    (running with an expired lease). The task claims them with the usual conditional
    update, which also fails a job that used up its attempts."""
    now = timezone.now()
    requeued = 0
    for job_class, kind in JOB_KINDS.items():
        lost = job_class.objects.filter(status=JobStatus.PENDING, queued_at__lt=now - LOST_AFTER)
        lost_ids = list(lost.values_list("pk", flat=True)[:SWEEP_BATCH])
        job_class.objects.filter(pk__in=lost_ids).update(queued_at=now)
        abandoned_ids = list(
            job_class.objects.filter(lease_expired(job_class, now)).values_list("pk", flat=True)[
                :SWEEP_BATCH
            ]
        )
        for pk in lost_ids + abandoned_ids:
            send_on_commit(kind.task, pk, if_lost="the next sweep queues it again")
            requeued += 1
    return requeued
