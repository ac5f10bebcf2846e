"""Drift runs: one per (monitor, window), requested by the schedule, "run now" or a backfill.

Windows are aligned to the window length counted from the Unix epoch (UTC): 24-hour windows
are UTC days, 1-hour windows clock hours. A run row is created first (unique per monitor and
window), then a task claims it by a conditional update and computes it; a second delivery of the
same task finds the row taken or finished and does nothing. A run of a window that has not ended
yet ("run now") is *partial*; the schedule recomputes it once the window is over.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from drift import (
    METHODS,
    DataReadError,
    DriftConfigError,
    ReferenceProfile,
    compute_drift,
    read_columns,
)
from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring import storage
from monitoring.models import (
    FINISHED,
    Backfill,
    DriftRun,
    FeatureDrift,
    InferenceBatch,
    JobStatus,
    LabelBatch,
    Monitor,
    RunTrigger,
)
from monitoring.performance import (
    class_text,
    classification_metrics,
    regression_metrics,
    scores_to_classes,
)
from monitoring.schema import (
    ARROW_TYPES,
    PREDICTION_ID,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    signature_columns,
)
from monitoring.services._common import (
    claim,
    dispatch,
    job_fail,
    job_progress,
    job_release,
)
from monitoring.services.monitors import drift_config
from registry.models import ModelVersion, TaskType

logger = logging.getLogger("monitoring")

RUN_STALE_AFTER = timedelta(minutes=40)
MAX_BACKFILL_WINDOWS = 366
MAX_CATCH_UP_WINDOWS = 24
MAX_SEVERITY = 10.0
PERFORMANCE_REFRESH_RUNS = 60
LABEL = "label"


class RunError(Exception):
    """A run that cannot be computed, with a reason worth showing on the run."""


# --- windows ---------------------------------------------------------------------------------


def window_containing(monitor: Monitor, moment: datetime) -> tuple[datetime, datetime]:
    size = monitor.window_seconds
    seconds = int(moment.timestamp())
    start = seconds - seconds % size
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + size, UTC)


def _request_run(
    monitor: Monitor,
    start: datetime,
    end: datetime,
    *,
    trigger: str,
    actor=None,
    retry_failed: bool = True,
) -> DriftRun:
    """The run of one window, queued unless it is running or already complete.

    A failed run is queued again only when asked (run now, backfill), not by the schedule:
    a window whose data cannot be read would otherwise fail again on every tick.
    """
    now = timezone.now()
    requester = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            run, created = DriftRun.objects.get_or_create(
                monitor=monitor,
                window_start=start,
                window_end=end,
                defaults={"trigger": trigger, "requested_by": requester, "queued_at": now},
            )
    except IntegrityError:
        run, created = (
            DriftRun.objects.get(monitor=monitor, window_start=start, window_end=end),
            False,
        )
    if created:
        dispatch("drift_run_execute", run.pk)
        return run
    stale = (run.status == JobStatus.SUCCEEDED and run.is_partial) or (
        run.status == JobStatus.FAILED and retry_failed
    )
    if stale:
        requeued = DriftRun.objects.filter(pk=run.pk, status=run.status).update(
            status=JobStatus.PENDING,
            attempts=0,
            progress=0,
            stage="",
            error="",
            trigger=trigger,
            requested_by=requester,
            queued_at=now,
        )
        if requeued:
            dispatch("drift_run_execute", run.pk)
    elif run.status == JobStatus.PENDING and actor is not None:
        dispatch("drift_run_execute", run.pk)  # a person asked again: harmless if already queued
    run.refresh_from_db()
    return run


def _require_ready(monitor: Monitor) -> None:
    if not monitor.reference.is_ready:  # a state to wait for, not bad input: 409
        raise Conflict(
            f"reference: {monitor.reference.name!r} is not profiled yet.", field="reference"
        )


def drift_run_now(*, actor, monitor: Monitor) -> DriftRun:
    """Compute the current (still open) window now; it is recomputed when the window ends."""
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    _require_ready(monitor)
    start, end = window_containing(monitor, timezone.now())
    with transaction.atomic():
        run = _request_run(monitor, start, end, trigger=RunTrigger.MANUAL, actor=actor)
        audit.record(
            action="monitoring.drift_run.requested",
            actor=actor,
            target=run,
            changes={"window_start": start, "window_end": end, "trigger": RunTrigger.MANUAL},
        )
    return run


def drift_backfill_request(*, actor, monitor: Monitor, windows: int) -> Backfill:
    """Compute the last ``windows`` complete windows (skipping those already complete)."""
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    if isinstance(windows, bool) or not isinstance(windows, int):
        raise ValidationFailed("windows: must be a whole number.", field="windows")
    if not 1 <= windows <= MAX_BACKFILL_WINDOWS:
        raise ValidationFailed(
            f"windows: must be between 1 and {MAX_BACKFILL_WINDOWS}.", field="windows"
        )
    _require_ready(monitor)
    size = timedelta(seconds=monitor.window_seconds)
    current_start, _ = window_containing(monitor, timezone.now())
    starts = [current_start - size * back for back in range(windows, 0, -1)]
    with transaction.atomic():
        backfill = Backfill.objects.create(
            monitor=monitor,
            windows=windows,
            window_seconds=monitor.window_seconds,
            first_window_start=starts[0],
            last_window_end=current_start,
            status=JobStatus.RUNNING,
            requested_by=actor,
        )
        for start in starts:
            _request_run(monitor, start, start + size, trigger=RunTrigger.BACKFILL, actor=actor)
        audit.record(
            action="monitoring.backfill.requested",
            actor=actor,
            target=backfill,
            changes={"windows": windows, "from": starts[0], "to": current_start},
        )
        backfill_refresh(backfill_id=backfill.pk)
    backfill.refresh_from_db()
    return backfill


def backfill_refresh(*, backfill_id: int) -> None:
    """Recount a backfill's finished runs (they may serve several overlapping backfills)."""
    backfill = Backfill.objects.filter(pk=backfill_id).first()
    if backfill is None:
        return
    counts = DriftRun.objects.filter(
        monitor_id=backfill.monitor_id,
        window_start__gte=backfill.first_window_start,
        window_end__lte=backfill.last_window_end,
        window_end=F("window_start") + timedelta(seconds=backfill.window_seconds),
    ).aggregate(
        finished=Count("pk", filter=Q(status__in=FINISHED)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
    )
    finished = min(counts["finished"], backfill.windows)
    done = finished >= backfill.windows
    status = JobStatus.RUNNING
    if done:
        status = JobStatus.FAILED if counts["failed"] else JobStatus.SUCCEEDED
    Backfill.objects.filter(pk=backfill.pk, runs_finished__lte=finished).exclude(
        status__in=FINISHED
    ).update(
        runs_finished=finished,
        runs_failed=counts["failed"],
        status=status,
        finished_at=timezone.now() if done else None,
    )


def _refresh_backfills_of(run: DriftRun) -> None:
    open_backfills = Backfill.objects.filter(
        monitor_id=run.monitor_id,
        first_window_start__lte=run.window_start,
        last_window_end__gte=run.window_end,
    ).exclude(status__in=FINISHED)
    for backfill_id in open_backfills.values_list("pk", flat=True):
        backfill_refresh(backfill_id=backfill_id)


def monitor_scheduled_run(*, monitor_id: int) -> list[DriftRun]:
    """The beat entry's body: queue every complete window not yet (fully) computed.

    Starts at the window the monitor was created in (older ones are for backfills) and catches
    up at most ``MAX_CATCH_UP_WINDOWS`` windows, so a scheduler that was down does not leave
    holes while a monitor with a schedule shorter than its window computes each window once.
    """
    monitor = Monitor.objects.select_related("reference").filter(pk=monitor_id).first()
    if monitor is None or not monitor.enabled or not monitor.reference.is_ready:
        return []
    size = timedelta(seconds=monitor.window_seconds)
    current_start, _ = window_containing(monitor, timezone.now())
    created_start, _ = window_containing(monitor, monitor.created_at)
    newest = (
        monitor.runs.filter(window_end__lte=current_start, status__in=FINISHED)
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )
    begin = max(newest or created_start, created_start, current_start - size * MAX_CATCH_UP_WINDOWS)
    starts = []
    start = begin
    while start + size <= current_start:
        starts.append(start)
        start += size
    latest_complete = current_start - size
    if latest_complete >= created_start and latest_complete not in starts:
        starts.append(latest_complete)  # recompute it if "run now" left it partial
    return [
        _request_run(monitor, start, start + size, trigger=RunTrigger.SCHEDULE, retry_failed=False)
        for start in starts
    ]


# --- computing a run -------------------------------------------------------------------------


def severity(method: str | None, statistic, p_value, threshold) -> float | None:
    """How far past its threshold a feature is, on one scale for every method: 1 = at the
    threshold, above 1 = drifted. Distances: statistic / threshold; p-values:
    log(p) / log(threshold)."""
    if method is None or threshold is None or method not in METHODS:
        return None
    if METHODS[method].returns_p_value:
        if p_value is None or not 0 < threshold < 1:
            return None
        value = math.log(max(p_value, 1e-300)) / math.log(threshold)
    else:
        if statistic is None or threshold <= 0:
            return None
        value = statistic / threshold
    return max(0.0, min(value, MAX_SEVERITY))


def _empty_window_table(columns: list[str], model_version: ModelVersion) -> pa.Table:
    kinds = {c.name: c.kind for c in signature_columns(model_version.signature)}
    fields = []
    for name in columns:
        if name == TIMESTAMP:
            fields.append(pa.field(name, TIMESTAMP_TYPE))
        elif name == PREDICTION_ID:
            fields.append(pa.field(name, pa.string()))
        else:
            fields.append(pa.field(name, ARROW_TYPES.get(kinds.get(name, "float"), pa.float64())))
    return pa.schema(fields).empty_table()


def window_table(
    model_version: ModelVersion,
    start: datetime,
    end: datetime,
    columns: list[str],
    *,
    dictionary_columns=(),
) -> tuple[pa.Table, int]:
    """The rows of ``[start, end)`` from the batches overlapping it (only ``columns``)."""
    paths = list(
        InferenceBatch.objects.filter(
            model_version=model_version, first_timestamp__lt=end, last_timestamp__gte=start
        )
        .order_by("pk")
        .values_list("data_path", flat=True)
    )
    wanted = list(dict.fromkeys([*columns, TIMESTAMP]))
    if not paths:
        return _empty_window_table(wanted, model_version), 0
    table = read_columns(
        [storage.resolve(path) for path in paths], wanted, dictionary_columns=dictionary_columns
    )
    stamps = table.column(TIMESTAMP)
    inside = pc.and_(
        pc.greater_equal(stamps, pa.scalar(start, TIMESTAMP_TYPE)),
        pc.less(stamps, pa.scalar(end, TIMESTAMP_TYPE)),
    )
    return table.filter(inside), len(paths)


def drift_run_execute(*, run_id: int) -> DriftRun | None:
    """Claim and compute one run (the task body). Safe to call twice: one computes."""
    run = claim(DriftRun, run_id, stale_after=RUN_STALE_AFTER)
    if run is None:
        return None
    try:
        _compute(run)
    except OperationalError:
        job_release(run)
        raise
    except (RunError, DataReadError, DriftConfigError, ValueError, KeyError, OSError) as exc:
        _finish_failed(run, str(exc) or type(exc).__name__)
    except pa.ArrowException as exc:
        _finish_failed(run, f"cannot read the window's data: {exc}")
    except Exception as exc:
        _finish_failed(run, f"internal error ({type(exc).__name__}); see the worker log")
        raise
    finally:
        _refresh_backfills_of(run)
    return DriftRun.objects.select_related("monitor").get(pk=run.pk)


def _finish_failed(run: DriftRun, message: str) -> None:
    logger.warning("drift run %s failed: %s", run.pk, message)
    with transaction.atomic():
        if job_fail(run, message):
            audit.record(
                action="monitoring.drift_run.failed", target=run, changes={"error": message}
            )


def _compute(run: DriftRun) -> None:
    monitor = Monitor.objects.select_related("reference", "model_version__model").get(
        pk=run.monitor_id
    )
    reference = monitor.reference
    if not reference.is_ready:
        raise RunError(
            f"the reference {reference.name!r} is not profiled (status {reference.status})."
        )
    job_progress(run, 10, "loading the reference profile")
    profile = ReferenceProfile.load(storage.resolve(reference.profile_path))
    config = drift_config(monitor)
    features = list(monitor.features) or list(profile.columns)
    outputs = [c for c in signature_columns(monitor.model_version.signature) if c.role == "output"]
    extra = [PREDICTION_ID, outputs[0].name] if outputs else []
    categorical = [name for name in features if profile.columns[name].column_type == "categorical"]
    computed_through = min(timezone.now(), run.window_end)
    job_progress(run, 25, "reading the window's data")
    table, batch_count = window_table(
        monitor.model_version,
        run.window_start,
        run.window_end,
        list(dict.fromkeys(features + extra)),
        dictionary_columns=categorical,
    )
    job_progress(run, 50, f"comparing {len(features)} features over {table.num_rows} rows")
    result = compute_drift(profile, table, config, columns=features)
    job_progress(run, 80, "computing performance")
    labels = label_table(monitor.model_version)
    performance, labelled = window_performance(monitor.model_version, table, labels)
    job_progress(run, 90, "saving the results")
    rows = []
    for feature in result.features:
        data = feature.to_dict()
        p_value = (
            data["p_value_adjusted"] if data["p_value_adjusted"] is not None else data["p_value"]
        )
        rows.append(
            FeatureDrift(
                run=run,
                feature=feature.column,
                column_type=feature.column_type,
                method=feature.method or "",
                statistic=data["statistic"],
                p_value=p_value,
                threshold=data["threshold"],
                drifted=data["drifted"],
                status=feature.status,
                psi=data["psi"],
                severity=severity(feature.method, data["statistic"], p_value, data["threshold"]),
                n_current=data["n_current"],
                n_current_null=data["n_current_null"],
                n_current_unseen=data["n_current_unseen"],
                message=feature.message or "",
                reference_histogram=data["reference_histogram"],
                current_histogram=data["current_histogram"],
            )
        )
    summary = result.to_dict()
    with transaction.atomic():
        updated = DriftRun.objects.filter(
            pk=run.pk, status=JobStatus.RUNNING, started_at=run.started_at
        ).update(
            status=JobStatus.SUCCEEDED,
            progress=100,
            stage="",
            error="",
            finished_at=timezone.now(),
            computed_through=computed_through,
            reference_rows=profile.n_rows,
            current_rows=table.num_rows,
            batch_count=batch_count,
            dataset_drift=summary["dataset_drift"],
            drift_share=summary["drift_share"],
            drift_share_threshold=summary["drift_share_threshold"],
            n_features=summary["n_features"],
            n_tested=summary["n_tested"],
            n_drifted=summary["n_drifted"],
            config={
                "reference": reference.pk,
                "features": features,
                "method_overrides": monitor.method_overrides,
                "threshold_overrides": monitor.threshold_overrides,
                "default_method_numerical": monitor.default_method_numerical,
                "default_method_categorical": monitor.default_method_categorical,
                "drift_share": monitor.drift_share,
                "correction": monitor.correction,
            },
            performance=performance,
            labelled_rows=labelled,
        )
        if not updated:
            return  # the claim was lost (taken over as stale): the other worker's result stands
        FeatureDrift.objects.filter(run=run).delete()
        FeatureDrift.objects.bulk_create(rows)
        audit.record(
            action="monitoring.drift_run.succeeded",
            target=run,
            changes={
                "rows": table.num_rows,
                "dataset_drift": summary["dataset_drift"],
                "drift_share": summary["drift_share"],
                "drifted": [row.feature for row in rows if row.drifted],
            },
        )


# --- performance -----------------------------------------------------------------------------


def label_table(model_version: ModelVersion) -> pa.Table | None:
    """Every label of the version, the latest one per prediction id."""
    paths = list(
        LabelBatch.objects.filter(model_version=model_version)
        .order_by("pk")
        .values_list("data_path", flat=True)
    )
    if not paths:
        return None
    tables = [read_columns(storage.resolve(path), [PREDICTION_ID, LABEL]) for path in paths]
    label_type = (
        pa.float64() if model_version.model.task_type == TaskType.REGRESSION else pa.string()
    )
    table = pa.concat_tables(
        [t.cast(pa.schema([(PREDICTION_ID, pa.string()), (LABEL, label_type)])) for t in tables]
    )
    order = pa.array(np.arange(table.num_rows, dtype=np.int64))
    table = table.append_column("__order", order)
    latest = table.group_by(PREDICTION_ID).aggregate([("__order", "max")])
    keep = pc.is_in(order, value_set=latest.column("__order_max"))
    return table.filter(keep).drop_columns(["__order"])


def window_performance(
    model_version: ModelVersion, window: pa.Table, labels: pa.Table | None
) -> tuple[dict, int]:
    """Metrics over the window's predictions that have a label; ({}, 0) without any."""
    outputs = [c for c in signature_columns(model_version.signature) if c.role == "output"]
    task = model_version.model.task_type
    if labels is None or not outputs or task == TaskType.OTHER:
        return {}, 0
    output = outputs[0]
    if PREDICTION_ID not in window.column_names or output.name not in window.column_names:
        return {}, 0
    predictions = window.select([PREDICTION_ID, output.name])
    predictions = predictions.filter(
        pc.and_(
            pc.is_valid(predictions.column(PREDICTION_ID)),
            pc.is_valid(predictions.column(output.name)),
        )
    )
    if pa.types.is_dictionary(predictions.schema.field(output.name).type):
        predictions = predictions.set_column(
            1, output.name, pc.cast(predictions.column(output.name), pa.string())
        )
    joined = predictions.join(labels, PREDICTION_ID, join_type="inner")
    joined = joined.filter(pc.is_valid(joined.column(LABEL)))
    if joined.num_rows == 0:
        return {}, 0
    truth = joined.column(LABEL)
    predicted = joined.column(output.name)
    if task == TaskType.REGRESSION:
        if output.kind not in ("float", "integer"):
            return {}, 0
        metrics = regression_metrics(
            truth.to_numpy(zero_copy_only=False),
            pc.cast(predicted, pa.float64()).to_numpy(zero_copy_only=False),
        )
    else:
        y_true = np.asarray(truth.to_pylist(), dtype=object)
        if output.kind == "float":
            scores = predicted.to_numpy(zero_copy_only=False)
            classes = scores_to_classes(scores)
            usable = set(y_true.tolist()) <= {"0", "1"} and bool(
                np.all((scores >= 0) & (scores <= 1))
            )
            metrics = classification_metrics(
                y_true, np.asarray(classes, dtype=object), scores if usable else None
            )
        else:
            metrics = classification_metrics(
                y_true, np.asarray(class_text(predicted.to_pylist()), dtype=object)
            )
    metrics = {
        key: value for key, value in metrics.items() if value is not None or key == "roc_auc"
    }
    return metrics, joined.num_rows


def performance_refresh(*, model_version_id: int) -> int:
    """After labels arrive: recompute the performance of recent runs of the version's monitors.

    Reads the labels once and the runs' windows once. Returns how many runs changed.
    """
    version = ModelVersion.objects.select_related("model").filter(pk=model_version_id).first()
    if version is None:
        return 0
    labels = label_table(version)
    if labels is None:
        return 0
    runs = list(
        DriftRun.objects.filter(
            monitor__model_version=version, status=JobStatus.SUCCEEDED
        ).order_by("-window_end")[:PERFORMANCE_REFRESH_RUNS]
    )
    if not runs:
        return 0
    outputs = [c for c in signature_columns(version.signature) if c.role == "output"]
    if not outputs:
        return 0
    start = min(run.window_start for run in runs)
    end = max(run.window_end for run in runs)
    table, _ = window_table(version, start, end, [PREDICTION_ID, outputs[0].name])
    stamps = table.column(TIMESTAMP)
    changed = 0
    for run in runs:
        inside = pc.and_(
            pc.greater_equal(stamps, pa.scalar(run.window_start, TIMESTAMP_TYPE)),
            pc.less(stamps, pa.scalar(run.window_end, TIMESTAMP_TYPE)),
        )
        performance, labelled = window_performance(version, table.filter(inside), labels)
        if performance != run.performance or labelled != run.labelled_rows:
            DriftRun.objects.filter(pk=run.pk).update(
                performance=performance, labelled_rows=labelled
            )
            changed += 1
    return changed
