"""What the audit trail records of a model, version or dataset (before/after diffs)."""

from __future__ import annotations

from registry.models import DatasetVersion, ModelVersion, RegisteredModel
from registry.services.validation import DATASET_FIELDS, VERSION_FIELDS


def model_snapshot(model: RegisteredModel) -> dict:
    return {
        "name": model.name,
        "description": model.description,
        "owner_group": model.owner_group.name if model.owner_group_id else None,
        "task_type": model.task_type,
        "risk_tier": model.risk_tier,
        "tags": sorted(tag.name for tag in model.tags.all()) if model.pk else [],
    }


def version_snapshot(version: ModelVersion, *, trained_on=None, evaluated_on=None) -> dict:
    """The audited state of a version; lineage ids may be passed in when the caller has them."""
    if trained_on is None:
        trained_on = version.trained_on.values_list("pk", flat=True)
    if evaluated_on is None:
        evaluated_on = version.evaluated_on.values_list("pk", flat=True)
    snapshot = {field: getattr(version, field) for field in VERSION_FIELDS}
    snapshot.update(
        model=version.model.name,
        version=version.version,
        stage=version.stage,
        parent=version.parent_id,
        trained_on=sorted(trained_on),
        evaluated_on=sorted(evaluated_on),
    )
    return snapshot


def dataset_snapshot(dataset: DatasetVersion) -> dict:
    snapshot = {
        field: getattr(dataset, field) for field in DATASET_FIELDS if field != "owner_group"
    }
    snapshot.update(
        name=dataset.name,
        version=dataset.version,
        owner_group=dataset.owner_group.name if dataset.owner_group_id else None,
        derived_from=sorted(dataset.derived_from.values_list("pk", flat=True)),
    )
    return snapshot
