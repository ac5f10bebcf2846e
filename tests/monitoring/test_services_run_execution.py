"""Computing a drift run: the window against the reference, once however often the task runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.audit import AuditEvent
from monitoring.ingest import storage
from monitoring.models import DriftRun, FeatureDrift, JobStatus
from monitoring.services.jobs import JOB_KINDS, MAX_ATTEMPTS
from monitoring.services.run_execution import MAX_SEVERITY, drift_run_execute, severity
from tests.monitoring.factories import pending_run, window_batch

pytestmark = pytest.mark.django_db


def test_a_run_compares_the_window_with_the_reference(monitor):
    window_batch(monitor)
    window_batch(monitor, hours_back=3)  # outside the window: not read
    run = drift_run_execute(run_id=pending_run(monitor).pk)

    assert run.status == JobStatus.SUCCEEDED and run.progress == 100
    assert run.current_rows == 400 and run.batch_count == 1 and run.reference_rows == 1000
    assert run.dataset_drift is False and run.drift_share == 0.0
    assert run.n_features == 3 and run.n_tested == 3 and not run.is_partial
    assert run.duration_seconds is not None
    features = {f.feature: f for f in run.features.all()}
    assert set(features) == {"x", "c", "score"}
    x = features["x"]
    assert x.preset == "calibrated" and x.method == "anderson_darling"
    assert x.p_value > 0.05 and not x.drifted and x.status == "ok"
    assert x.effect_measure and 0 <= x.effect_size < x.effect_threshold and x.significant is False
    assert len(x.reference_histogram["counts"]) == len(x.current_histogram["counts"])
    assert sum(x.current_histogram["counts"]) == 400
    assert features["c"].current_histogram["values"] == ["a", "b", "c"]
    assert AuditEvent.objects.filter(
        action="monitoring.drift_run.succeeded", target_id=str(run.pk)
    ).exists()


def test_a_monitor_on_the_evidently_preset_runs_evidentlys_methods(monitor):
    monitor.preset = "evidently"
    monitor.save(update_fields=["preset"])
    window_batch(monitor)
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    x = run.features.get(feature="x")
    assert x.preset == "evidently" and x.method == "ks" and x.effect_size is None
    assert run.config["preset"] == "evidently"


def test_shifted_data_is_flagged_as_drift(monitor):
    window_batch(monitor, shift=2.0)
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    x = run.features.get(feature="x")
    assert x.drifted and x.severity > 1
    assert run.n_drifted >= 1


def test_running_the_task_twice_computes_once(monitor):
    window_batch(monitor)
    run = pending_run(monitor)
    assert drift_run_execute(run_id=run.pk) is not None
    assert drift_run_execute(run_id=run.pk) is None
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
    assert drift_run_execute(run_id=run.pk) is None
    assert DriftRun.objects.get(pk=run.pk).status == JobStatus.RUNNING


def test_a_run_whose_worker_died_is_taken_over_and_capped(monitor):
    window_batch(monitor)
    run = pending_run(monitor)
    long_ago = timezone.now() - JOB_KINDS[DriftRun].stale_after - timedelta(minutes=1)
    DriftRun.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=1
    )
    assert drift_run_execute(run_id=run.pk).status == JobStatus.SUCCEEDED

    poison = pending_run(monitor, hours_back=2)
    DriftRun.objects.filter(pk=poison.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=MAX_ATTEMPTS
    )
    assert drift_run_execute(run_id=poison.pk) is None
    poison.refresh_from_db()
    assert poison.status == JobStatus.FAILED and "Gave up after 3 attempts" in poison.error


def test_an_empty_window_succeeds_with_no_rows_and_no_drift(monitor):
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.status == JobStatus.SUCCEEDED and run.current_rows == 0
    assert run.n_tested == 0 and run.dataset_drift is False
    assert set(run.features.values_list("status", flat=True)) == {"empty_current"}


def test_a_missing_batch_file_fails_the_run_with_the_reason(monitor):
    batch = window_batch(monitor)
    storage.remove(batch.data_path)
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.status == JobStatus.FAILED and "no such file" in run.error
    assert not run.features.exists()
    assert AuditEvent.objects.filter(action="monitoring.drift_run.failed").exists()


def _feature(method, statistic, threshold, effect_size=None, effect_threshold=None, sig=None):
    from types import SimpleNamespace

    return SimpleNamespace(
        method=method,
        statistic=statistic,
        threshold=threshold,
        effect_size=effect_size,
        effect_threshold=effect_threshold,
        significant=sig,
    )


def test_severity_puts_every_method_on_one_scale():
    assert severity(_feature("ks", 0.2, 0.05), 0.05) == pytest.approx(1.0)
    assert severity(_feature("ks", 0.2, 0.05), 0.0025) == pytest.approx(2.0)
    assert severity(_feature("ks", 0.01, 0.05), 1.0) == 0.0
    assert severity(_feature("wasserstein", 0.3, 0.1), None) == pytest.approx(3.0)
    assert severity(_feature("psi", 5.0, 0.1), None) == MAX_SEVERITY
    assert severity(_feature(None, None, None), None) is None


def test_calibrated_severity_reaches_one_only_when_drifted():
    drifted = _feature("anderson", 9.0, 0.05, effect_size=0.3, effect_threshold=0.1, sig=True)
    assert severity(drifted, 1e-6) == pytest.approx(3.0)
    large_but_noise = _feature("anderson", 0.1, 0.05, effect_size=0.3, effect_threshold=0.1)
    assert severity(large_but_noise, 0.4) < 1
    small = _feature("anderson", 9.0, 0.05, effect_size=0.02, effect_threshold=0.1, sig=True)
    assert severity(small, 1e-6) == pytest.approx(0.2)
