"""Alert reads: each takes the user, checks the role once and brings the joins its page or
endpoint needs, so query counts stay flat however many rows are shown."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from governance.roles import Action, may, require
from mlops_portal.errors import first_or_not_found
from monitoring.alerts.filters import AlertFilter, AlertRuleFilter, SilenceFilter
from monitoring.alerts.models import OPEN_STATES, Alert, AlertEvent, AlertRule, Silence
from registry.models import ModelVersion, RegisteredModel

FIRING_SHOWN = 20


def alert_rule_list(*, user, filters=None) -> QuerySet[AlertRule]:
    require(user, Action.ALERT_VIEW)
    rules = AlertRule.objects.select_related(
        "monitor__model_version__model", "created_by"
    ).prefetch_related("channels")
    return AlertRuleFilter.apply(filters, rules).order_by("monitor_id", "pk")


def alert_rule_get(*, user, pk: int) -> AlertRule:
    return first_or_not_found(alert_rule_list(user=user).filter(pk=pk), f"id: no alert rule {pk}.")


def alert_list(*, user, filters=None) -> QuerySet[Alert]:
    """Most severe first, then newest."""
    require(user, Action.ALERT_VIEW)
    alerts = Alert.objects.select_related(
        "rule", "monitor__model_version", "model", "acknowledged_by", "resolved_by"
    )
    return AlertFilter.apply(filters, alerts).order_by("severity_rank", "-started_at", "-pk")


def alert_get(*, user, pk: int) -> Alert:
    """One alert with its timeline (events with their actors and notifications)."""
    events = AlertEvent.objects.select_related("actor", "notification", "run").order_by("at", "pk")
    alerts = (
        alert_list(user=user)
        .select_related("run")
        .prefetch_related("rule__channels", Prefetch("events", queryset=events))
    )
    return first_or_not_found(alerts.filter(pk=pk), f"id: no alert {pk}.")


def firing_alerts(*, user, model=None, version=None, monitor=None) -> list[Alert]:
    """The open alerts a model, version or monitor page shows; empty for non-readers."""
    if not may(user, Action.ALERT_VIEW):
        return []
    alerts = alert_list(user=user).filter(state__in=OPEN_STATES)
    if monitor is not None:
        alerts = alerts.filter(monitor=monitor)
    elif isinstance(version, ModelVersion):
        alerts = alerts.filter(monitor__model_version=version)
    elif isinstance(model, RegisteredModel):
        alerts = alerts.filter(model=model)
    return list(alerts[:FIRING_SHOWN])


def silence_list(*, user, filters=None) -> QuerySet[Silence]:
    require(user, Action.ALERT_VIEW)
    silences = Silence.objects.select_related(
        "rule__monitor", "monitor__model_version__model", "model", "created_by"
    )
    return SilenceFilter.apply(filters, silences).order_by("-ends_at", "-pk")


def silence_get(*, user, pk: int) -> Silence:
    return first_or_not_found(silence_list(user=user).filter(pk=pk), f"id: no silence {pk}.")


def silences_covering(*, user, alert: Alert) -> list[Silence]:
    """The silences in force now that mute this alert's rule, monitor or model."""
    now = timezone.now()
    return list(
        silence_list(user=user).filter(
            Q(rule_id=alert.rule_id) | Q(monitor_id=alert.monitor_id) | Q(model_id=alert.model_id),
            starts_at__lte=now,
            ends_at__gt=now,
        )
    )
