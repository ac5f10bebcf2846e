"""Ingest API serializers: strict input shapes, separate output shapes."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mlops_portal.api.base import JSONObjectField, StrictBooleanField, StrictInputSerializer
from registry.api.serializers import VersionRefSerializer

# --- fields ----------------------------------------------------------------------------------


@extend_schema_field({"type": "array", "items": {"type": "object", "additionalProperties": {}}})
class RawListField(serializers.Field):
    """A JSON list passed through untouched: its rows are validated column-wise by the service,
    never one serializer per row."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Must be a list.")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.ANY)
class RawValueField(serializers.Field):
    """Any JSON value, checked by the service against the model version's signature."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


# --- input -----------------------------------------------------------------------------------


class RecordsInputSerializer(StrictInputSerializer):
    records = RawListField()
    skip_bad_rows = StrictBooleanField(default=False)


class PredictionInputSerializer(StrictInputSerializer):
    features = JSONObjectField()
    prediction = RawValueField(required=False)
    prediction_id = RawValueField(required=False)
    timestamp = RawValueField(required=False)


class LabelsInputSerializer(StrictInputSerializer):
    labels = RawListField()
    skip_bad_rows = StrictBooleanField(default=False)


class FileUploadInputSerializer(StrictInputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    skip_bad_rows = serializers.BooleanField(default=False)


# --- output ----------------------------------------------------------------------------------


class SkipReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()
    first_row = serializers.CharField()


# What every stored batch shows; production batches add their quality and time span.
class LabelBatchOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model_version = VersionRefSerializer()
    source = serializers.CharField()
    idempotency_key = serializers.CharField()
    row_count = serializers.IntegerField()
    skipped_rows = serializers.IntegerField()
    skip_reasons = SkipReasonSerializer(many=True)
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class BatchOutputSerializer(LabelBatchOutputSerializer):
    quality = serializers.DictField()
    first_timestamp = serializers.DateTimeField()
    last_timestamp = serializers.DateTimeField()


class PredictionAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
