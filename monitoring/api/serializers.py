"""Monitoring API serializers: strict input shapes, separate output shapes."""

from __future__ import annotations

import math

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from drift import CATEGORICAL, CORRECTIONS, METHODS, NUMERICAL, PRESETS
from mlops_portal.api.base import (
    JSONObjectField,
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictSlugField,
)
from monitoring.models import (
    MAX_WINDOW_SECONDS,
    MIN_WINDOW_SECONDS,
    JobStatus,
    ReferenceDataset,
    ScheduleKind,
)
from monitoring.services.scheduling import MAX_BACKFILL_WINDOWS
from registry.api.serializers import VersionRefSerializer
from registry.models import ModelVersion

# --- fields ----------------------------------------------------------------------------------


class StrictFloatField(serializers.FloatField):
    """A number (not a string or a boolean), finite."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- input -----------------------------------------------------------------------------------


class ReferenceUploadInputSerializer(StrictInputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


def _methods_for(column_type: str) -> list[str]:
    return ["", *sorted(name for name, spec in METHODS.items() if column_type in spec.column_types)]


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string", "enum": sorted(METHODS)}}
)
class MethodOverridesField(JSONObjectField):
    """Column name -> drift method."""


@extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
class ThresholdOverridesField(JSONObjectField):
    """Column name -> threshold."""


@extend_schema_field({"type": "object", "additionalProperties": {"enum": list(PRESETS)}})
class PresetOverridesField(JSONObjectField):
    """Column name -> drift preset."""


class MonitorFieldsInputSerializer(StrictInputSerializer):
    name = StrictSlugField(max_length=100)
    description = StrictCharField(required=False, allow_blank=True)
    reference = serializers.PrimaryKeyRelatedField(queryset=ReferenceDataset.objects.all())
    window_seconds = StrictIntegerField(
        required=False, min_value=MIN_WINDOW_SECONDS, max_value=MAX_WINDOW_SECONDS
    )
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices, required=False)
    interval_seconds = StrictIntegerField(
        required=False, allow_null=True, min_value=60, max_value=2**31 - 1
    )
    crontab = StrictCharField(required=False, allow_blank=True, max_length=100)
    features = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    method_overrides = MethodOverridesField(required=False)
    threshold_overrides = ThresholdOverridesField(required=False)
    default_method_numerical = serializers.ChoiceField(
        choices=_methods_for(NUMERICAL), required=False, allow_blank=True
    )
    default_method_categorical = serializers.ChoiceField(
        choices=_methods_for(CATEGORICAL), required=False, allow_blank=True
    )
    drift_share = StrictFloatField(
        source="drift_share_threshold", required=False, min_value=0.01, max_value=1.0
    )
    correction = serializers.ChoiceField(
        choices=["", *[c for c in CORRECTIONS if c]], required=False, allow_blank=True
    )
    preset = serializers.ChoiceField(choices=list(PRESETS), required=False)
    preset_overrides = PresetOverridesField(required=False)
    effect_threshold = StrictFloatField(required=False, min_value=0.0, max_value=1.0)
    min_sample_size = StrictIntegerField(required=False, min_value=1, max_value=2**31 - 1)
    enabled = StrictBooleanField(required=False)


class MonitorCreateInputSerializer(MonitorFieldsInputSerializer):
    model_version = serializers.PrimaryKeyRelatedField(queryset=ModelVersion.objects.all())


class MonitorUpdateInputSerializer(MonitorFieldsInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class BackfillInputSerializer(StrictInputSerializer):
    windows = StrictIntegerField(min_value=1, max_value=MAX_BACKFILL_WINDOWS)


# --- output ----------------------------------------------------------------------------------


class JobOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.IntegerField()
    stage = serializers.CharField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)


class ReferenceOutputSerializer(JobOutputSerializer):
    id = serializers.IntegerField()
    model_version = VersionRefSerializer()
    name = serializers.CharField()
    original_filename = serializers.CharField()
    file_format = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    row_count = serializers.IntegerField(allow_null=True)
    column_types = serializers.DictField(child=serializers.CharField())
    summary = serializers.DictField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class LatestRunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="latest_run_id")
    status = serializers.CharField(source="latest_run_status")
    window_end = serializers.DateTimeField(source="latest_window_end")
    dataset_drift = serializers.BooleanField(source="latest_dataset_drift", allow_null=True)
    drift_share = serializers.FloatField(source="latest_drift_share", allow_null=True)


class MonitorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    model_version = VersionRefSerializer()
    reference = serializers.IntegerField(source="reference_id")
    window_seconds = serializers.IntegerField()
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices)
    interval_seconds = serializers.IntegerField(allow_null=True)
    crontab = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())
    method_overrides = serializers.DictField(child=serializers.CharField())
    threshold_overrides = serializers.DictField(child=serializers.FloatField())
    default_method_numerical = serializers.CharField()
    default_method_categorical = serializers.CharField()
    drift_share = serializers.FloatField(source="drift_share_threshold")
    correction = serializers.CharField()
    preset = serializers.ChoiceField(choices=list(PRESETS))
    preset_overrides = serializers.DictField(child=serializers.CharField())
    effect_threshold = serializers.FloatField()
    min_sample_size = serializers.IntegerField()
    enabled = serializers.BooleanField()
    periodic_task = serializers.CharField(
        source="periodic_task.name", allow_null=True, default=None
    )
    latest_run = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_latest_run(self, monitor) -> dict | None:
        if getattr(monitor, "latest_run_id", None) is None:
            return None
        return LatestRunSerializer(monitor).data


class DriftRunOutputSerializer(JobOutputSerializer):
    id = serializers.IntegerField()
    monitor = serializers.IntegerField(source="monitor_id")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    trigger = serializers.CharField()
    is_partial = serializers.BooleanField()
    computed_through = serializers.DateTimeField(allow_null=True)
    reference_rows = serializers.IntegerField(allow_null=True)
    current_rows = serializers.IntegerField(allow_null=True)
    batch_count = serializers.IntegerField(allow_null=True)
    dataset_drift = serializers.BooleanField(allow_null=True)
    drift_share = serializers.FloatField(allow_null=True)
    drift_share_threshold = serializers.FloatField(allow_null=True)
    n_features = serializers.IntegerField(allow_null=True)
    n_tested = serializers.IntegerField(allow_null=True)
    n_drifted = serializers.IntegerField(allow_null=True)
    performance = serializers.DictField()
    labelled_rows = serializers.IntegerField(allow_null=True)
    config = serializers.DictField()
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )


class FeatureDriftOutputSerializer(serializers.Serializer):
    feature = serializers.CharField()
    column_type = serializers.CharField()
    method = serializers.CharField()
    statistic = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    drifted = serializers.BooleanField()
    status = serializers.CharField()
    psi = serializers.FloatField(allow_null=True)
    severity = serializers.FloatField(allow_null=True)
    n_current = serializers.IntegerField()
    n_current_null = serializers.IntegerField()
    n_current_unseen = serializers.IntegerField()
    message = serializers.CharField()
    preset = serializers.CharField()
    effect_size = serializers.FloatField(allow_null=True)
    effect_measure = serializers.CharField()
    effect_threshold = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(allow_null=True)
    reference_histogram = serializers.DictField(allow_null=True)
    current_histogram = serializers.DictField(allow_null=True)


class BackfillOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    monitor = serializers.IntegerField(source="monitor_id")
    windows = serializers.IntegerField()
    window_seconds = serializers.IntegerField()
    first_window_start = serializers.DateTimeField()
    last_window_end = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    runs_finished = serializers.IntegerField()
    runs_failed = serializers.IntegerField()
    progress = serializers.IntegerField()
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
