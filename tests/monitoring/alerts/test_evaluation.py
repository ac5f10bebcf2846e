"""Rules against runs, batches and the clock: an alert fires once, counts while it lasts,
reminds after the repeat interval, resolves when the condition clears, and tells whoever was
told it fired."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit import AuditEvent
from monitoring.alerts import evaluation
from monitoring.alerts.models import Alert, AlertEventKind, AlertState, QualityCheck, RuleKind
from monitoring.models import JobStatus
from notifications.models import Delivery, InboxEntry, Notification
from tests.monitoring.alerts.factories import AlertRuleFactory, SilenceFactory
from tests.monitoring.factories import InferenceBatchFactory, MonitorFactory

pytestmark = pytest.mark.django_db


def evaluate(run):
    return evaluation.alerts_evaluate_run(run_id=run.pk)


def test_a_drifted_run_fires_one_alert_and_notifies_the_rules_channel(rule, finished_run, owner):
    run = finished_run(drifted=True)
    result = evaluate(run)

    alert = Alert.objects.get()
    assert result.fired == [alert.pk]
    assert (alert.state, alert.severity, alert.run, alert.count) == ("firing", "warning", run, 1)
    assert "2 of 3 features drifted" in alert.summary
    notification = Notification.objects.get(event_type="alert.firing")
    assert alert.notification == notification
    assert notification.payload["alert"]["id"] == alert.pk
    assert notification.payload["rule"]["kind"] == "dataset_drift"
    assert notification.payload["monitor"]["id"] == rule.monitor_id
    assert notification.url == f"/alerts/{alert.pk}/"
    assert (
        Delivery.objects.filter(notification=notification, channel=rule.channels.get()).count() == 1
    )
    assert InboxEntry.objects.filter(notification=notification, user=owner).exists()
    assert AuditEvent.objects.filter(
        action="monitoring.alert.fired", target_id=str(alert.pk)
    ).exists()
    kinds = list(alert.events.values_list("kind", flat=True))
    assert kinds == [AlertEventKind.FIRED, AlertEventKind.NOTIFIED]


def test_firing_again_counts_without_a_new_alert_or_notification(rule, finished_run):
    evaluate(finished_run(drifted=True))
    result = evaluate(finished_run(drifted=True))

    alert = Alert.objects.get()
    assert result.continued == [alert.pk] and result.notified == []
    assert alert.count == 2 and alert.last_seen_at > alert.started_at
    assert Notification.objects.count() == 1


def test_a_reminder_after_the_repeat_interval_while_firing_and_unacknowledged(rule, finished_run):
    evaluate(finished_run(drifted=True))
    Alert.objects.update(last_notified_at=timezone.now() - timedelta(hours=4, seconds=1))
    evaluate(finished_run(drifted=True))

    reminders = Notification.objects.filter(payload__alert__reminder=True)
    assert reminders.count() == 1
    assert Alert.objects.get().events.filter(kind=AlertEventKind.REMINDED).count() == 1


def test_no_reminder_when_acknowledged_or_the_interval_is_zero(rule, finished_run, owner):
    from monitoring.alerts import services

    evaluate(finished_run(drifted=True))
    alert = Alert.objects.get()
    services.alert_acknowledge(actor=owner, alert=alert, note="looking")
    Alert.objects.update(last_notified_at=timezone.now() - timedelta(days=1))
    evaluate(finished_run(drifted=True))
    assert not Notification.objects.filter(payload__alert__reminder=True).exists()

    never = AlertRuleFactory(
        monitor=rule.monitor, kind=RuleKind.RUN_FAILED, repeat_interval_seconds=0
    )
    evaluate(finished_run(status=JobStatus.FAILED, error="boom"))
    Alert.objects.filter(rule=never).update(last_notified_at=timezone.now() - timedelta(days=1))
    evaluate(finished_run(status=JobStatus.FAILED, error="boom"))
    assert not Notification.objects.filter(payload__alert__reminder=True).exists()


def test_a_clear_run_resolves_and_tells_whoever_was_told_it_fired(rule, finished_run, owner):
    evaluate(finished_run(drifted=True))
    fired = Notification.objects.get()
    result = evaluate(finished_run(drifted=False))

    alert = Alert.objects.get()
    assert result.resolved == [alert.pk]
    assert alert.state == AlertState.RESOLVED and alert.resolved_by is None
    resolved = Notification.objects.get(event_type="alert.resolved")
    assert set(resolved.deliveries.values_list("channel", flat=True)) == set(
        fired.deliveries.values_list("channel", flat=True)
    )
    assert set(resolved.inbox_entries.values_list("user", flat=True)) == set(
        fired.inbox_entries.values_list("user", flat=True)
    )
    assert AuditEvent.objects.filter(action="monitoring.alert.resolved").count() == 1
    # the condition comes back: a new alert, not the resolved one reopened
    evaluate(finished_run(drifted=True))
    assert Alert.objects.filter(state=AlertState.FIRING).exclude(pk=alert.pk).count() == 1


def test_too_few_rows_never_fires_a_drift_alert_but_may_fire_a_volume_rule(
    monitor, rule, finished_run
):
    volume = AlertRuleFactory(
        monitor=monitor,
        kind=RuleKind.DATA_QUALITY,
        quality_check=QualityCheck.LOW_VOLUME,
        threshold=30,
        severity="info",
    )
    run = finished_run(drifted=False, n_tested=0, current_rows=12)
    evaluate(run)

    assert list(Alert.objects.values_list("rule", flat=True)) == [volume.pk]
    assert "12 rows" in Alert.objects.get().summary


def test_too_few_rows_does_not_resolve_an_open_drift_alert(rule, finished_run):
    evaluate(finished_run(drifted=True))
    evaluate(finished_run(drifted=False, n_tested=0, current_rows=3))
    assert Alert.objects.get().state == AlertState.FIRING


def test_an_older_window_finishing_late_does_not_speak_for_the_monitor(rule, finished_run):
    older = finished_run(drifted=False)
    evaluate(finished_run(drifted=True))
    assert evaluate(older) is None
    assert Alert.objects.get().state == AlertState.FIRING


def test_a_silenced_alert_is_recorded_but_not_sent_until_the_silence_ends(rule, finished_run):
    silence = SilenceFactory(monitor=rule.monitor)
    evaluate(finished_run(drifted=True))
    alert = Alert.objects.get()
    assert alert.silenced and alert.notification is None
    assert Notification.objects.count() == 0
    assert alert.events.filter(kind=AlertEventKind.MUTED).exists()

    silence.ends_at = timezone.now() - timedelta(seconds=1)
    silence.save()
    evaluate(finished_run(drifted=True))
    alert.refresh_from_db()
    assert alert.notification is not None and not alert.silenced
    assert Notification.objects.filter(event_type="alert.firing").count() == 1


def test_a_silenced_alert_resolves_without_telling_anyone(rule, finished_run):
    SilenceFactory(monitor=None, model=rule.monitor.model_version.model)
    evaluate(finished_run(drifted=True))
    evaluate(finished_run(drifted=False))
    assert Alert.objects.get().state == AlertState.RESOLVED
    assert Notification.objects.count() == 0


def test_failed_run_feature_and_performance_rules(monitor, finished_run):
    failed = AlertRuleFactory(monitor=monitor, kind=RuleKind.RUN_FAILED)
    feature = AlertRuleFactory(monitor=monitor, kind=RuleKind.FEATURE_DRIFT, feature="x")
    performance = AlertRuleFactory(
        monitor=monitor, kind=RuleKind.PERFORMANCE, metric="f1", direction="below", threshold=0.7
    )
    evaluate(finished_run(status=JobStatus.FAILED, error="cannot read the window"))
    assert list(Alert.objects.values_list("rule", flat=True)) == [failed.pk]
    assert "cannot read the window" in Alert.objects.get().summary

    evaluate(finished_run(drifted=True, performance={"n": 50, "f1": 0.52}))
    open_rules = set(Alert.objects.filter(state="firing").values_list("rule", "subject"))
    assert open_rules == {(feature.pk, "x"), (performance.pk, "f1")}
    assert Alert.objects.get(rule=failed).state == AlertState.RESOLVED
    assert Alert.objects.get(rule=performance).value == pytest.approx(0.52)


def test_performance_refresh_judges_the_latest_run(monitor, finished_run):
    rule = AlertRuleFactory(
        monitor=monitor,
        kind=RuleKind.PERFORMANCE,
        metric="accuracy",
        direction="below",
        threshold=0.8,
    )
    finished_run(drifted=False, performance={"n": 10, "accuracy": 0.9})
    latest = finished_run(drifted=False, performance={"n": 10, "accuracy": 0.6})
    evaluation.alerts_evaluate_performance(model_version_id=monitor.model_version_id)
    alert = Alert.objects.get(rule=rule)
    assert alert.value == pytest.approx(0.6)
    latest.performance = {"n": 40, "accuracy": 0.85}
    latest.save()
    evaluation.alerts_evaluate_performance(model_version_id=monitor.model_version_id)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED


def test_a_batch_fires_data_quality_rules_and_ends_a_silent_feed(monitor):
    nulls = AlertRuleFactory(
        monitor=monitor, kind=RuleKind.DATA_QUALITY, quality_check="null_rate", threshold=0.1
    )
    silent = AlertRuleFactory(monitor=monitor, kind=RuleKind.SILENT_FEED, silent_hours=2)
    Alert.objects.create(
        rule=silent, monitor=monitor, model=monitor.model_version.model, severity="critical",
        severity_rank=0, summary="silent", started_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    quality = {
        "row_count": 100,
        "totals": {},
        "columns": {
            "x": {"null_rate": 0.25, "unseen_categories": None, "out_of_range": 0},
            "c": {"null_rate": 0.0, "unseen_categories": 3, "out_of_range": None},
        },
    }
    InferenceBatchFactory(model_version=monitor.model_version, row_count=100, quality=quality)
    evaluation.alerts_evaluate_batch(model_version_id=monitor.model_version_id)

    alert = Alert.objects.get(rule=nulls)
    assert alert.value == pytest.approx(0.25) and "column x" in alert.summary
    assert Alert.objects.get(rule=silent).state == AlertState.RESOLVED


def test_the_periodic_check_fires_for_a_silent_feed_only(monitor):
    quiet = AlertRuleFactory(monitor=monitor, kind=RuleKind.SILENT_FEED, silent_hours=2)
    busy_monitor = MonitorFactory()
    busy = AlertRuleFactory(monitor=busy_monitor, kind=RuleKind.SILENT_FEED, silent_hours=2)
    InferenceBatchFactory(model_version=busy_monitor.model_version)
    InferenceBatchFactory(model_version=monitor.model_version)
    from monitoring.ingest.models import InferenceBatch

    InferenceBatch.objects.filter(model_version=monitor.model_version).update(
        created_at=timezone.now() - timedelta(hours=3)
    )
    evaluation.alerts_check_silent_feeds()
    assert list(Alert.objects.values_list("rule", flat=True)) == [quiet.pk]
    assert not Alert.objects.filter(rule=busy).exists()


def test_disabled_rules_and_monitors_are_not_evaluated(rule, finished_run):
    rule.enabled = False
    rule.save()
    evaluate(finished_run(drifted=True))
    assert not Alert.objects.exists()


def test_rule_evaluation_costs_the_same_queries_for_3_or_12_rules(
    monitor, finished_run, django_assert_num_queries
):
    def steady_state_queries(n_rules: int, target_monitor) -> int:
        for _ in range(n_rules):
            AlertRuleFactory(monitor=target_monitor)
        evaluate(finished_run(drifted=True, monitor=target_monitor))  # fire them all once
        run = finished_run(drifted=True, monitor=target_monitor)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            result = evaluate(run)
        assert len(result.continued) == n_rules
        return len(captured)

    few = steady_state_queries(3, monitor)
    many = steady_state_queries(12, MonitorFactory())
    assert few == many
    assert many <= 12


def test_the_resolved_email_reaches_whoever_got_the_firing_by_email(
    rule, finished_run, owner, django_capture_on_commit_callbacks
):
    from django.core import mail

    from notifications import services as notifications

    notifications.subscription_set(
        actor=owner, model=rule.monitor.model_version.model, min_severity="warning", email=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(finished_run(drifted=True))
    firing = [message for message in mail.outbox if owner.email in message.to]
    assert len(firing) == 1 and "[FIRING]" in firing[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(finished_run(drifted=False))
    resolved = [message for message in mail.outbox if owner.email in message.to]
    assert len(resolved) == 1 and "[RESOLVED]" in resolved[0].subject
    assert resolved[0].to == firing[0].to
