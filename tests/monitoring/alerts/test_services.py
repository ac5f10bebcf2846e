"""Rules, acknowledging, resolving and silences: role-checked, validated (4xx naming the field,
nothing written), audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, PermissionDenied, ValidationFailed
from monitoring.alerts import services
from monitoring.alerts.models import AlertRule, AlertState, RuleKind, Silence
from monitoring.services import monitors
from notifications.models import Notification
from tests.monitoring.alerts.factories import AlertFactory
from tests.monitoring.factories import ReferenceDatasetFactory

pytestmark = pytest.mark.django_db


def test_a_new_monitor_gets_the_default_rules(owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    monitor = monitors.monitor_create(
        actor=owner, model_version=version, reference=reference, name="daily",
        window_seconds=24 * 3600,
    )  # fmt: skip
    rules = {rule.kind: rule for rule in monitor.alert_rules.all()}
    assert set(rules) == {"dataset_drift", "silent_feed", "run_failed"}
    assert rules["dataset_drift"].severity == "warning"
    assert (rules["silent_feed"].severity, rules["silent_feed"].silent_hours) == ("critical", 48)
    assert rules["run_failed"].severity == "warning"
    assert AuditEvent.objects.filter(action="monitoring.alert_rule.created").count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "drift_share_above", "threshold": 1.5}, "threshold"),
        ({"kind": "drift_share_above", "threshold": -0.1}, "threshold"),
        ({"kind": "drift_share_above"}, "threshold"),
        ({"kind": "feature_drift", "feature": "income"}, "feature"),
        (
            {"kind": "performance", "metric": "f1", "direction": "below", "threshold": 2},
            "threshold",
        ),
        ({"kind": "performance", "metric": "rmse", "direction": "below", "threshold": 2}, "metric"),
        ({"kind": "data_quality", "quality_check": "null_rate", "threshold": 1.0}, "threshold"),
        ({"kind": "silent_feed", "silent_hours": 0}, "silent_hours"),
        ({"kind": "dataset_drift", "threshold": 0.3}, "threshold"),
        ({"kind": "dataset_drift", "repeat_interval_seconds": -1}, "repeat_interval_seconds"),
        ({"kind": "dataset_drift", "runbook_url": "file:///etc/passwd"}, "runbook_url"),
        ({"kind": "nonsense"}, "kind"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(owner, monitor, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        services.alert_rule_create(actor=owner, monitor=monitor, **fields)
    assert refused.value.field == field
    assert not AlertRule.objects.exists()


def test_rules_only_by_the_models_owners(other_scientist, owner, monitor):
    with pytest.raises(PermissionDenied):
        services.alert_rule_create(actor=other_scientist, monitor=monitor, kind="run_failed")
    rule = services.alert_rule_create(
        actor=owner, monitor=monitor, kind="feature_drift", feature="x", severity="critical"
    )
    rule = services.alert_rule_update(
        actor=owner, rule=rule, kind="drift_share_above", threshold=0.3
    )
    assert (rule.kind, rule.feature, rule.threshold) == ("drift_share_above", "", 0.3)
    assert AuditEvent.objects.filter(action="monitoring.alert_rule.updated").count() == 1
    services.alert_rule_delete(actor=owner, rule=rule)
    assert not AlertRule.objects.exists()


def test_acknowledge_then_resolve_by_hand(owner, monitor):
    alert = AlertFactory(rule__monitor=monitor)
    alert = services.alert_acknowledge(actor=owner, alert=alert, note="on it")
    assert (alert.state, alert.acknowledged_by, alert.acknowledge_note) == (
        AlertState.ACKNOWLEDGED, owner, "on it",
    )  # fmt: skip
    with pytest.raises(Conflict) as twice:
        services.alert_acknowledge(actor=owner, alert=alert)
    assert twice.value.field == "state"
    alert = services.alert_resolve(actor=owner, alert=alert)
    assert alert.state == AlertState.RESOLVED and alert.resolved_by == owner
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"monitoring.alert.acknowledged", "monitoring.alert.resolved"} <= actions
    assert Notification.objects.count() == 0  # nobody was told it fired


def test_silences_are_validated_and_audited(owner, monitor):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as backwards:
        services.silence_create(
            actor=owner, monitor=monitor, starts_at=now + timedelta(hours=2),
            ends_at=now + timedelta(hours=1), reason="deploy",
        )  # fmt: skip
    assert backwards.value.field == "ends_at"
    with pytest.raises(ValidationFailed) as blank:
        services.silence_create(
            actor=owner, monitor=monitor, ends_at=now + timedelta(hours=1), reason=" "
        )
    assert blank.value.field == "reason"
    assert not Silence.objects.exists()
    silence = services.silence_create(
        actor=owner, model=monitor.model_version.model, ends_at=now + timedelta(hours=1),
        reason="retraining",
    )  # fmt: skip
    services.silence_expire(actor=owner, silence=silence)
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("monitoring.silence.created") == 1
    assert actions.count("monitoring.silence.expired") == 1


def test_rule_kinds_are_the_contracts_names():
    assert RuleKind.values == [
        "dataset_drift", "drift_share_above", "feature_drift", "performance",
        "data_quality", "silent_feed", "run_failed",
    ]  # fmt: skip
