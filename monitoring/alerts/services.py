"""Alert writes: rules (with a monitor's default rules), acknowledging and resolving alerts by
hand, silences. Each checks the role, validates, writes in one transaction and records its
audit event there; notifications go through ``notify`` inside that transaction (sent after it
commits)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring.alerts import notifying
from monitoring.alerts.models import (
    DEFAULT_REPEAT_SECONDS,
    MAX_REPEAT_SECONDS,
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertState,
    Direction,
    QualityCheck,
    RuleKind,
    Silence,
)
from monitoring.ingest.schema.columns import ColumnRole, signature_columns
from monitoring.models import Monitor
from monitoring.validation import full_clean
from notifications.models import Channel, Severity
from registry.models import RegisteredModel, TaskType

PARAMETERS = ("threshold", "feature", "metric", "direction", "quality_check", "silent_hours")
RULE_FIELDS = (
    "kind",
    "severity",
    "enabled",
    "channels",
    "repeat_interval_seconds",
    "runbook_url",
    "note",
    *PARAMETERS,
)
# Which parameters each kind takes (required unless listed in OPTIONAL).
KIND_PARAMETERS = {
    RuleKind.DATASET_DRIFT: (),
    RuleKind.DRIFT_SHARE_ABOVE: ("threshold",),
    RuleKind.FEATURE_DRIFT: ("feature",),
    RuleKind.PERFORMANCE: ("metric", "direction", "threshold"),
    RuleKind.DATA_QUALITY: ("quality_check", "threshold", "feature"),
    RuleKind.SILENT_FEED: ("silent_hours",),
    RuleKind.RUN_FAILED: (),
}
OPTIONAL = {(RuleKind.DATA_QUALITY, "feature")}
METRICS = {
    TaskType.CLASSIFICATION: {
        "accuracy": (0.0, 1.0),
        "precision": (0.0, 1.0),
        "recall": (0.0, 1.0),
        "f1": (0.0, 1.0),
        "roc_auc": (0.0, 1.0),
    },
    TaskType.REGRESSION: {
        "mae": (0.0, math.inf),
        "rmse": (0.0, math.inf),
        "mape": (0.0, math.inf),
        "r2": (-math.inf, 1.0),
    },
}
MAX_VOLUME = 10**12
MAX_SILENCE = timedelta(days=90)
TEXT_LIMITS = {"note": 5000, "reason": 500, "acknowledge_note": 2000}


# --- rules -----------------------------------------------------------------------------------


def rule_snapshot(rule: AlertRule) -> dict:
    snapshot = {name: getattr(rule, name) for name in RULE_FIELDS if name != "channels"}
    snapshot["monitor"] = rule.monitor_id
    snapshot["channels"] = sorted(channel.pk for channel in rule.channels.all())
    return snapshot


def _text(value, *, field: str, max_length: int, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: must be text.", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field}: NUL characters are not allowed.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationFailed(f"{field}: at most {max_length} characters.", field=field)
    if required and not value:
        raise ValidationFailed(f"{field}: must not be blank.", field=field)
    return value


def _number(value, *, field: str, low: float, high: float, low_open=False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{field}: must be a finite number.", field=field)
    if value < low or value > high or (low_open and value == low):
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        raise ValidationFailed(
            f"{field}: {value:g} is out of range (must be {bound} and at most {high:g}).",
            field=field,
        )
    return float(value)


def _signature_features(monitor: Monitor) -> list[str]:
    return [
        column.name
        for column in signature_columns(monitor.model_version.signature)
        if column.role == ColumnRole.INPUT
    ]


def _validate_rule(rule: AlertRule) -> None:
    """The kind's parameters present and in range, the others empty; names the field."""
    if rule.kind not in RuleKind.values:
        raise ValidationFailed(
            f"kind: {rule.kind!r} is not one of {', '.join(RuleKind.values)}.", field="kind"
        )
    if rule.severity not in Severity.values:
        raise ValidationFailed(
            f"severity: {rule.severity!r} is not one of {', '.join(Severity.values)}.",
            field="severity",
        )
    kind = RuleKind(rule.kind)
    wanted = KIND_PARAMETERS[kind]
    for name in PARAMETERS:
        value = getattr(rule, name)
        given = value not in (None, "")
        if given and name not in wanted:
            raise ValidationFailed(f"{name}: not a parameter of a {kind.value} rule.", field=name)
        if not given and name in wanted and (kind, name) not in OPTIONAL:
            raise ValidationFailed(f"{name}: required for a {kind.value} rule.", field=name)
    if kind == RuleKind.DRIFT_SHARE_ABOVE:
        rule.threshold = _number(rule.threshold, field="threshold", low=0.0, high=1.0)
        if rule.threshold >= 1.0:
            raise ValidationFailed(
                "threshold: 1 is out of range (a share can never be above 100%).",
                field="threshold",
            )
    elif kind == RuleKind.FEATURE_DRIFT:
        features = _signature_features(rule.monitor)
        if rule.feature not in features:
            raise ValidationFailed(
                f"feature: {rule.feature!r} is not an input of {rule.monitor.model_version}'s "
                f"signature (inputs: {', '.join(features) or 'none'}).",
                field="feature",
            )
    elif kind == RuleKind.PERFORMANCE:
        task = rule.monitor.model_version.model.task_type
        metrics = METRICS.get(task, {})
        if rule.metric not in metrics:
            raise ValidationFailed(
                f"metric: {rule.metric!r} is not measured for a {task} model "
                f"(use {', '.join(metrics) or 'none: no performance for this task type'}).",
                field="metric",
            )
        if rule.direction not in Direction.values:
            raise ValidationFailed("direction: must be 'below' or 'above'.", field="direction")
        low, high = metrics[rule.metric]
        rule.threshold = _number(rule.threshold, field="threshold", low=low, high=high)
    elif kind == RuleKind.DATA_QUALITY:
        if rule.quality_check not in QualityCheck.values:
            raise ValidationFailed(
                f"quality_check: use one of {', '.join(QualityCheck.values)}.",
                field="quality_check",
            )
        if rule.quality_check == QualityCheck.LOW_VOLUME:
            rule.threshold = _number(rule.threshold, field="threshold", low=1, high=MAX_VOLUME)
            if rule.feature:
                raise ValidationFailed(
                    "feature: a low_volume rule counts rows, not a column.", field="feature"
                )
        else:
            rule.threshold = _number(rule.threshold, field="threshold", low=0.0, high=1.0)
            if rule.threshold >= 1.0:
                raise ValidationFailed(
                    "threshold: 1 is out of range (a share can never be above 100%).",
                    field="threshold",
                )
            columns = [c.name for c in signature_columns(rule.monitor.model_version.signature)]
            if rule.feature and rule.feature not in columns:
                raise ValidationFailed(
                    f"feature: {rule.feature!r} is not a column of the version's signature.",
                    field="feature",
                )
    elif kind == RuleKind.SILENT_FEED:
        rule.silent_hours = _number(rule.silent_hours, field="silent_hours", low=0.25, high=2160)
    rule.note = _text(rule.note, field="note", max_length=TEXT_LIMITS["note"])
    if isinstance(rule.repeat_interval_seconds, bool) or not isinstance(
        rule.repeat_interval_seconds, int
    ):
        raise ValidationFailed(
            "repeat_interval_seconds: must be a whole number of seconds.",
            field="repeat_interval_seconds",
        )
    if not 0 <= rule.repeat_interval_seconds <= MAX_REPEAT_SECONDS:
        raise ValidationFailed(
            f"repeat_interval_seconds: out of range (0 to {MAX_REPEAT_SECONDS}; 0: never).",
            field="repeat_interval_seconds",
        )
    if rule.runbook_url and not rule.runbook_url.startswith(("https://", "http://")):
        raise ValidationFailed("runbook_url: must be an http(s) URL.", field="runbook_url")
    full_clean(rule, exclude=["monitor", "created_by"])


