"""The model registry: models, their versions, dataset versions and the lineage between them.

Artifact and dataset URIs are metadata only: the portal never opens, fetches or unpickles them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import (
    MaxLengthValidator,
    MinValueValidator,
    RegexValidator,
    validate_slug,
)
from django.db import models
from django.db.models import Q

DESCRIPTION_MAX_LENGTH = 20_000


def description_field() -> models.TextField:
    """Free text with a bound: every model list and audit event carries it."""
    return models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)])


sha256_validator = RegexValidator(r"^[0-9a-f]{64}$", "Enter a lowercase hex sha256 (64 chars).")


class TaskType(models.TextChoices):
    CLASSIFICATION = "classification", "Classification"
    REGRESSION = "regression", "Regression"
    OTHER = "other", "Other"


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Stage(models.TextChoices):
    NONE = "None", "None"
    STAGING = "Staging", "Staging"
    PRODUCTION = "Production", "Production"
    ARCHIVED = "Archived", "Archived"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True, validators=[validate_slug])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegisteredModel(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[validate_slug])
    description = description_field()
    owner_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_models"
    )
    task_type = models.CharField(
        max_length=20, choices=TaskType.choices, default=TaskType.CLASSIFICATION
    )
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    tags = models.ManyToManyField(Tag, blank=True, related_name="models")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Figures of the versions, kept in step by registry.services (the only writer of versions
    # and stages) in the same transaction, so model lists need no per-row subqueries.
    version_count = models.PositiveIntegerField(default=0, editable=False)
    production_version = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DatasetVersion(models.Model):
    name = models.CharField(max_length=100, validators=[validate_slug])
    version = models.CharField(max_length=50, validators=[validate_slug])
    uri = models.CharField(max_length=1024, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_validator])
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    schema = models.JSONField(default=list, blank=True)
    description = description_field()
    derived_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="derivatives"
    )
    owner_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_datasets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_dataset_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class ModelVersion(models.Model):
    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NONE)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    description = description_field()
    artifact_uri = models.CharField(max_length=1024, blank=True)
    artifact_sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_validator])
    framework = models.CharField(max_length=50, blank=True)
    signature = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    code_repository = models.CharField(max_length=500, blank=True)
    code_commit = models.CharField(max_length=64, blank=True)
    run_id = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    trained_on = models.ManyToManyField(DatasetVersion, blank=True, related_name="trained_models")
    evaluated_on = models.ManyToManyField(
        DatasetVersion, blank=True, related_name="evaluated_models"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="unique_model_version"),
            models.UniqueConstraint(
                fields=["model"],
                condition=Q(stage="Production"),
                name="one_production_version_per_model",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.version}"

    @property
    def ownership_root(self) -> RegisteredModel:
        """A version is owned through its model (see governance.roles.owns)."""
        return self.model
