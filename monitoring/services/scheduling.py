"""Which drift runs exist and when they are queued: one per (monitor, window), requested by the
schedule, "run now" or a backfill.

Windows are aligned to the window length counted from the Unix epoch (UTC): 24-hour windows
are UTC days, 1-hour windows clock hours. A run row is created first (unique per monitor and
window) and its task queued; ``run_execution`` computes it. A run of a window that has not
ended yet ("run now") is *partial*; the schedule recomputes it once the window is over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring.models import FINISHED, Backfill, DriftRun, JobStatus, Monitor, RunTrigger
from monitoring.services.jobs import job_dispatch, job_requeue_if_lost

MAX_BACKFILL_WINDOWS = 366
MAX_CATCH_UP_WINDOWS = 24


def window_containing(monitor: Monitor, moment: datetime) -> tuple[datetime, datetime]:
    size = monitor.window_seconds
    seconds = int(moment.timestamp())
    start = seconds - seconds % size
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + size, UTC)


def _request_run(
    monitor: Monitor,
    start: datetime,
    end: datetime,
    *,
    trigger: str,
    actor=None,
    retry_failed: bool = True,
) -> DriftRun:
    """The run of one window, queued unless it is running or already complete.

    A failed run is queued again only when asked (run now, backfill), not by the schedule:
    a window whose data cannot be read would otherwise fail again on every tick.
    """
    now = timezone.now()
    requester = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            run, created = DriftRun.objects.get_or_create(
                monitor=monitor,
                window_start=start,
                window_end=end,
                defaults={"trigger": trigger, "requested_by": requester, "queued_at": now},
            )
    except IntegrityError:
        run, created = (
            DriftRun.objects.get(monitor=monitor, window_start=start, window_end=end),
            False,
        )
    if created:
        job_dispatch(run)
        return run
    stale = (run.status == JobStatus.SUCCEEDED and run.is_partial) or (
        run.status == JobStatus.FAILED and retry_failed
    )
    if stale:
        requeued = DriftRun.objects.filter(pk=run.pk, status=run.status).update(
            status=JobStatus.PENDING,
            attempts=0,
            progress=0,
            stage="",
            error="",
            trigger=trigger,
            requested_by=requester,
            queued_at=now,
        )
        if requeued:
            job_dispatch(run)
    elif run.status == JobStatus.PENDING and actor is not None:
        job_dispatch(run)  # a person asked again: harmless if already queued
    elif run.status == JobStatus.RUNNING and actor is not None:
        job_requeue_if_lost(run)  # its worker died: say so on the run and queue it again now
    run.refresh_from_db()
    return run


def _require_ready(monitor: Monitor) -> None:
    if not monitor.reference.is_ready:  # a state to wait for, not bad input: 409
        raise Conflict(
            f"reference: {monitor.reference.name!r} is not profiled yet.", field="reference"
        )


def drift_run_now(*, actor, monitor: Monitor) -> DriftRun:
    """Compute the current (still open) window now; it is recomputed when the window ends."""
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    _require_ready(monitor)
    start, end = window_containing(monitor, timezone.now())
    with transaction.atomic(durable=True):
        run = _request_run(monitor, start, end, trigger=RunTrigger.MANUAL, actor=actor)
        audit.record(
            action="monitoring.drift_run.requested",
            actor=actor,
            target=run,
            changes={"window_start": start, "window_end": end, "trigger": RunTrigger.MANUAL},
        )
    return run


def drift_backfill_request(*, actor, monitor: Monitor, windows: int) -> Backfill:
    """Compute the last ``windows`` complete windows (skipping those already complete)."""
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    if isinstance(windows, bool) or not isinstance(windows, int):
        raise ValidationFailed("windows: must be a whole number.", field="windows")
    if not 1 <= windows <= MAX_BACKFILL_WINDOWS:
        raise ValidationFailed(
            f"windows: must be between 1 and {MAX_BACKFILL_WINDOWS}.", field="windows"
        )
    _require_ready(monitor)
    size = timedelta(seconds=monitor.window_seconds)
    current_start, _ = window_containing(monitor, timezone.now())
    starts = [current_start - size * back for back in range(windows, 0, -1)]
    with transaction.atomic(durable=True):
        backfill = Backfill.objects.create(
            monitor=monitor,
            windows=windows,
            window_seconds=monitor.window_seconds,
            first_window_start=starts[0],
            last_window_end=current_start,
            status=JobStatus.RUNNING,
            requested_by=actor,
        )
        for start in starts:
            _request_run(monitor, start, start + size, trigger=RunTrigger.BACKFILL, actor=actor)
        audit.record(
            action="monitoring.backfill.requested",
            actor=actor,
            target=backfill,
            changes={"windows": windows, "from": starts[0], "to": current_start},
        )
        backfill_refresh(backfill_id=backfill.pk)
    backfill.refresh_from_db()
    return backfill


def backfill_refresh(*, backfill_id: int) -> None:
    """Recount a backfill's finished runs (they may serve several overlapping backfills)."""
    backfill = Backfill.objects.filter(pk=backfill_id).first()
    if backfill is None:
        return
    counts = DriftRun.objects.filter(
        monitor_id=backfill.monitor_id,
        window_start__gte=backfill.first_window_start,
        window_end__lte=backfill.last_window_end,
        window_end=F("window_start") + timedelta(seconds=backfill.window_seconds),
    ).aggregate(
        finished=Count("pk", filter=Q(status__in=FINISHED)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
    )
    finished = min(counts["finished"], backfill.windows)
    done = finished >= backfill.windows
    status = JobStatus.RUNNING
    if done:
        status = JobStatus.FAILED if counts["failed"] else JobStatus.SUCCEEDED
    Backfill.objects.filter(pk=backfill.pk, runs_finished__lte=finished).exclude(
        status__in=FINISHED
    ).update(
        runs_finished=finished,
        runs_failed=counts["failed"],
        status=status,
        finished_at=timezone.now() if done else None,
    )


def backfills_refresh_for(run: DriftRun) -> None:
    """Recount the open backfills whose range holds ``run``."""
    open_backfills = Backfill.objects.filter(
        monitor_id=run.monitor_id,
        first_window_start__lte=run.window_start,
        last_window_end__gte=run.window_end,
    ).exclude(status__in=FINISHED)
    for backfill_id in open_backfills.values_list("pk", flat=True):
        backfill_refresh(backfill_id=backfill_id)


def monitor_scheduled_run(*, monitor_id: int) -> list[DriftRun]:
    """The beat entry's body: queue every complete window not yet (fully) computed.

    Starts at the window the monitor was created in (older ones are for backfills) and catches
    up at most ``MAX_CATCH_UP_WINDOWS`` windows, so a scheduler that was down does not leave
    holes while a monitor with a schedule shorter than its window computes each window once.
    """
    monitor = Monitor.objects.select_related("reference").filter(pk=monitor_id).first()
    if monitor is None or not monitor.enabled or not monitor.reference.is_ready:
        return []
    size = timedelta(seconds=monitor.window_seconds)
    current_start, _ = window_containing(monitor, timezone.now())
    created_start, _ = window_containing(monitor, monitor.created_at)
    newest = (
        monitor.runs.filter(window_end__lte=current_start, status__in=FINISHED)
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )
    begin = max(newest or created_start, created_start, current_start - size * MAX_CATCH_UP_WINDOWS)
    starts = []
    start = begin
    while start + size <= current_start:
        starts.append(start)
        start += size
    latest_complete = current_start - size
    if latest_complete >= created_start and latest_complete not in starts:
        starts.append(latest_complete)  # recompute it if "run now" left it partial
    return [
        _request_run(monitor, start, start + size, trigger=RunTrigger.SCHEDULE, retry_failed=False)
        for start in starts
    ]
