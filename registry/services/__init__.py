"""Registry writes. Each validates, writes in one transaction and records its audit event."""

from registry.services.datasets import dataset_version_create, dataset_version_update
from registry.services.models import model_create, model_update
from registry.services.snapshots import dataset_snapshot, model_snapshot, version_snapshot
from registry.services.validation import (
    COLUMN_DESCRIPTION_MAX_LENGTH,
    SIGNATURE_TYPES,
    columns_clean,
    signature_clean,
    validate_metrics,
    validate_params,
)
from registry.services.versions import (
    model_figures_refresh,
    model_version_create,
    model_version_stage_set,
    model_version_update,
)

__all__ = [
    "COLUMN_DESCRIPTION_MAX_LENGTH",
    "SIGNATURE_TYPES",
    "columns_clean",
    "dataset_snapshot",
    "dataset_version_create",
    "dataset_version_update",
    "model_create",
    "model_figures_refresh",
    "model_snapshot",
    "model_update",
    "model_version_create",
    "model_version_stage_set",
    "model_version_update",
    "signature_clean",
    "validate_metrics",
    "validate_params",
    "version_snapshot",
]