def _channels(value) -> list[Channel]:
    channels = list(value or [])
    if not all(isinstance(channel, Channel) for channel in channels):
        raise ValidationFailed("channels: must be channels.", field="channels")
    return channels


def alert_rule_create(*, actor, monitor: Monitor, kind: str, channels=(), **fields) -> AlertRule:
    require(actor, Action.ALERT_RULE_CONFIGURE, monitor)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(f"{field}: unknown field.", field=field)
    channels = _channels(channels)
    rule = AlertRule(
        monitor=monitor,
        kind=kind,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{
            name: value for name, value in fields.items() if value is not None or name in PARAMETERS
        },
    )
    _nullify_blank(rule)
    _validate_rule(rule)
    with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
        rule.save()
        rule.channels.set(channels)
        audit.record(
            action="monitoring.alert_rule.created",
            actor=actor,
            target=rule,
            changes=audit.created(rule_snapshot(rule)),
        )
    return rule


def _nullify_blank(rule: AlertRule) -> None:
    for name in ("feature", "metric", "direction", "quality_check"):
        if getattr(rule, name) is None:
            setattr(rule, name, "")
    if rule.note is None:
        rule.note = ""
    if rule.runbook_url is None:
        rule.runbook_url = ""


def alert_rule_update(*, actor, rule: AlertRule, **fields) -> AlertRule:
    require(actor, Action.ALERT_RULE_CONFIGURE, rule)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(f"{field}: cannot be changed.", field=field)
    channels = _channels(fields.pop("channels")) if "channels" in fields else None
    with transaction.atomic(durable=True):
        rule = (
            AlertRule.objects.select_for_update(of=("self",))
            .select_related("monitor__model_version__model")
            .get(pk=rule.pk)
        )
        before = rule_snapshot(rule)
        if "kind" in fields and fields["kind"] != rule.kind:
            for name in PARAMETERS:  # a new kind brings its own parameters
                if name not in fields:
                    setattr(rule, name, None if name in ("threshold", "silent_hours") else "")
        for name, value in fields.items():
            setattr(rule, name, value)
        _nullify_blank(rule)
        _validate_rule(rule)
        rule.save()
        if channels is not None:
            rule.channels.set(channels)
        changes = audit.diff(before, rule_snapshot(rule))
        if changes:
            audit.record(
                action="monitoring.alert_rule.updated", actor=actor, target=rule, changes=changes
            )
    return rule


