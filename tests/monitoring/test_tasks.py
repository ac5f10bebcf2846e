"""Celery tasks end to end: through Redis to a real worker when ``CELERY_BROKER_URL`` is
``redis://…``, eagerly (same code, same assertions) with the embedded filesystem broker.

The real worker is Celery's own in-process test worker (``celery.contrib.testing.worker``,
solo pool, in a thread) on the project's app; tests are ``transaction=True`` so the worker's own
database connection sees what the test committed. Select these tests with ``-m celery_worker``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import state as worker_state
from django.contrib.auth.models import Group
from django.db import OperationalError, connections

from governance.audit import AuditEvent
from governance.roles import Role
from mlops_portal.celery import app
from monitoring import tasks
from monitoring.ingest import storage
from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.services import buffer
from monitoring.metrics import broker_queue_length
from monitoring.models import Backfill, DriftRun, FeatureDrift, JobStatus
from monitoring.services import monitors, references, scheduling
from tests.monitoring.conftest import REAL_WORKER
from tests.monitoring.factories import (
    DriftRunFactory,
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    aligned_hour,
    feature_table,
    records,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
DEADLINE_SECONDS = 60


def _close_worker_connections(**_kwargs) -> None:
    connections.close_all()  # runs in the worker thread: never leave a session open to the test DB


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """Transactional tests end with a flush, which also drops the role groups the migrations
    created; make sure they exist (as the migration does) whatever ran before."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture(autouse=True)
def worker(_role_groups):
    """A real worker on the broker (Redis), or nothing when tasks run eagerly."""
    if not REAL_WORKER:
        yield None
        return
    app.control.purge()
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ) as running:
            yield running
    finally:
        task_postrun.disconnect(_close_worker_connections)


def wait_until(condition, what: str):
    """Poll the database until ``condition()`` holds (a deadline, not a timing assumption).

    On the in-memory SQLite test database the worker thread shares a cache with the test, and
    a read that meets the worker's open write transaction fails at once ("table is locked"):
    that only means "not yet".
    """
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            result = condition()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def queue_drained() -> bool:
    if not REAL_WORKER:
        return True
    return broker_queue_length() == 0 and not worker_state.active_requests


def staged_upload(tmp_path):
    source = tmp_path / "train.parquet"
    pq.write_table(feature_table(3000), source)
    target = storage.tmp_dir() / "train.parquet.upload"
    shutil.copy(source, target)
    return target


def test_task_options_keep_work_from_being_lost():
    for task in (
        tasks.drift_run_execute,
        tasks.reference_profile_build,
        tasks.monitor_scheduled_run,
    ):
        assert task.acks_late and task.reject_on_worker_lost and task.ignore_result
        assert task.soft_time_limit < task.time_limit
    assert tasks.drift_run_execute.name == "monitoring.drift_run_execute"


def test_reference_profile_is_built_by_the_worker(owner, version, tmp_path):
    reference = references.reference_dataset_create(
        actor=owner,
        model_version=version,
        upload_path=staged_upload(tmp_path),
        filename="t.parquet",
    )
    reference = wait_until(
        lambda: type(reference).objects.filter(pk=reference.pk, status=JobStatus.SUCCEEDED).first(),
        "the reference profile",
    )
    assert reference.row_count == 3000 and reference.is_ready


def test_backfill_is_computed_by_the_worker(owner, version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    for hours_back in (1, 2):
        start = aligned_hour(hours_back)
        InferenceBatchFactory(
            model_version=version,
            first_timestamp=start,
            last_timestamp=start + timedelta(minutes=30),
            seed=hours_back,
        )
    backfill = scheduling.drift_backfill_request(actor=owner, monitor=monitor, windows=3)
    backfill = wait_until(
        lambda: Backfill.objects.filter(pk=backfill.pk, status=JobStatus.SUCCEEDED).first(),
        "the backfill",
    )
    assert backfill.runs_finished == 3
    assert list(
        DriftRun.objects.order_by("window_start").values_list("current_rows", flat=True)
    ) == [0, 50, 50]
    assert FeatureDrift.objects.count() == 9


def test_a_task_delivered_twice_computes_once(version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    start = aligned_hour(1)
    InferenceBatchFactory(model_version=version, first_timestamp=start, last_timestamp=start)
    run = DriftRunFactory(
        monitor=monitor,
        window_start=start,
        window_end=start + timedelta(hours=1),
        status=JobStatus.PENDING,
    )
    tasks.drift_run_execute.delay(run.pk)
    tasks.drift_run_execute.delay(run.pk)  # e.g. redelivered after a lost acknowledgement
    wait_until(
        lambda: (
            DriftRun.objects.filter(pk=run.pk, status=JobStatus.SUCCEEDED).exists()
            and queue_drained()
        ),
        "both deliveries",
    )
    assert DriftRun.objects.count() == 1 and FeatureDrift.objects.filter(run=run).count() == 3
    assert AuditEvent.objects.filter(action="monitoring.drift_run.succeeded").count() == 1


def test_the_beat_entry_names_a_task_the_worker_runs(owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    monitor = monitors.monitor_create(
        actor=owner, model_version=version, reference=reference, name="beat", window_seconds=3600
    )
    type(monitor).objects.filter(pk=monitor.pk).update(created_at=aligned_hour(2))
    start = aligned_hour(1)
    InferenceBatchFactory(model_version=version, first_timestamp=start, last_timestamp=start)
    entry = monitor.periodic_task
    app.tasks[entry.task].apply_async(args=json.loads(entry.args), kwargs=json.loads(entry.kwargs))
    wait_until(
        lambda: (
            DriftRun.objects.filter(monitor=monitor, status=JobStatus.SUCCEEDED).count() == 2
            and queue_drained()
        ),
        "the scheduled runs",
    )
    assert DriftRun.objects.get(window_start=start).current_rows == 50


def test_compaction_runs_as_the_periodic_task(owner, version):
    for record in records(7):
        buffer.prediction_buffer_append(actor=owner, model_version=version, record=record)
    tasks.prediction_buffers_compact.delay()
    batch = wait_until(lambda: InferenceBatch.objects.filter(source="buffer").first(), "compaction")
    assert batch.row_count == 7
    with contextlib.suppress(AssertionError):
        assert buffer.buffered_bytes() == 0
    wait_until(lambda: buffer.buffered_bytes() == 0, "the sealed file to be removed")
