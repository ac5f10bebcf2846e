"""Drift runs: one per (monitor, window), computed once however often the task runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, PermissionDenied, ValidationFailed
from monitoring.models import Backfill, DriftRun, FeatureDrift, JobStatus
from monitoring.services import runs
from monitoring.services._common import MAX_ATTEMPTS
from tests.monitoring.factories import (
    DriftRunFactory,
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    aligned_hour,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(version):
    return MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))


def window_batch(monitor, hours_back=1, **kwargs):
    start = aligned_hour(hours_back)
    kwargs.setdefault("row_count", 400)
    return InferenceBatchFactory(
        model_version=monitor.model_version,
        first_timestamp=start + timedelta(minutes=1),
        last_timestamp=start + timedelta(minutes=59),
        **kwargs,
    )


def pending_run(monitor, hours_back=1):
    start = aligned_hour(hours_back)
    return DriftRunFactory(
        monitor=monitor,
        window_start=start,
        window_end=start + timedelta(hours=1),
        status=JobStatus.PENDING,
        progress=0,
        computed_through=None,
        current_rows=None,
        dataset_drift=None,
        drift_share=None,
    )


def test_a_run_compares_the_window_with_the_reference(monitor):
    window_batch(monitor)
    window_batch(monitor, hours_back=3)  # outside the window: not read
    run = runs.drift_run_execute(run_id=pending_run(monitor).pk)

    assert run.status == JobStatus.SUCCEEDED and run.progress == 100
    assert run.current_rows == 400 and run.batch_count == 1 and run.reference_rows == 1000
    assert run.dataset_drift is False and run.drift_share == 0.0
    assert run.n_features == 3 and run.n_tested == 3 and not run.is_partial
    assert run.duration_seconds is not None
    features = {f.feature: f for f in run.features.all()}
    assert set(features) == {"x", "c", "score"}
    x = features["x"]
    assert x.method == "ks" and x.p_value > 0.05 and not x.drifted and x.status == "ok"
    assert len(x.reference_histogram["counts"]) == len(x.current_histogram["counts"])
    assert sum(x.current_histogram["counts"]) == 400
    assert features["c"].current_histogram["values"] == ["a", "b", "c"]
    assert AuditEvent.objects.filter(
        action="monitoring.drift_run.succeeded", target_id=str(run.pk)
    ).exists()


def test_shifted_data_is_flagged_as_drift(monitor):
    window_batch(monitor, shift=2.0)
    run = runs.drift_run_execute(run_id=pending_run(monitor).pk)
    x = run.features.get(feature="x")
    assert x.drifted and x.severity > 1
    assert run.n_drifted >= 1


def test_running_the_task_twice_computes_once(monitor):
    window_batch(monitor)
    run = pending_run(monitor)
    assert runs.drift_run_execute(run_id=run.pk) is not None
    assert runs.drift_run_execute(run_id=run.pk) is None
    assert DriftRun.objects.count() == 1
    assert FeatureDrift.objects.filter(run=run).count() == 3
    assert AuditEvent.objects.filter(action="monitoring.drift_run.succeeded").count() == 1


def test_the_database_refuses_a_second_run_for_one_window(monitor):
    run = pending_run(monitor)
    with pytest.raises(IntegrityError), transaction.atomic():
        DriftRun.objects.create(
            monitor=monitor, window_start=run.window_start, window_end=run.window_end
        )


def test_a_run_claimed_by_a_live_worker_is_left_alone(monitor):
    run = pending_run(monitor)
    DriftRun.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1
    )
    assert runs.drift_run_execute(run_id=run.pk) is None
    assert DriftRun.objects.get(pk=run.pk).status == JobStatus.RUNNING


def test_a_run_whose_worker_died_is_taken_over_and_capped(monitor):
    window_batch(monitor)
    run = pending_run(monitor)
    long_ago = timezone.now() - runs.RUN_STALE_AFTER - timedelta(minutes=1)
    DriftRun.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=1
    )
    assert runs.drift_run_execute(run_id=run.pk).status == JobStatus.SUCCEEDED

    poison = pending_run(monitor, hours_back=2)
    DriftRun.objects.filter(pk=poison.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=MAX_ATTEMPTS
    )
    assert runs.drift_run_execute(run_id=poison.pk) is None
    poison.refresh_from_db()
    assert poison.status == JobStatus.FAILED and "Gave up after 3 attempts" in poison.error


def test_an_empty_window_succeeds_with_no_rows_and_no_drift(monitor):
    run = runs.drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.status == JobStatus.SUCCEEDED and run.current_rows == 0
    assert run.n_tested == 0 and run.dataset_drift is False
    assert set(run.features.values_list("status", flat=True)) == {"empty_current"}


def test_a_missing_batch_file_fails_the_run_with_the_reason(monitor):
    batch = window_batch(monitor)
    from monitoring import storage

    storage.remove(batch.data_path)
    run = runs.drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.status == JobStatus.FAILED and "no such file" in run.error
    assert not run.features.exists()
    assert AuditEvent.objects.filter(action="monitoring.drift_run.failed").exists()


# --- run now, backfill, schedule -------------------------------------------------------------


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
        run = runs.drift_run_now(actor=owner, monitor=monitor)
    run.refresh_from_db()
    assert run.window_start == start and run.trigger == "manual"
    assert run.status == JobStatus.SUCCEEDED and run.is_partial
    assert run.current_rows == 100 and run.requested_by == owner
    assert AuditEvent.objects.filter(action="monitoring.drift_run.requested").exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = runs.drift_run_now(actor=owner, monitor=monitor)
    assert again.pk == run.pk and DriftRun.objects.count() == 1


def test_run_now_needs_configure_rights(other_scientist, monitor):
    with pytest.raises(PermissionDenied):
        runs.drift_run_now(actor=other_scientist, monitor=monitor)


def test_backfill_computes_the_last_windows_with_progress(
    owner, monitor, django_capture_on_commit_callbacks
):
    for hours_back in (1, 2, 3):
        window_batch(monitor, hours_back=hours_back, seed=hours_back)
    with django_capture_on_commit_callbacks(execute=True):
        backfill = runs.drift_backfill_request(actor=owner, monitor=monitor, windows=4)
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
        second = runs.drift_backfill_request(actor=owner, monitor=monitor, windows=2)
    assert callbacks == []  # both windows are complete already: nothing to compute
    assert second.status == JobStatus.SUCCEEDED and DriftRun.objects.count() == 4


def test_backfill_progress_counts_finished_runs(owner, monitor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        backfill = runs.drift_backfill_request(actor=owner, monitor=monitor, windows=3)
    assert backfill.status == JobStatus.RUNNING and backfill.runs_finished == 0
    first = DriftRun.objects.order_by("window_start").first()
    runs.drift_run_execute(run_id=first.pk)
    backfill.refresh_from_db()
    assert backfill.runs_finished == 1 and backfill.progress == 33
    assert len(callbacks) == 3


@pytest.mark.parametrize("windows", [0, 367, "3", True])
def test_backfill_window_count_is_checked(owner, monitor, windows):
    with pytest.raises(ValidationFailed, match="windows"):
        runs.drift_backfill_request(actor=owner, monitor=monitor, windows=windows)
    assert not Backfill.objects.exists()


def test_scheduled_run_queues_each_complete_window_once(
    monitor, django_capture_on_commit_callbacks
):
    type(monitor).objects.filter(pk=monitor.pk).update(
        created_at=aligned_hour(3) + timedelta(minutes=1)
    )
    window_batch(monitor)
    with django_capture_on_commit_callbacks(execute=True):
        first = runs.monitor_scheduled_run(monitor_id=monitor.pk)
    assert [run.window_start for run in first] == [aligned_hour(h) for h in (3, 2, 1)]
    assert [run.trigger for run in first] == ["schedule"] * 3
    assert DriftRun.objects.filter(status=JobStatus.SUCCEEDED).count() == 3
    assert DriftRun.objects.get(window_start=aligned_hour(1)).current_rows == 400
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        runs.monitor_scheduled_run(monitor_id=monitor.pk)
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
        runs.monitor_scheduled_run(monitor_id=monitor.pk)
    run = DriftRun.objects.get(window_start=start)
    assert run.current_rows == 400 and not run.is_partial


def test_disabled_monitors_do_not_run(monitor):
    type(monitor).objects.filter(pk=monitor.pk).update(enabled=False)
    assert runs.monitor_scheduled_run(monitor_id=monitor.pk) == []
    assert runs.monitor_scheduled_run(monitor_id=999999) == []


def test_severity_puts_every_method_on_one_scale():
    assert runs.severity("ks", 0.2, 0.05, 0.05) == pytest.approx(1.0)
    assert runs.severity("ks", 0.2, 0.0025, 0.05) == pytest.approx(2.0)
    assert runs.severity("ks", 0.01, 1.0, 0.05) == 0.0
    assert runs.severity("wasserstein", 0.3, None, 0.1) == pytest.approx(3.0)
    assert runs.severity("psi", 5.0, None, 0.1) == runs.MAX_SEVERITY
    assert runs.severity(None, None, None, None) is None


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
        runs.monitor_scheduled_run(monitor_id=monitor.pk)
    assert callbacks == [] and DriftRun.objects.get(pk=failed.pk).status == JobStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        runs.drift_backfill_request(actor=owner, monitor=monitor, windows=1)
    assert DriftRun.objects.get(pk=failed.pk).status == JobStatus.SUCCEEDED  # a person retried


def test_runs_wait_for_a_profiled_reference(owner, monitor):
    type(monitor.reference).objects.filter(pk=monitor.reference_id).update(status=JobStatus.RUNNING)
    monitor.refresh_from_db()
    with pytest.raises(Conflict, match="is not profiled yet"):
        runs.drift_run_now(actor=owner, monitor=monitor)
    with pytest.raises(Conflict):
        runs.drift_backfill_request(actor=owner, monitor=monitor, windows=2)
    assert not DriftRun.objects.exists()
