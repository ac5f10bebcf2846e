"""The delivery tasks are registered under their names, the requeue sweep has its beat entry
(by migration), and the sweep queues what was lost."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from mlops_portal.celery import app
from notifications import services, tasks
from notifications.dispatch import TaskName
from notifications.models import Channel, Delivery


def test_the_tasks_are_registered_with_the_settings_that_keep_work():
    for name in TaskName:
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost and task.ignore_result
        assert task.soft_time_limit < task.time_limit
    assert app.tasks[TaskName.DELIVERY_SEND].time_limit < 180  # under the claim timeout


def test_the_requeue_sweep_has_a_beat_entry(db):
    entry = PeriodicTask.objects.get(name="notifications: requeue lost deliveries")
    assert entry.task == TaskName.DELIVERIES_REQUEUE and entry.enabled
    assert entry.interval.every == 60


def test_the_sweep_queues_deliveries_whose_message_was_lost(db, monkeypatch):
    channel = Channel.objects.create(name="ops", kind="email", address="ops@example.com")
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notification = services.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[channel]
    )
    delivery = Delivery.objects.get(notification=notification)
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    queued = []
    monkeypatch.setattr(tasks, "deliveries_send", lambda ids: queued.extend(ids))
    tasks.deliveries_requeue()
    assert queued == [delivery.pk]


def test_metrics_count_deliveries_by_status_and_failures_by_channel(db, monkeypatch):
    from notifications import metrics

    channel = Channel.objects.create(name='ops "mail"', kind="email", address="ops@example.com")
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    for _ in range(2):
        services.notify(event_type="alert.firing", severity="info", subject="x", channels=[channel])
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(status="failed")
    lines = metrics.exposition_lines()
    assert 'mlops_portal_notification_deliveries{status="pending"} 1' in lines
    assert 'mlops_portal_notification_deliveries{status="failed"} 1' in lines
    assert 'mlops_portal_notification_deliveries{status="sent"} 0' in lines
    assert (
        'mlops_portal_notification_deliveries_failed{channel="ops \\"mail\\"",kind="email"} 1'
        in lines
    )
    (lag,) = [line for line in lines if line.startswith("mlops_portal_notification_delivery_lag")]
    assert float(lag.split()[-1]) >= 0