def alert_rule_delete(*, actor, rule: AlertRule) -> None:
    """Remove the rule with its alerts and silences."""
    require(actor, Action.ALERT_RULE_CONFIGURE, rule)
    with transaction.atomic(durable=True):
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        snapshot = rule_snapshot(rule)
        label = str(rule)
        pk = rule.pk
        rule.delete()
        audit.record(
            action="monitoring.alert_rule.deleted",
            actor=actor,
            target_type="monitoring.alertrule",
            target_id=str(pk),
            target_label=label,
            changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        )


def default_rules(monitor: Monitor) -> list[dict]:
    """What a new monitor watches for until someone edits it."""
    return [
        {"kind": RuleKind.DATASET_DRIFT, "severity": Severity.WARNING},
        {
            "kind": RuleKind.SILENT_FEED,
            "severity": Severity.CRITICAL,
            "silent_hours": round(2 * monitor.window_seconds / 3600, 4),
        },
        {"kind": RuleKind.RUN_FAILED, "severity": Severity.WARNING},
    ]


def alert_rules_create_defaults(*, actor, monitor: Monitor) -> list[AlertRule]:
    """The default rules of a new monitor, inside the monitor's own transaction."""
    return [
        alert_rule_create(
            actor=actor, monitor=monitor, repeat_interval_seconds=DEFAULT_REPEAT_SECONDS, **spec
        )
        for spec in default_rules(monitor)
    ]


# --- acknowledging and resolving by hand ------------------------------------------------------


def _alert_for_update(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("rule__monitor__model_version__model", "acknowledged_by", "resolved_by")
        .get(pk=alert.pk)
    )


def _follow_up(alert: Alert, event_type: str, now: datetime) -> list[AlertEvent]:
    rule = alert.rule
    silences = notifying.active_silences(
        rule_ids=[rule.pk],
        monitor_ids=[rule.monitor_id],
        model_ids=[rule.monitor.model_version.model_id],
        at=now,
    )
    if notifying.is_muted(rule, silences):
        return [AlertEvent(alert=alert, kind=AlertEventKind.MUTED, at=now, note="silenced")]
    notification = notifying.send_follow_up(alert, rule, event_type)
    if notification is None:
        return []
    return [
        AlertEvent(alert=alert, kind=AlertEventKind.NOTIFIED, at=now, notification=notification)
    ]


def alert_acknowledge(*, actor, alert: Alert, note: str = "") -> Alert:
    """firing → acknowledged: no more reminders; whoever was told it fired hears who took it."""
    require(actor, Action.ALERT_RESPOND, alert)
    note = _text(note, field="note", max_length=TEXT_LIMITS["acknowledge_note"])
    now = timezone.now()
    with transaction.atomic(durable=True):
        alert = _alert_for_update(alert)
        if alert.state != AlertState.FIRING:
            raise Conflict(
                f"state: the alert is {alert.state}; only a firing alert can be acknowledged.",
                field="state",
            )
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by, alert.acknowledge_note = now, actor, note
        alert.save(
            update_fields=["state", "acknowledged_at", "acknowledged_by", "acknowledge_note"]
        )
        audit.record(
            action="monitoring.alert.acknowledged",
            actor=actor,
            target=alert,
            changes={
                "state": {"before": AlertState.FIRING, "after": AlertState.ACKNOWLEDGED},
                "note": {"before": "", "after": note},
            },
        )
        events = [
            AlertEvent(
                alert=alert, kind=AlertEventKind.ACKNOWLEDGED, at=now, actor=actor, note=note
            )
        ]
        events += _follow_up(alert, notifying.EVENT_ACKNOWLEDGED, now)
        AlertEvent.objects.bulk_create(events)
    return alert


