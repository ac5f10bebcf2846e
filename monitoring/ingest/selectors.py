"""Ingest reads: a version's batches and label batches, one batch, its quality history. Each
takes the user and checks the role once; lists bring the joins their rows show."""

from __future__ import annotations

from django.db.models import QuerySet

from governance.roles import Action, require
from mlops_portal.errors import first_or_not_found
from monitoring.ingest.models import InferenceBatch, IngestedBatch, LabelBatch
from registry.models import ModelVersion


def _batches(
    batch_class: type[IngestedBatch], user, model_version: ModelVersion | None
) -> QuerySet:
    require(user, Action.MONITOR_VIEW)
    batches = batch_class.objects.select_related("model_version__model", "created_by")
    if model_version is not None:
        batches = batches.filter(model_version=model_version)
    return batches.order_by("-created_at", "-pk")


def batch_list(*, user, model_version: ModelVersion | None = None) -> QuerySet[InferenceBatch]:
    return _batches(InferenceBatch, user, model_version)


def batch_get(*, user, pk: int) -> InferenceBatch:
    return first_or_not_found(batch_list(user=user).filter(pk=pk), f"id: no batch {pk}.")


def label_batch_list(*, user, model_version: ModelVersion | None = None) -> QuerySet[LabelBatch]:
    return _batches(LabelBatch, user, model_version)


def batch_quality_history(*, user, version: ModelVersion, limit: int = 60) -> list:
    """(id, created_at, first/last timestamp, rows, quality) of the latest batches, oldest first."""
    require(user, Action.MONITOR_VIEW)
    rows = list(
        InferenceBatch.objects.filter(model_version=version)
        .order_by("-first_timestamp", "-pk")
        .values("pk", "first_timestamp", "last_timestamp", "row_count", "skipped_rows", "quality")[
            :limit
        ]
    )
    rows.reverse()
    return rows
