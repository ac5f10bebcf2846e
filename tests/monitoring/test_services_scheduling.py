"""Requesting drift runs: one per (monitor, window), by "run now", a backfill or the schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, PermissionDenied, ValidationFailed
from monitoring.models import Backfill, DriftRun, JobStatus
from monitoring.services import scheduling
from monitoring.services.run_execution import drift_run_execute
from tests.monitoring.factories import (
    DriftRunFactory,
    InferenceBatchFactory,
    aligned_hour,
    window_batch,
)

pytestmark = pytest.mark.django_db


def test_run_now_computes_the_open_window_as_partial(
    owner, monitor, django_capture_on_commit_callbacks
):
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    InferenceBatchFactory(
        model_version=monitor.model_version,
        first_timestamp=start,
        last_timestamp=max(start, now - timedelta(seconds=1)),
        row_count=100,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling.drift_run_now(actor=owner, monitor=monitor)
    run.refresh_from_db()
    assert run.window_start == start and run.trigger == "manual"
    assert run.status == JobStatus.SUCCEEDED and run.is_partial
    assert run.current_rows == 100 and run.requested_by == owner
    assert AuditEvent.objects.filter(action="monitoring.drift_run.requested").exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = scheduling.drift_run_now(actor=owner, monitor=monitor)
    assert again.pk == run.pk and DriftRun.objects.count() == 1


def test_run_now_needs_configure_rights(other_scientist, monitor):
    with pytest.raises(PermissionDenied):
        scheduling.drift_run_now(actor=other_scientist, monitor=monitor)


def test_backfill_computes_the_last_windows_with_progress(
    owner, monitor, django_capture_on_commit_callbacks
):
    for hours_back in (1, 2, 3):
        window_batch(monitor, hours_back=hours_back, seed=hours_back)
    with django_capture_on_commit_callbacks(execute=True):
        backfill = scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=4)
    backfill.refresh_from_db()
    assert backfill.status == JobStatus.SUCCEEDED
    assert backfill.runs_finished == 4 and backfill.progress == 100
    windows = list(DriftRun.objects.order_by("window_start").values_list("window_start", flat=True))
    assert windows == [aligned_hour(h) for h in (4, 3, 2, 1)]
    assert list(
        DriftRun.objects.order_by("window_start").values_list("current_rows", flat=True)
    ) == [
        0,
        400,
        400,
        400,
    ]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=2)
    assert callbacks == []  # both windows are complete already: nothing to compute
    assert second.status == JobStatus.SUCCEEDED and DriftRun.objects.count() == 4


def test_backfill_progress_counts_finished_runs(owner, monitor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        backfill = scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=3)
    assert backfill.status == JobStatus.RUNNING and backfill.runs_finished == 0
    first = DriftRun.objects.order_by("window_start").first()
    drift_run_execute(run_id=first.pk)
    backfill.refresh_from_db()
    assert backfill.runs_finished == 1 and backfill.progress == 33
    assert len(callbacks) == 3


@pytest.mark.parametrize("windows", [0, 367, "3", True])
def test_backfill_window_count_is_checked(owner, monitor, windows):
    with pytest.raises(ValidationFailed, match="windows"):
        scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=windows)
    assert not Backfill.objects.exists()


def test_scheduled_run_queues_each_complete_window_once(
    monitor, django_capture_on_commit_callbacks
):
    type(monitor).objects.filter(pk=monitor.pk).update(
        created_at=aligned_hour(3) + timedelta(minutes=1)
    )
    window_batch(monitor)
    with django_capture_on_commit_callbacks(execute=True):
        first = scheduling.monitor_scheduled_run(monitor_id=monitor.pk)
    assert [run.window_start for run in first] == [aligned_hour(h) for h in (3, 2, 1)]
    assert [run.trigger for run in first] == ["schedule"] * 3
    assert DriftRun.objects.filter(status=JobStatus.SUCCEEDED).count() == 3
    assert DriftRun.objects.get(window_start=aligned_hour(1)).current_rows == 400
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scheduling.monitor_scheduled_run(monitor_id=monitor.pk)
    assert callbacks == [] and DriftRun.objects.count() == 3


def test_scheduled_run_recomputes_a_partial_run_once_its_window_is_over(
    monitor, django_capture_on_commit_callbacks
):
    window_batch(monitor)
    start = aligned_hour(1)
    DriftRunFactory(
        monitor=monitor,
        window_start=start,
        window_end=start + timedelta(hours=1),
        computed_through=start + timedelta(minutes=10),
        current_rows=7,
    )
    type(monitor).objects.filter(pk=monitor.pk).update(created_at=start)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.monitor_scheduled_run(monitor_id=monitor.pk)
    run = DriftRun.objects.get(window_start=start)
    assert run.current_rows == 400 and not run.is_partial


def test_disabled_monitors_do_not_run(monitor):
    type(monitor).objects.filter(pk=monitor.pk).update(enabled=False)
    assert scheduling.monitor_scheduled_run(monitor_id=monitor.pk) == []
    assert scheduling.monitor_scheduled_run(monitor_id=999999) == []


def test_the_schedule_leaves_a_failed_window_to_people(
    owner, monitor, django_capture_on_commit_callbacks
):
    start = aligned_hour(1)
    type(monitor).objects.filter(pk=monitor.pk).update(created_at=start)
    failed = DriftRunFactory(
        monitor=monitor,
        window_start=start,
        window_end=start + timedelta(hours=1),
        status=JobStatus.FAILED,
        error="cannot read the window's data",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scheduling.monitor_scheduled_run(monitor_id=monitor.pk)
    assert callbacks == [] and DriftRun.objects.get(pk=failed.pk).status == JobStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=1)
    assert DriftRun.objects.get(pk=failed.pk).status == JobStatus.SUCCEEDED  # a person retried


def test_runs_wait_for_a_profiled_reference(owner, monitor):
    type(monitor.reference).objects.filter(pk=monitor.reference_id).update(status=JobStatus.RUNNING)
    monitor.refresh_from_db()
    with pytest.raises(Conflict, match="is not profiled yet"):
        scheduling.drift_run_now(actor=owner, monitor=monitor)
    with pytest.raises(Conflict):
        scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=2)
    assert not DriftRun.objects.exists()
