"""Registry API serializers: separate input (strict) and output shapes."""

from __future__ import annotations

from django.contrib.auth.models import Group
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mlops_portal.api.base import (
    JSONObjectField,
    NumberMapField,
    ScalarMapField,
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugField,
    StrictSlugRelatedField,
)
from registry.models import (
    DESCRIPTION_MAX_LENGTH,
    DatasetVersion,
    ModelVersion,
    RegisteredModel,
    RiskTier,
    Stage,
    TaskType,
    sha256_validator,
)
from registry.services import COLUMN_DESCRIPTION_MAX_LENGTH, SIGNATURE_TYPES

# --- output ----------------------------------------------------------------------------------


class ModelOutputSerializer(serializers.ModelSerializer):
    owner_group = serializers.CharField(source="owner_group.name", allow_null=True, default=None)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = RegisteredModel
        fields = [
            "id",
            "name",
            "description",
            "owner_group",
            "task_type",
            "risk_tier",
            "tags",
            "version_count",
            "production_version",
            "created_at",
            "updated_at",
        ]


class DatasetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.CharField()


class VersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField(source="model.name")
    version = serializers.IntegerField()


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()


class SignatureSerializer(serializers.Serializer):
    inputs = ColumnSerializer(many=True, required=False)
    outputs = ColumnSerializer(many=True, required=False)


class VersionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField(source="model.name")
    version = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_changed_at = serializers.DateTimeField(allow_null=True)
    description = serializers.CharField()
    artifact_uri = serializers.CharField()
    artifact_sha256 = serializers.CharField()
    framework = serializers.CharField()
    signature = SignatureSerializer()
    params = serializers.DictField()
    metrics = serializers.DictField(child=serializers.FloatField())
    code_repository = serializers.CharField()
    code_commit = serializers.CharField()
    run_id = serializers.CharField()
    parent = VersionRefSerializer(allow_null=True)
    trained_on = DatasetRefSerializer(many=True)
    evaluated_on = DatasetRefSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class DatasetOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.CharField()
    uri = serializers.CharField()
    sha256 = serializers.CharField()
    row_count = serializers.IntegerField(allow_null=True)
    schema = ColumnSerializer(many=True)
    description = serializers.CharField()
    owner_group = serializers.CharField(source="owner_group.name", allow_null=True, default=None)
    derived_from = DatasetRefSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class LineageNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=["model_version", "dataset_version"])
    label = serializers.CharField()


class LineageEdgeSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    relation = serializers.ChoiceField(choices=["trained_on", "evaluated_on", "derived_from"])
    source_label = serializers.CharField()
    target_label = serializers.CharField()


class LineageOutputSerializer(serializers.Serializer):
    root = serializers.CharField()
    nodes = serializers.ListField(child=serializers.DictField())
    edges = LineageEdgeSerializer(many=True)


# --- input -----------------------------------------------------------------------------------


class ColumnInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=200)
    type = serializers.ChoiceField(choices=SIGNATURE_TYPES)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=COLUMN_DESCRIPTION_MAX_LENGTH
    )


class SignatureInputSerializer(StrictInputSerializer):
    """The input and output columns a model version takes and returns."""

    inputs = ColumnInputSerializer(many=True, required=False)
    outputs = ColumnInputSerializer(many=True, required=False)


@extend_schema_field(SignatureInputSerializer)
class SignatureField(JSONObjectField):
    """A signature object, passed to the registry service as sent: the service checks and
    trims it (field paths like ``signature.inputs.0.type``), for the API and the pages alike,
    and DRF's nested serializers would double the cost of creating a version."""


def _group_field(**kwargs):
    return StrictSlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), allow_null=True, **kwargs
    )


class ModelCreateInputSerializer(StrictInputSerializer):
    name = StrictSlugField(max_length=100)
    description = StrictCharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH
    )
    owner_group = _group_field(required=False, default=None)
    task_type = serializers.ChoiceField(choices=TaskType.choices, default=TaskType.CLASSIFICATION)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, default=RiskTier.MEDIUM)
    tags = serializers.ListField(child=StrictSlugField(max_length=50), default=list)


class ModelUpdateInputSerializer(StrictInputSerializer):
    description = StrictCharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    owner_group = _group_field(required=False)
    task_type = serializers.ChoiceField(choices=TaskType.choices, required=False)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, required=False)
    tags = serializers.ListField(child=StrictSlugField(max_length=50), required=False)


def _dataset_list_field(**kwargs):
    return StrictPrimaryKeyRelatedField(queryset=DatasetVersion.objects.all(), many=True, **kwargs)


class VersionFieldsInputSerializer(StrictInputSerializer):
    description = StrictCharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    artifact_uri = StrictCharField(required=False, allow_blank=True, max_length=1024)
    artifact_sha256 = StrictCharField(
        required=False, allow_blank=True, max_length=64, validators=[sha256_validator]
    )
    framework = StrictCharField(required=False, allow_blank=True, max_length=50)
    signature = SignatureField(required=False)
    params = ScalarMapField(required=False)
    metrics = NumberMapField(required=False)
    code_repository = StrictCharField(required=False, allow_blank=True, max_length=500)
    code_commit = StrictCharField(required=False, allow_blank=True, max_length=64)
    run_id = StrictCharField(required=False, allow_blank=True, max_length=100)
    parent = StrictPrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(), required=False, allow_null=True
    )
    trained_on = _dataset_list_field(required=False)
    evaluated_on = _dataset_list_field(required=False)


class VersionCreateInputSerializer(VersionFieldsInputSerializer):
    model = StrictSlugRelatedField(slug_field="name", queryset=RegisteredModel.objects.all())


class VersionUpdateInputSerializer(VersionFieldsInputSerializer):
    pass


class StageChangeInputSerializer(StrictInputSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    archive_existing = StrictBooleanField(default=False)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)


class DatasetCreateInputSerializer(StrictInputSerializer):
    name = StrictSlugField(max_length=100)
    version = StrictSlugField(max_length=50)
    uri = StrictCharField(required=False, allow_blank=True, max_length=1024)
    sha256 = StrictCharField(
        required=False, allow_blank=True, max_length=64, validators=[sha256_validator]
    )
    row_count = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**63 - 1
    )
    schema = ColumnInputSerializer(many=True, required=False)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    owner_group = _group_field(required=False)
    derived_from = _dataset_list_field(required=False)


class DatasetUpdateInputSerializer(StrictInputSerializer):
    uri = StrictCharField(required=False, allow_blank=True, max_length=1024)
    sha256 = StrictCharField(
        required=False, allow_blank=True, max_length=64, validators=[sha256_validator]
    )
    row_count = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**63 - 1
    )
    schema = ColumnInputSerializer(many=True, required=False)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    owner_group = _group_field(required=False)
    derived_from = _dataset_list_field(required=False)
