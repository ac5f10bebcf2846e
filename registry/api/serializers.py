"""Registry API serializers: separate input (strict) and output shapes."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import Group
from django.utils import timezone
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
    StrictSlugField,
    StrictSlugRelatedField,
    iso_datetime,
)
from registry.models import (
    DatasetVersion,
    ModelVersion,
    RegisteredModel,
    RiskTier,
    Stage,
    TaskType,
    sha256_validator,
)
from registry.services import SIGNATURE_TYPES

# --- output ----------------------------------------------------------------------------------


class ModelOutputSerializer(serializers.Serializer):
    """Renders rows of ``selectors.model_rows`` (the declared fields document the shape)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner_group = serializers.CharField(allow_null=True)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    tags = serializers.ListField(child=serializers.CharField())
    version_count = serializers.IntegerField()
    production_version = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @cached_property
    def _zone(self):
        return timezone.get_current_timezone()  # once per list, not twice per row

    def to_representation(self, row: dict) -> dict:
        """A plain dict: lists of 100 models are the API's hottest path."""
        return {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "owner_group": row["owner"],
            "task_type": row["task_type"],
            "risk_tier": row["risk_tier"],
            "tags": sorted(row["tag_names"].split(",")) if row["tag_names"] else [],
            "version_count": row["version_count"],
            "production_version": row["production_version"],
            "created_at": iso_datetime(row["created_at"], self._zone),
            "updated_at": iso_datetime(row["updated_at"], self._zone),
        }


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

    def to_representation(self, version) -> dict:
        """A plain dict (same fields as above): creating and reading versions are the API's
        busiest calls, and DRF's nested fields cost more than the rest of the request."""
        signature = version.signature or {}
        parent = version.parent
        return {
            "id": version.pk,
            "model": version.model.name,
            "version": version.version,
            "stage": version.stage,
            "stage_changed_at": iso_datetime(version.stage_changed_at),
            "description": version.description,
            "artifact_uri": version.artifact_uri,
            "artifact_sha256": version.artifact_sha256,
            "framework": version.framework,
            "signature": {
                part: [{"name": c["name"], "type": c["type"]} for c in signature[part]]
                for part in ("inputs", "outputs")
                if part in signature
            },
            "params": version.params,
            "metrics": {name: float(value) for name, value in version.metrics.items()},
            "code_repository": version.code_repository,
            "code_commit": version.code_commit,
            "run_id": version.run_id,
            "parent": (
                {"id": parent.pk, "model": parent.model.name, "version": parent.version}
                if parent is not None
                else None
            ),
            "trained_on": self._lineage(version, "trained_on"),
            "evaluated_on": self._lineage(version, "evaluated_on"),
            "created_by": version.created_by.username if version.created_by_id else None,
            "created_at": iso_datetime(version.created_at),
        }

    def _lineage(self, version, relation: str) -> list[dict]:
        """Dataset references in the model's ordering (name, newest first). A view that has
        them already (just written, or read by ``selectors.version_detail``) passes them as
        ``context["lineage"]``: no query here."""
        given = self.context.get("lineage")
        if given is None:
            datasets = getattr(version, relation).all()
        else:
            datasets = sorted(given.get(relation, ()), key=lambda d: d.created_at, reverse=True)
            datasets.sort(key=lambda d: d.name)
        return [{"id": d.pk, "name": d.name, "version": d.version} for d in datasets]


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
    description = StrictCharField(required=False, allow_blank=True)


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
    description = StrictCharField(required=False, allow_blank=True, default="")
    owner_group = _group_field(required=False, default=None)
    task_type = serializers.ChoiceField(choices=TaskType.choices, default=TaskType.CLASSIFICATION)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, default=RiskTier.MEDIUM)
    tags = serializers.ListField(child=StrictSlugField(max_length=50), default=list)


class ModelUpdateInputSerializer(StrictInputSerializer):
    description = StrictCharField(required=False, allow_blank=True)
    owner_group = _group_field(required=False)
    task_type = serializers.ChoiceField(choices=TaskType.choices, required=False)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, required=False)
    tags = serializers.ListField(child=StrictSlugField(max_length=50), required=False)


def _dataset_list_field(**kwargs):
    return serializers.PrimaryKeyRelatedField(
        queryset=DatasetVersion.objects.all(), many=True, **kwargs
    )


class VersionFieldsInputSerializer(StrictInputSerializer):
    description = StrictCharField(required=False, allow_blank=True)
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
    parent = serializers.PrimaryKeyRelatedField(
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
    row_count = StrictIntegerField(required=False, allow_null=True, min_value=0)
    schema = ColumnInputSerializer(many=True, required=False)
    description = StrictCharField(required=False, allow_blank=True)
    owner_group = _group_field(required=False)
    derived_from = _dataset_list_field(required=False)


class DatasetUpdateInputSerializer(StrictInputSerializer):
    uri = StrictCharField(required=False, allow_blank=True, max_length=1024)
    sha256 = StrictCharField(
        required=False, allow_blank=True, max_length=64, validators=[sha256_validator]
    )
    row_count = StrictIntegerField(required=False, allow_null=True, min_value=0)
    schema = ColumnInputSerializer(many=True, required=False)
    description = StrictCharField(required=False, allow_blank=True)
    owner_group = _group_field(required=False)
    derived_from = _dataset_list_field(required=False)
