"""factory_boy factories for alert rules, alerts and silences (test set-up only)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from monitoring.alerts.models import Alert, AlertRule, AlertState, RuleKind, Silence
from tests.monitoring.factories import DriftRunFactory, MonitorFactory


class AlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRule
        skip_postgeneration_save = True

    monitor = factory.SubFactory(MonitorFactory)
    kind = RuleKind.DATASET_DRIFT
    severity = "warning"

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if create and extracted:
            self.channels.set(extracted)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    rule = factory.SubFactory(AlertRuleFactory)
    monitor = factory.LazyAttribute(lambda o: o.rule.monitor)
    model = factory.LazyAttribute(lambda o: o.rule.monitor.model_version.model)
    state = AlertState.FIRING
    severity = factory.LazyAttribute(lambda o: o.rule.severity)
    severity_rank = factory.LazyAttribute(
        lambda o: {"critical": 0, "warning": 1, "info": 2}[o.severity]
    )
    summary = "dataset drift: 2 of 3 features drifted"
    value = 0.67
    run = factory.LazyAttribute(lambda o: DriftRunFactory(monitor=o.rule.monitor))
    started_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyAttribute(lambda o: o.started_at)


class SilenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Silence

    monitor = factory.SubFactory(MonitorFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))
    reason = "maintenance"
