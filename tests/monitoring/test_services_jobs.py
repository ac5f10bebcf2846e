"""Jobs: every kind queued is one the requeue sweep knows, and the sweep finds lost ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import tasks
from monitoring.models import DriftRun, JobStatus, ReferenceDataset
from monitoring.services import jobs
from tests.monitoring.factories import ReferenceDatasetFactory, pending_run

pytestmark = pytest.mark.django_db


def test_a_claim_is_stale_only_after_its_task_could_have_run():
    for kind in jobs.JOB_KINDS.values():
        task = next(t for t in vars(tasks).values() if getattr(t, "name", None) == kind.task)
        assert kind.stale_after.total_seconds() > task.time_limit


def test_only_a_kind_of_job_the_sweep_knows_can_be_queued(monitor):
    with pytest.raises(KeyError):
        jobs.job_dispatch(monitor)


def test_the_sweep_queues_lost_and_abandoned_jobs_again(monitor, monkeypatch):
    queued = []
    monkeypatch.setattr(
        jobs, "send_on_commit", lambda task, *args, **kwargs: queued.append((task, args))
    )
    now = timezone.now()
    lost = pending_run(monitor, hours_back=1)
    fresh = pending_run(monitor, hours_back=2)
    abandoned = pending_run(monitor, hours_back=3)
    DriftRun.objects.filter(pk=lost.pk).update(queued_at=now - jobs.LOST_AFTER * 2)
    DriftRun.objects.filter(pk=abandoned.pk).update(
        status=JobStatus.RUNNING, started_at=now - jobs.JOB_KINDS[DriftRun].stale_after * 2
    )
    reference = ReferenceDatasetFactory(model_version=monitor.model_version)
    ReferenceDataset.objects.filter(pk=reference.pk).update(
        status=JobStatus.PENDING, queued_at=now - timedelta(hours=1)
    )

    assert jobs.jobs_requeue_stale() == 3
    assert sorted(queued) == sorted(
        [
            (jobs.JOB_KINDS[ReferenceDataset].task, (reference.pk,)),
            (jobs.JOB_KINDS[DriftRun].task, (lost.pk,)),
            (jobs.JOB_KINDS[DriftRun].task, (abandoned.pk,)),
        ]
    )
    drift_task = jobs.JOB_KINDS[DriftRun].task
    assert fresh.pk not in [args[0] for task, args in queued if task == drift_task]
    assert DriftRun.objects.get(pk=lost.pk).queued_at >= now  # not queued again next sweep