def alert_resolve(*, actor, alert: Alert, note: str = "") -> Alert:
    """firing / acknowledged → resolved by hand; if the condition still holds, the next
    evaluation opens a new alert."""
    require(actor, Action.ALERT_RESPOND, alert)
    note = _text(note, field="note", max_length=TEXT_LIMITS["acknowledge_note"])
    now = timezone.now()
    with transaction.atomic(durable=True):
        alert = _alert_for_update(alert)
        if alert.state not in OPEN_STATES:
            raise Conflict("state: the alert is resolved already.", field="state")
        before = alert.state
        alert.state, alert.resolved_at, alert.resolved_by = AlertState.RESOLVED, now, actor
        alert.resolve_note = note
        alert.save(update_fields=["state", "resolved_at", "resolved_by", "resolve_note"])
        audit.record(
            action="monitoring.alert.resolved",
            actor=actor,
            target=alert,
            changes={
                "state": {"before": before, "after": AlertState.RESOLVED},
                "note": {"before": "", "after": note},
            },
        )
        events = [
            AlertEvent(alert=alert, kind=AlertEventKind.RESOLVED, at=now, actor=actor, note=note)
        ]
        events += _follow_up(alert, notifying.EVENT_RESOLVED, now)
        AlertEvent.objects.bulk_create(events)
    return alert


# --- silences --------------------------------------------------------------------------------


def silence_create(
    *,
    actor,
    ends_at: datetime,
    reason: str,
    starts_at: datetime | None = None,
    rule: AlertRule | None = None,
    monitor: Monitor | None = None,
    model: RegisteredModel | None = None,
) -> Silence:
    """Mute a rule, a monitor or a model from ``starts_at`` (default now) to ``ends_at``."""
    scopes = [
        name for name, value in (("rule", rule), ("monitor", monitor), ("model", model)) if value
    ]
    if len(scopes) != 1:
        raise ValidationFailed(
            "rule: name exactly one of rule, monitor or model to silence.", field="rule"
        )
    target = rule or monitor or model
    require(actor, Action.ALERT_RESPOND, target)
    reason = _text(reason, field="reason", max_length=TEXT_LIMITS["reason"], required=True)
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at <= starts_at:
        raise ValidationFailed(
            f"ends_at: {ends_at.isoformat()} is not after starts_at ({starts_at.isoformat()}).",
            field="ends_at",
        )
    if ends_at <= now:
        raise ValidationFailed("ends_at: the silence would be over already.", field="ends_at")
    if ends_at - starts_at > MAX_SILENCE:
        raise ValidationFailed(
            f"ends_at: a silence lasts at most {MAX_SILENCE.days} days.", field="ends_at"
        )
    silence = Silence(
        rule=rule,
        monitor=monitor,
        model=model,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    full_clean(silence, exclude=["rule", "monitor", "model", "created_by"])
    with transaction.atomic(durable=True):
        silence.save()
        audit.record(
            action="monitoring.silence.created",
            actor=actor,
            target=silence,
            changes=audit.created(
                {
                    "scope": silence.scope,
                    "target": target.pk,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "reason": reason,
                }
            ),
        )
    return silence


def silence_expire(*, actor, silence: Silence) -> Silence:
    """End a silence now (it stays listed, with its real end)."""
    require(actor, Action.ALERT_RESPOND, silence)
    now = timezone.now()
    with transaction.atomic(durable=True):
        silence = Silence.objects.select_for_update().get(pk=silence.pk)
        if silence.ends_at <= now:
            raise Conflict("ends_at: the silence is over already.", field="ends_at")
        before = silence.ends_at
        silence.ends_at = max(now, silence.starts_at + timedelta(microseconds=1))
        silence.save(update_fields=["ends_at"])
        audit.record(
            action="monitoring.silence.expired",
            actor=actor,
            target=silence,
            changes={"ends_at": {"before": before, "after": silence.ends_at}},
        )
    return silence
