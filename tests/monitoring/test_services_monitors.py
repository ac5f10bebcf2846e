"""Monitors and their celery-beat entries stay in step through create, edit and delete."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, PermissionDenied, ValidationFailed
from monitoring.models import DriftRun, JobStatus, Monitor
from monitoring.services import monitors
from tests.factories import ModelVersionFactory
from tests.monitoring.factories import DriftRunFactory, ReferenceDatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(version):
    return ReferenceDatasetFactory(model_version=version)


def create(owner, reference, **fields):
    fields.setdefault("name", "hourly")
    return monitors.monitor_create(
        actor=owner, model_version=reference.model_version, reference=reference, **fields
    )


def test_create_registers_an_interval_beat_entry(owner, reference):
    monitor = create(owner, reference, window_seconds=86400, interval_seconds=900)
    task = PeriodicTask.objects.get(pk=monitor.periodic_task_id)
    assert task.name == f"monitoring.monitor:{monitor.pk}"
    assert task.task == "monitoring.monitor_scheduled_run"
    assert json.loads(task.args) == [monitor.pk]
    assert task.interval.every == 900 and task.interval.period == "seconds"
    assert task.crontab is None and task.enabled
    assert AuditEvent.objects.filter(
        action="monitoring.monitor.created", target_id=str(monitor.pk)
    ).exists()


def test_switching_to_crontab_and_disabling_updates_the_same_entry(owner, reference):
    monitor = create(owner, reference)
    task_id = monitor.periodic_task_id
    monitors.monitor_update(
        actor=owner, monitor=monitor, schedule_kind="crontab", crontab="15 */2 * * 1-5"
    )
    monitors.monitor_update(actor=owner, monitor=monitor, enabled=False)
    task = PeriodicTask.objects.get(pk=task_id)
    assert task.interval is None
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week) == (
        "15",
        "*/2",
        "*",
        "*",
        "1-5",
    )
    assert task.enabled is False
    assert PeriodicTask.objects.filter(name__startswith="monitoring.monitor:").count() == 1
    event = AuditEvent.objects.filter(action="monitoring.monitor.updated").first()
    assert event.changes == {"enabled": {"before": True, "after": False}}


def test_delete_removes_the_monitor_its_runs_and_its_beat_entry(owner, reference):
    monitor = create(owner, reference)
    DriftRunFactory(monitor=monitor)
    task_id = monitor.periodic_task_id
    monitors.monitor_delete(actor=owner, monitor=monitor)
    assert not Monitor.objects.exists() and not DriftRun.objects.exists()
    assert not PeriodicTask.objects.filter(pk=task_id).exists()
    assert AuditEvent.objects.filter(
        action="monitoring.monitor.deleted", target_id=str(monitor.pk)
    ).exists()


def test_a_failed_update_leaves_monitor_and_beat_entry_unchanged(owner, reference):
    monitor = create(owner, reference, interval_seconds=600)
    with pytest.raises(ValidationFailed, match="crontab: needs five fields"):
        monitors.monitor_update(actor=owner, monitor=monitor, schedule_kind="crontab", crontab="*")
    monitor.refresh_from_db()
    task = PeriodicTask.objects.get(pk=monitor.periodic_task_id)
    assert monitor.schedule_kind == "interval" and task.interval.every == 600


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"features": ["x", "nope"]}, "features", "'nope' is not a profiled column"),
        ({"method_overrides": {"x": "magic"}}, "method_overrides", "unknown drift method"),
        ({"method_overrides": {"c": "ks"}}, "method_overrides", "'ks' cannot test categorical"),
        ({"threshold_overrides": {"x": "high"}}, "threshold_overrides", "finite number"),
        ({"drift_share_threshold": 0}, "drift_share_threshold", ""),
        ({"window_seconds": 10}, "window_seconds", ""),
        ({"interval_seconds": None}, "interval_seconds", "required"),
        ({"schedule_kind": "crontab", "crontab": "99 * * * *"}, "crontab", "crontab:"),
        ({"correction": "holm"}, "correction", ""),
        ({"default_method_numerical": "chisquare_x"}, "default_method_numerical", ""),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(owner, reference, fields, field, message):
    with pytest.raises(ValidationFailed) as error:
        create(owner, reference, **fields)
    assert error.value.field == field
    assert message in error.value.message
    assert (
        not Monitor.objects.exists()
        and not PeriodicTask.objects.filter(name__startswith="monitoring.monitor:").exists()
    )


def test_reference_must_be_ready_and_of_the_same_version(owner, version, reference):
    pending = ReferenceDatasetFactory(model_version=version, status=JobStatus.PENDING)
    with pytest.raises(Conflict, match="is not profiled yet"):
        create(owner, pending)
    other_version = ModelVersionFactory(model=version.model, version=2)
    with pytest.raises(ValidationFailed, match="belongs to another model version"):
        monitors.monitor_create(
            actor=owner, model_version=other_version, reference=reference, name="x"
        )


def test_names_are_unique_per_version(owner, reference):
    create(owner, reference, name="daily")
    with pytest.raises(Conflict, match="already has a monitor named 'daily'"):
        create(owner, reference, name="daily")


def test_only_owners_configure_monitors(other_scientist, viewer, owner, reference):
    for user in (other_scientist, viewer):
        with pytest.raises(PermissionDenied):
            create(user, reference)
    monitor = create(owner, reference)
    with pytest.raises(PermissionDenied):
        monitors.monitor_update(actor=other_scientist, monitor=monitor, enabled=False)
    with pytest.raises(PermissionDenied):
        monitors.monitor_delete(actor=other_scientist, monitor=monitor)


def test_a_monitor_service_is_its_own_outermost_transaction(owner, reference):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        create(owner, reference)
