"""What an alert tells people, through ``notifications.services.notify`` (the one way the portal
notifies): the webhook payload, who hears of each transition, and whether a silence mutes it.

``notify`` runs inside the caller's transaction and sends nothing before it commits.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q

from monitoring.alerts.models import Alert, AlertRule, Silence
from notifications.models import Channel, Delivery, InboxEntry, Notification
from notifications.services import notify

EVENT_FIRING = "alert.firing"
EVENT_ACKNOWLEDGED = "alert.acknowledged"
EVENT_RESOLVED = "alert.resolved"


def alert_url(alert: Alert) -> str:
    """The alert's page (route ``alert-detail``), a portal path ``notify`` makes absolute."""
    return f"/alerts/{alert.pk}/"


def payload(alert: Alert, rule: AlertRule, *, reminder: bool = False) -> dict:
    """The webhook event's ``data`` besides what ``notify`` adds itself (``model``,
    ``severity``, ``subject``, ``summary``, ``url``, ``notification_id``)."""
    monitor = rule.monitor
    version = monitor.model_version
    return {
        "alert": {
            "id": alert.pk,
            "state": alert.state,
            "subject": alert.subject,
            "value": alert.value,
            "count": alert.count,
            "started_at": alert.started_at,
            "last_seen_at": alert.last_seen_at,
            "acknowledged_at": alert.acknowledged_at,
            "acknowledged_by": (
                alert.acknowledged_by.get_username() if alert.acknowledged_by_id else None
            ),
            "acknowledge_note": alert.acknowledge_note,
            "resolved_at": alert.resolved_at,
            "run": alert.run_id,
            "reminder": reminder,
        },
        "rule": {
            "id": rule.pk,
            "kind": rule.kind,
            "description": rule.describe(),
            "runbook_url": rule.runbook_url,
            "note": rule.note,
        },
        "version": version.version,
        "monitor": {"id": monitor.pk, "name": monitor.name},
    }


def _subject(alert: Alert, rule: AlertRule, event_type: str) -> str:
    version = rule.monitor.model_version
    prefix = {
        EVENT_FIRING: "FIRING",
        EVENT_ACKNOWLEDGED: "ACKNOWLEDGED",
        EVENT_RESOLVED: "RESOLVED",
    }[event_type]
    return f"[{prefix}] {version.model.name} v{version.version}: {alert.summary}"[:200]


def _summary(alert: Alert, rule: AlertRule, event_type: str) -> str:
    lines = [
        f"{alert.summary}",
        f"Rule: {rule.describe()} (severity {alert.severity}) on monitor {rule.monitor.name}.",
        f"Firing since {alert.started_at:%Y-%m-%d %H:%M} UTC, seen {alert.count} time(s).",
    ]
    if event_type == EVENT_ACKNOWLEDGED and alert.acknowledged_by_id:
        note = f": {alert.acknowledge_note}" if alert.acknowledge_note else ""
        lines.append(f"Acknowledged by {alert.acknowledged_by.get_username()}{note}")
    if event_type == EVENT_RESOLVED:
        who = alert.resolved_by.get_username() if alert.resolved_by_id else "the next evaluation"
        lines.append(f"Resolved by {who}.")
    if rule.runbook_url:
        lines.append(f"Runbook: {rule.runbook_url}")
    if rule.note:
        lines.append(rule.note)
    return "\n".join(lines)[:5000]


def send_firing(alert: Alert, rule: AlertRule, *, reminder: bool = False) -> Notification:
    """To the model's subscribers and owners (by their thresholds) and the rule's channels."""
    key = f"alert:{alert.pk}:reminder:{alert.count}" if reminder else f"alert:{alert.pk}:firing"
    return notify(
        event_type=EVENT_FIRING,
        severity=alert.severity,
        subject=_subject(alert, rule, EVENT_FIRING),
        summary=_summary(alert, rule, EVENT_FIRING),
        url=alert_url(alert),
        model=rule.monitor.model_version.model,
        payload=payload(alert, rule, reminder=reminder),
        channels=list(rule.channels.all()),
        dedupe_key=key,
    )


def send_follow_up(alert: Alert, rule: AlertRule, event_type: str) -> Notification | None:
    """Acknowledged / resolved: to whoever the firing notification reached (its inbox entries,
    its channels and the users it emailed), nobody else; nothing when it was never sent (fired
    under a silence)."""
    if alert.notification_id is None:
        return None
    users = InboxEntry.objects.filter(notification_id=alert.notification_id).values_list(
        "user_id", flat=True
    )
    recipients = list(get_user_model().objects.filter(pk__in=list(users)))
    emailed = set(
        Delivery.objects.filter(
            notification_id=alert.notification_id, recipient__isnull=False
        ).values_list("recipient_id", flat=True)
    )
    channels = list(
        Channel.objects.filter(deliveries__notification_id=alert.notification_id).distinct()
    )
    return notify(
        event_type=event_type,
        severity=alert.severity,
        subject=_subject(alert, rule, event_type),
        summary=_summary(alert, rule, event_type),
        url=alert_url(alert),
        model=rule.monitor.model_version.model,
        payload=payload(alert, rule),
        recipients=recipients,
        channels=channels,
        email_recipients=[user for user in recipients if user.pk in emailed],
        include_subscribers=False,
        dedupe_key=f"alert:{alert.pk}:{event_type.split('.')[1]}",
    )


def active_silences(
    *, rule_ids, monitor_ids, model_ids, at: datetime
) -> tuple[set[int], set[int], set[int]]:
    """(silenced rule ids, monitor ids, model ids) at ``at``: one query."""
    rows = Silence.objects.filter(starts_at__lte=at, ends_at__gt=at).filter(
        Q(rule_id__in=list(rule_ids))
        | Q(monitor_id__in=list(monitor_ids))
        | Q(model_id__in=list(model_ids))
    )
    rules, monitors, models = set(), set(), set()
    for rule_id, monitor_id, model_id in rows.values_list("rule_id", "monitor_id", "model_id"):
        if rule_id:
            rules.add(rule_id)
        if monitor_id:
            monitors.add(monitor_id)
        if model_id:
            models.add(model_id)
    return rules, monitors, models


def is_muted(rule: AlertRule, silences: tuple[set[int], set[int], set[int]]) -> bool:
    rules, monitors, models = silences
    return (
        rule.pk in rules
        or rule.monitor_id in monitors
        or rule.monitor.model_version.model_id in models
    )
