"""Two drift runs of one monitor finishing at once (and their evaluation tasks delivered
twice): one alert, one notification, one delivery per channel. PostgreSQL, real threads;
SQLite serializes writers and would prove nothing."""

import threading

import pytest
from django.db import connection

from governance import audit
from monitoring.alerts import evaluation
from monitoring.alerts.models import Alert
from notifications import services as notify
from notifications.models import Delivery, Notification
from tests.conftest import requires_postgres
from tests.monitoring.alerts.factories import AlertRuleFactory
from tests.monitoring.factories import DriftRunFactory, FeatureDriftFactory, MonitorFactory

THREADS = 8


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_runs_finishing_together_open_one_alert_and_notify_each_channel_once(make_user):
    admin = make_user("admin", username="race-admin")
    channels = [
        notify.channel_create(actor=admin, name=f"race-{n}", kind="email",
                              address=f"race{n}@example.com")[0]
        for n in range(2)
    ]  # fmt: skip
    monitor = MonitorFactory()
    rule = AlertRuleFactory(monitor=monitor, channels=channels)
    runs = []
    for _ in range(2):
        run = DriftRunFactory(monitor=monitor, dataset_drift=True, drift_share=0.67, n_drifted=2)
        FeatureDriftFactory(run=run, drifted=True)
        runs.append(run)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def evaluate(run_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            evaluation.alerts_evaluate_run(run_id=run_id)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate, args=(runs[n % 2].pk,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    alert = Alert.objects.get(rule=rule)
    assert alert.count == THREADS // 2  # the newest run's evaluations; the older one defers
    firing = Notification.objects.filter(event_type="alert.firing")
    assert firing.count() == 1
    per_channel = sorted(
        Delivery.objects.filter(notification__in=firing).values_list("channel_id", flat=True)
    )
    assert per_channel == sorted(channel.pk for channel in channels)
    report = audit.verify()
    assert report.intact, report.problem
