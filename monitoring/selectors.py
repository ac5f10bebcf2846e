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
from monitoring.filters import BackfillFilter, DriftRunFilter, MonitorFilter
from monitoring.ingest.quality import QualityBaseline
from monitoring.models import (
    Backfill,
    DriftRun,
    FeatureDrift,
    JobStatus,
    Monitor,
    ReferenceDataset,
)
from registry.models import ModelVersion, RegisteredModel

HISTORY_LIMIT = 90


def _latest_run(field: str, output_field):
    latest = DriftRun.objects.filter(monitor=OuterRef("pk")).order_by("-window_end", "-pk")
    return Subquery(latest.values(field)[:1], output_field=output_field)


def with_latest_run(monitors: QuerySet[Monitor]) -> QuerySet[Monitor]:
    """Each monitor with the status and verdict of its latest run (``latest_…``)."""
    return monitors.annotate(
        latest_run_id=_latest_run("pk", IntegerField()),
        latest_run_status=_latest_run("status", CharField()),
        latest_window_end=_latest_run("window_end", DateTimeField()),
        latest_dataset_drift=_latest_run("dataset_drift", BooleanField()),
        latest_drift_share=_latest_run("drift_share", FloatField()),
        latest_n_drifted=_latest_run("n_drifted", IntegerField()),
    )


def monitor_list(*, user, filters=None) -> QuerySet[Monitor]:
    require(user, Action.MONITOR_VIEW)
    monitors = with_latest_run(
        Monitor.objects.select_related(
            "model_version__model", "reference", "created_by", "periodic_task"
        )
    )
    return MonitorFilter.apply(filters, monitors).order_by(
        "model_version__model__name", "-model_version__version", "name"
    )


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


def drift_run_list(*, user, filters=None) -> QuerySet[DriftRun]:
    require(user, Action.MONITOR_VIEW)
    runs = DriftRun.objects.select_related("monitor__model_version__model", "requested_by")
    return DriftRunFilter.apply(filters, runs).order_by("-window_end", "-pk")


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


def reference_list(
    *, user, model_version: ModelVersion | None = None
) -> QuerySet[ReferenceDataset]:
    require(user, Action.MONITOR_VIEW)
    references = ReferenceDataset.objects.select_related("model_version__model", "created_by")
    if model_version is not None:
        references = references.filter(model_version=model_version)
    return references.order_by("-created_at", "-pk")


def reference_get(*, user, pk: int) -> ReferenceDataset:
    return first_or_not_found(
        reference_list(user=user).filter(pk=pk), f"id: no reference dataset {pk}."
    )


def quality_baseline(model_version: ModelVersion) -> QualityBaseline | None:
    """What ingest measures the version's new batches against: its latest profiled reference.
    No user: ingest asks it for every batch, whoever sent it (or none, for the buffer)."""
    reference = (
        ReferenceDataset.objects.filter(model_version=model_version, status=JobStatus.SUCCEEDED)
        .exclude(profile_path="")
        .order_by("-finished_at", "-pk")
        .only("pk", "summary")
        .first()
    )
    if reference is None:
        return None
    return QualityBaseline(reference_id=reference.pk, summary=reference.summary or {})


def backfill_list(*, user, filters=None) -> QuerySet[Backfill]:
    require(user, Action.MONITOR_VIEW)
    backfills = Backfill.objects.select_related("monitor__model_version__model", "requested_by")
    return BackfillFilter.apply(filters, backfills).order_by("-created_at", "-pk")


def backfill_get(*, user, pk: int) -> Backfill:
    return first_or_not_found(backfill_list(user=user).filter(pk=pk), f"id: no backfill {pk}.")
