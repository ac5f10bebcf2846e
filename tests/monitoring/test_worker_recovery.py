"""A worker killed with SIGKILL mid-run: its run completes within a few minutes of a worker
coming back (issue 11 §5). Real `celery worker` processes on Redis and PostgreSQL, so this
runs in CI's second pass and is skipped on the embedded default (filesystem broker, SQLite).

The first worker holds the run mid-task (it waits for a file the test never writes) and is
killed; the run's lease (PORTAL_JOB_LEASE_SECONDS, short here) then runs out, the requeue sweep
queues it again and a second worker computes it. The recovery time is printed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.db import connection

from mlops_portal.celery import app
from monitoring import tasks
from monitoring.models import DriftRun, JobStatus
from monitoring.services import jobs
from tests.celery_workers import stop, wait_until, worker_start
from tests.monitoring.conftest import REAL_WORKER
from tests.monitoring.factories import (
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    aligned_hour,
)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not REAL_WORKER, reason="needs CELERY_BROKER_URL=redis://… for real worker processes"
    ),
]
LEASE_SECONDS = 4


def start_worker(tmp_path, name: str, *, hold: bool) -> subprocess.Popen:
    env = {"PORTAL_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}
    if hold:
        env["PORTAL_TEST_HOLD_DIR"] = str(tmp_path)
    return worker_start(tmp_path, name, module="tests.monitoring.held_worker", env=env)


@pytest.fixture
def held_run(version):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database they can share (PostgreSQL)")
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    start = aligned_hour(1)
    InferenceBatchFactory(model_version=version, first_timestamp=start, last_timestamp=start)
    return DriftRun.objects.create(
        monitor=monitor, window_start=start, window_end=start + timedelta(hours=1)
    )


def test_a_run_held_by_a_killed_worker_completes_when_a_worker_comes_back(held_run, tmp_path):
    app.control.purge()
    first = start_worker(tmp_path, "first", hold=True)
    second = None
    try:
        tasks.drift_run_execute.delay(held_run.pk)
        wait_until(
            lambda: (tmp_path / f"held-{held_run.pk}").exists(),
            "the run to be held",
            workers=[first],
        )
        run = DriftRun.objects.get(pk=held_run.pk)
        assert run.status == JobStatus.RUNNING and run.stage == "held by the test"

        os.killpg(first.pid, signal.SIGKILL)  # kill -9: no cleanup, no message rejected
        first.wait(timeout=30)
        killed_at = time.monotonic()

        second = start_worker(tmp_path, "second", hold=False)
        # The beat entry runs the sweep every minute; here the test runs it until it requeues
        # the run, which it does once the dead worker's lease has run out.
        wait_until(lambda: jobs.jobs_requeue_stale() > 0, "the lease to run out", workers=[second])
        run = wait_until(
            lambda: DriftRun.objects.filter(pk=held_run.pk, status=JobStatus.SUCCEEDED).first(),
            "the second worker to compute the run",
            workers=[second],
        )
        recovered = time.monotonic() - killed_at
        print(f"\nrecovered {recovered:.1f} s after the kill (lease {LEASE_SECONDS} s)")
        assert run.attempts == 2 and run.current_rows == 50 and run.lease_expires_at is None
    finally:
        stop(first)
        if second is not None:
            stop(second)
