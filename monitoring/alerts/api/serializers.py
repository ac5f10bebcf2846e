"""Alert API serializers: strict input shapes (ranges are the services' to check, naming the
field), separate output shapes."""

from __future__ import annotations

from rest_framework import serializers

from mlops_portal.api.base import (
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
)
from monitoring.alerts.models import (
    MAX_REPEAT_SECONDS,
    AlertEventKind,
    AlertRule,
    AlertState,
    Direction,
    QualityCheck,
    RuleKind,
)
from monitoring.api.serializers import StrictFloatField
from monitoring.models import Monitor
from notifications.models import Channel, Severity
from registry.models import RegisteredModel

# --- input -----------------------------------------------------------------------------------


class AlertRuleFieldsInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    enabled = StrictBooleanField(required=False)
    channels = serializers.ListField(
        child=StrictPrimaryKeyRelatedField(queryset=Channel.objects.all()),
        required=False,
        max_length=50,
    )
    repeat_interval_seconds = StrictIntegerField(
        required=False, min_value=0, max_value=MAX_REPEAT_SECONDS
    )
    runbook_url = StrictCharField(required=False, allow_blank=True, max_length=2000)
    note = StrictCharField(required=False, allow_blank=True, max_length=5000)
    threshold = StrictFloatField(required=False, allow_null=True)
    feature = StrictCharField(required=False, allow_blank=True, max_length=200)
    metric = StrictCharField(required=False, allow_blank=True, max_length=30)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True)
    quality_check = serializers.ChoiceField(
        choices=QualityCheck.choices, required=False, allow_blank=True
    )
    silent_hours = StrictFloatField(required=False, allow_null=True)


class AlertRuleCreateInputSerializer(AlertRuleFieldsInputSerializer):
    monitor = serializers.PrimaryKeyRelatedField(queryset=Monitor.objects.all())


class AlertRuleUpdateInputSerializer(AlertRuleFieldsInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class AlertNoteInputSerializer(StrictInputSerializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class SilenceCreateInputSerializer(StrictInputSerializer):
    rule = serializers.PrimaryKeyRelatedField(queryset=AlertRule.objects.all(), required=False)
    monitor = serializers.PrimaryKeyRelatedField(queryset=Monitor.objects.all(), required=False)
    model = StrictSlugRelatedField(
        slug_field="name", queryset=RegisteredModel.objects.all(), required=False
    )
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField()
    reason = StrictCharField(max_length=500)


# --- output ----------------------------------------------------------------------------------


class AlertRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    monitor = serializers.IntegerField(source="monitor_id")
    model = serializers.CharField(source="monitor.model_version.model.name")
    version = serializers.IntegerField(source="monitor.model_version.version")
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    description = serializers.CharField(source="describe")
    severity = serializers.ChoiceField(choices=Severity.choices)
    enabled = serializers.BooleanField()
    channels = serializers.SerializerMethodField()
    repeat_interval_seconds = serializers.IntegerField()
    runbook_url = serializers.CharField()
    note = serializers.CharField()
    threshold = serializers.FloatField(allow_null=True)
    feature = serializers.CharField()
    metric = serializers.CharField()
    direction = serializers.CharField()
    quality_check = serializers.CharField()
    silent_hours = serializers.FloatField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_channels(self, rule) -> list[int]:
        return [channel.pk for channel in rule.channels.all()]


class AlertRuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    description = serializers.CharField(source="describe")


class MonitorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AlertState.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    summary = serializers.CharField()
    subject = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    silenced = serializers.BooleanField()
    rule = AlertRuleRefSerializer()
    monitor = MonitorRefSerializer()
    model = serializers.CharField(source="model.name")
    version = serializers.IntegerField(source="monitor.model_version.version")
    run = serializers.IntegerField(source="run_id", allow_null=True)
    started_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    last_notified_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    acknowledge_note = serializers.CharField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(
        source="resolved_by.username", allow_null=True, default=None
    )
    resolve_note = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, alert) -> str:
        return f"/alerts/{alert.pk}/"


class AlertEventOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertEventKind.choices)
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    note = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    run = serializers.IntegerField(source="run_id", allow_null=True)
    notification = serializers.IntegerField(source="notification_id", allow_null=True)


class AlertDetailOutputSerializer(AlertOutputSerializer):
    events = AlertEventOutputSerializer(many=True)


class SilenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.ChoiceField(choices=["rule", "monitor", "model"])
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    monitor = serializers.IntegerField(source="monitor_id", allow_null=True)
    model = serializers.CharField(source="model.name", allow_null=True, default=None)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
