"""Monitoring reads. Each takes the user, checks the role once and brings the joins its page
needs, so query counts stay flat however many rows are shown."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)

from governance.roles import Action, may, require
from mlops_portal.errors import first_or_not_found
from monitoring.models import (
    Backfill,
    DriftRun,
    FeatureDrift,
    InferenceBatch,
    JobStatus,
    LabelBatch,
    Monitor,
    ReferenceDataset,
)
from registry.models import ModelVersion, RegisteredModel

HISTORY_LIMIT = 90


def _latest_run(field: str, output_field):
    latest = DriftRun.objects.filter(monitor=OuterRef("pk")).order_by("-window_end", "-pk")
    return Subquery(latest.values(field)[:1], output_field=output_field)


def _with_latest_run(monitors: QuerySet[Monitor]) -> QuerySet[Monitor]:
    return monitors.annotate(
        latest_run_id=_latest_run("pk", IntegerField()),
        latest_run_status=_latest_run("status", CharField()),
        latest_window_end=_latest_run("window_end", DateTimeField()),
        latest_dataset_drift=_latest_run("dataset_drift", BooleanField()),
        latest_drift_share=_latest_run("drift_share", FloatField()),
        latest_n_drifted=_latest_run("n_drifted", IntegerField()),
    )


def monitor_list(*, user, filters: dict | None = None) -> QuerySet[Monitor]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    monitors = _with_latest_run(
        Monitor.objects.select_related(
            "model_version__model", "reference", "created_by", "periodic_task"
        )
    )
    if filters.get("model_version"):
        monitors = monitors.filter(model_version_id=filters["model_version"])
    if filters.get("model"):
        monitors = monitors.filter(model_version__model__name=filters["model"])
    if filters.get("q"):
        monitors = monitors.filter(name__icontains=filters["q"])
    return monitors.order_by("model_version__model__name", "-model_version__version", "name")


def monitor_get(*, user, pk: int) -> Monitor:
    return first_or_not_found(monitor_list(user=user).filter(pk=pk), f"id: no monitor {pk}.")


def monitor_summaries(*, user, version: ModelVersion | None = None, model=None) -> list[Monitor]:
    """The monitors shown on a registry page, with their latest run; empty for non-readers."""
    if not may(user, Action.MONITOR_VIEW):
        return []
    monitors = monitor_list(user=user)
    if version is not None:
        monitors = monitors.filter(model_version=version)
    elif isinstance(model, RegisteredModel):
        monitors = monitors.filter(model_version__model=model)
    return list(monitors[:20])


def drift_run_list(*, user, filters: dict | None = None) -> QuerySet[DriftRun]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    runs = DriftRun.objects.select_related("monitor__model_version__model", "requested_by")
    if filters.get("monitor"):
        runs = runs.filter(monitor_id=filters["monitor"])
    if filters.get("status"):
        runs = runs.filter(status=filters["status"])
    return runs.order_by("-window_end", "-pk")


def drift_run_get(*, user, pk: int) -> DriftRun:
    runs = drift_run_list(user=user).prefetch_related(
        Prefetch("features", queryset=FeatureDrift.objects.order_by("feature"))
    )
    return first_or_not_found(runs.filter(pk=pk), f"id: no drift run {pk}.")


def run_history(*, user, monitor: Monitor, limit: int = HISTORY_LIMIT) -> list[DriftRun]:
    """The monitor's latest successful runs, oldest first, with their per-feature scores (not
    the histograms: those are read one run and feature at a time)."""
    require(user, Action.MONITOR_VIEW)
    features = FeatureDrift.objects.defer("reference_histogram", "current_histogram").order_by(
        "feature"
    )
    runs = list(
        DriftRun.objects.filter(monitor=monitor, status=JobStatus.SUCCEEDED)
        .prefetch_related(Prefetch("features", queryset=features))
        .order_by("-window_end")[:limit]
    )
    runs.reverse()
    return runs


def feature_drift_get(*, user, run: DriftRun, feature: str) -> FeatureDrift | None:
    require(user, Action.MONITOR_VIEW)
    return FeatureDrift.objects.filter(run=run, feature=feature).first()


def reference_list(*, user, filters: dict | None = None) -> QuerySet[ReferenceDataset]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    references = ReferenceDataset.objects.select_related("model_version__model", "created_by")
    if filters.get("model_version"):
        references = references.filter(model_version_id=filters["model_version"])
    if filters.get("status"):
        references = references.filter(status=filters["status"])
    return references.order_by("-created_at", "-pk")


def reference_get(*, user, pk: int) -> ReferenceDataset:
    return first_or_not_found(
        reference_list(user=user).filter(pk=pk), f"id: no reference dataset {pk}."
    )


def batch_list(*, user, filters: dict | None = None) -> QuerySet[InferenceBatch]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    batches = InferenceBatch.objects.select_related("model_version__model", "created_by")
    if filters.get("model_version"):
        batches = batches.filter(model_version_id=filters["model_version"])
    return batches.order_by("-created_at", "-pk")


def batch_get(*, user, pk: int) -> InferenceBatch:
    return first_or_not_found(batch_list(user=user).filter(pk=pk), f"id: no batch {pk}.")


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


def label_batch_list(*, user, filters: dict | None = None) -> QuerySet[LabelBatch]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    labels = LabelBatch.objects.select_related("model_version__model", "created_by")
    if filters.get("model_version"):
        labels = labels.filter(model_version_id=filters["model_version"])
    return labels.order_by("-created_at", "-pk")


def backfill_list(*, user, filters: dict | None = None) -> QuerySet[Backfill]:
    require(user, Action.MONITOR_VIEW)
    filters = filters or {}
    backfills = Backfill.objects.select_related("monitor__model_version__model", "requested_by")
    if filters.get("monitor"):
        backfills = backfills.filter(monitor_id=filters["monitor"])
    return backfills.order_by("-created_at", "-pk")


def backfill_get(*, user, pk: int) -> Backfill:
    return first_or_not_found(backfill_list(user=user).filter(pk=pk), f"id: no backfill {pk}.")
