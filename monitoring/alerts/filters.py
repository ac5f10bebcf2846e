"""Alert list filters, defined once: the selectors apply them for pages and API alike."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from mlops_portal.api.base import StrictFilterSet
from monitoring.alerts.models import Alert, AlertRule, AlertState, RuleKind, Silence
from monitoring.filters import IdFilter, TrueFalseFilter
from notifications.models import Severity


class AlertFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=AlertState.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    model = django_filters.CharFilter(field_name="model__name", label="Model name.")
    monitor = IdFilter(field_name="monitor_id")
    rule = IdFilter(field_name="rule_id")

    class Meta:
        model = Alert
        fields: list[str] = []


class AlertRuleFilter(StrictFilterSet):
    monitor = IdFilter(field_name="monitor_id")
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices)
    model = django_filters.CharFilter(
        field_name="monitor__model_version__model__name", label="Model name."
    )
    enabled = TrueFalseFilter()

    class Meta:
        model = AlertRule
        fields: list[str] = []


def _active(queryset, name, value):
    now = timezone.now()
    active = Q(starts_at__lte=now, ends_at__gt=now)
    return queryset.filter(active) if value else queryset.exclude(active)


class SilenceFilter(StrictFilterSet):
    active = TrueFalseFilter(method=_active, label="In force now.")
    model = django_filters.CharFilter(field_name="model__name", label="Model name.")
    monitor = IdFilter(field_name="monitor_id")
    rule = IdFilter(field_name="rule_id")

    class Meta:
        model = Silence
        fields: list[str] = []
