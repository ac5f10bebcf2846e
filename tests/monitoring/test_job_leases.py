"""Leases on job rows: a run whose worker was killed is reclaimable as soon as its lease runs
out (not after the 40-minute stale threshold), the worker renews it while it computes, and
"Run now" on such a run says what happened and queues it again."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from monitoring.models import DriftRun, JobStatus
from monitoring.services import jobs, scheduling
from tests.monitoring.factories import InferenceBatchFactory, pending_run

pytestmark = pytest.mark.django_db


def running(run: DriftRun, *, started_ago: timedelta, lease_left: timedelta) -> DriftRun:
    """A run claimed ``started_ago`` by a worker whose lease ends ``lease_left`` from now."""
    now = timezone.now()
    DriftRun.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        started_at=now - started_ago,
        lease_expires_at=now + lease_left,
        stage="comparing 3 features over 50 rows",
        progress=50,
    )
    run.refresh_from_db()
    return run


def test_a_run_whose_lease_expired_is_claimed_again_at_once(monitor):
    killed = running(
        pending_run(monitor, 1), started_ago=timedelta(minutes=2), lease_left=-timedelta(seconds=1)
    )
    alive = running(
        pending_run(monitor, 2), started_ago=timedelta(minutes=2), lease_left=timedelta(seconds=30)
    )
    claimed = jobs.claim(DriftRun, killed.pk)
    assert claimed is not None and claimed.attempts == 2
    assert claimed.lease_expires_at > timezone.now()
    assert jobs.claim(DriftRun, alive.pk) is None  # its worker is alive: a duplicate delivery


def test_the_sweep_requeues_runs_whose_lease_expired(monitor, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs, "send_on_commit", lambda task, *args, **_: queued.append(args[0]))
    killed = running(
        pending_run(monitor, 1), started_ago=timedelta(minutes=3), lease_left=-timedelta(seconds=5)
    )
    running(
        pending_run(monitor, 2), started_ago=timedelta(hours=1), lease_left=timedelta(seconds=45)
    )
    assert jobs.jobs_requeue_stale() == 1 and queued == [killed.pk]


def test_claims_and_progress_take_the_configured_lease(monitor, settings):
    settings.PORTAL_JOB_LEASE_SECONDS = 30
    run = jobs.claim(DriftRun, pending_run(monitor).pk)
    assert timedelta(seconds=25) < run.lease_expires_at - timezone.now() <= timedelta(seconds=30)
    DriftRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now())
    jobs.job_progress(run, 40, "reading")
    run.refresh_from_db()
    assert run.lease_expires_at - timezone.now() > timedelta(seconds=25)
    assert jobs.job_succeed(run) and DriftRun.objects.get(pk=run.pk).lease_expires_at is None


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_body_runs(monitor, settings):
    settings.PORTAL_JOB_LEASE_SECONDS = 1  # renewed every 0.25 s
    run = jobs.claim(DriftRun, pending_run(monitor).pk)
    first = run.lease_expires_at
    deadline = time.monotonic() + 30
    with jobs.job_heartbeat(run):
        while True:
            try:
                renewed = DriftRun.objects.get(pk=run.pk).lease_expires_at
            except OperationalError:  # SQLite: the heartbeat's write is under way
                renewed = first
            if renewed > first:
                break
            assert time.monotonic() < deadline, "the lease was never renewed"
            time.sleep(0.05)
    assert jobs.job_succeed(run)


def test_run_now_on_a_run_whose_worker_died_says_so_and_computes_it(
    api_as, owner, monitor, django_capture_on_commit_callbacks
):
    start, end = scheduling.window_containing(monitor, timezone.now())
    InferenceBatchFactory(model_version=monitor.model_version, first_timestamp=start)
    stuck = DriftRun.objects.create(
        monitor=monitor, window_start=start, window_end=end, trigger="schedule"
    )
    running(stuck, started_ago=timedelta(minutes=5), lease_left=-timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(owner).post(reverse("api:monitor-run", kwargs={"pk": monitor.pk}))
    assert response.status_code == 202
    body = response.json()
    assert body["id"] == stuck.pk and body["status"] == "running"
    assert "its worker stopped responding" in body["stage"] and "queued again" in body["stage"]
    assert DriftRun.objects.get(pk=stuck.pk).status == JobStatus.SUCCEEDED


def test_run_now_on_a_live_run_shows_what_it_is_doing_and_queues_nothing(
    api_as, owner, monitor, django_capture_on_commit_callbacks
):
    start, end = scheduling.window_containing(monitor, timezone.now())
    live = DriftRun.objects.create(monitor=monitor, window_start=start, window_end=end)
    running(live, started_ago=timedelta(minutes=5), lease_left=timedelta(seconds=40))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_as(owner).post(reverse("api:monitor-run", kwargs={"pk": monitor.pk}))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "running" and body["progress"] == 50
    assert body["stage"] == "comparing 3 features over 50 rows"
    assert callbacks == []


def test_run_now_on_the_page_says_a_live_run_is_running(
    web_as, owner, monitor, django_capture_on_commit_callbacks
):
    start, end = scheduling.window_containing(monitor, timezone.now())
    live = DriftRun.objects.create(monitor=monitor, window_start=start, window_end=end)
    running(live, started_ago=timedelta(minutes=5), lease_left=timedelta(seconds=40))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = web_as(owner).post(
            reverse("monitor-run-now", kwargs={"pk": monitor.pk}), follow=True
        )
    page = response.content.decode()
    assert "is running: comparing 3 features over 50 rows" in page
    assert "queued" not in page and callbacks == []
