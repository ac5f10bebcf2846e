"""Computing one drift run (the task body): claim the run, read the window's columns, compare
them with the reference profile, store the verdict per feature with its histograms.

A second delivery of the same task finds the run taken or finished and does nothing; a claim
whose lease expired (its worker was killed) is taken over at once, and the old claim, should
its worker come back, loses its result to the worker that took it.
"""

from __future__ import annotations

import logging
import math

import pyarrow as pa
from django.db import OperationalError, transaction
from django.utils import timezone

from drift import METHODS, DataReadError, DriftConfigError, ReferenceProfile, compute_drift
from governance import audit
from monitoring.dispatch import TaskName, send_on_commit
from monitoring.ingest import storage
from monitoring.ingest.readers import version_labels, window_table
from monitoring.ingest.schema.columns import PREDICTION_ID, prediction_column
from monitoring.models import DriftRun, FeatureDrift, Monitor
from monitoring.performance import window_performance
from monitoring.services.jobs import (
    claim,
    job_fail,
    job_heartbeat,
    job_progress,
    job_release,
    job_succeed,
)
from monitoring.services.monitors import drift_config
from monitoring.services.scheduling import backfills_refresh_for

logger = logging.getLogger("monitoring")

MAX_SEVERITY = 10.0
ALERTS_IF_LOST = "the run's alert rules are not evaluated; the next run evaluates them"


class RunError(Exception):
    """A run that cannot be computed, with a reason worth showing on the run."""


def severity(feature, p_value) -> float | None:
    """How far past its threshold a feature is, on one scale for every method: 1 = at the
    threshold, above 1 = drifted. Calibrated preset: effect size / effect threshold, kept below
    1 when the shift is not significant; distances: statistic / threshold; p-values:
    log(p) / log(threshold)."""
    if feature.effect_size is not None and feature.effect_threshold:
        value = feature.effect_size / feature.effect_threshold
        if not feature.significant:
            value = min(value, 0.99)
        return max(0.0, min(value, MAX_SEVERITY))
    method, statistic, threshold = feature.method, feature.statistic, feature.threshold
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


def drift_run_execute(*, run_id: int) -> DriftRun | None:
    """Claim and compute one run (the task body). Safe to call twice: one computes."""
    run = claim(DriftRun, run_id)
    if run is None:
        return None
    try:
        with job_heartbeat(run):  # renews the claim's lease while the run is computed
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
        backfills_refresh_for(run)
    return DriftRun.objects.select_related("monitor").get(pk=run.pk)


def _finish_failed(run: DriftRun, message: str) -> None:
    logger.warning("drift run %s failed: %s", run.pk, message)
    with transaction.atomic(durable=True):
        if job_fail(run, message):
            audit.record(
                action="monitoring.drift_run.failed", target=run, changes={"error": message}
            )
            send_on_commit(TaskName.ALERTS_EVALUATE_RUN, run.pk, if_lost=ALERTS_IF_LOST)


def _compute(run: DriftRun) -> None:
    monitor = Monitor.objects.select_related("reference", "model_version__model").get(
        pk=run.monitor_id
    )
    version, reference = monitor.model_version, monitor.reference
    if not reference.is_ready:
        raise RunError(
            f"the reference {reference.name!r} is not profiled (status {reference.status})."
        )
    job_progress(run, 10, "loading the reference profile")
    profile = ReferenceProfile.load(storage.resolve(reference.profile_path))
    features = list(monitor.features) or list(profile.columns)
    prediction = prediction_column(version.signature)
    extra = [PREDICTION_ID, prediction.name] if prediction else []
    categorical = [name for name in features if profile.columns[name].column_type == "categorical"]
    computed_through = min(timezone.now(), run.window_end)
    job_progress(run, 25, "reading the window's data")
    table, batch_count = window_table(
        version,
        run.window_start,
        run.window_end,
        list(dict.fromkeys(features + extra)),
        dictionary_columns=categorical,
    )
    job_progress(run, 50, f"comparing {len(features)} features over {table.num_rows} rows")
    result = compute_drift(profile, table, drift_config(monitor), columns=features)
    job_progress(run, 80, "computing performance")
    performance, labelled = window_performance(version, table, version_labels(version))
    job_progress(run, 90, "saving the results")
    summary = result.to_dict()
    _store(
        run,
        _feature_rows(run, result),
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
        config=_run_config(monitor, features),
        performance=performance,
        labelled_rows=labelled,
    )


def _run_config(monitor: Monitor, features: list[str]) -> dict:
    """The settings the run was computed with, by the API's names for them."""
    return {
        "reference": monitor.reference_id,
        "features": features,
        "method_overrides": monitor.method_overrides,
        "threshold_overrides": monitor.threshold_overrides,
        "default_method_numerical": monitor.default_method_numerical,
        "default_method_categorical": monitor.default_method_categorical,
        "drift_share": monitor.drift_share_threshold,
        "correction": monitor.correction,
        "preset": monitor.preset,
        "preset_overrides": monitor.preset_overrides,
        "effect_threshold": monitor.effect_threshold,
        "min_sample_size": monitor.min_sample_size,
    }


def _feature_rows(run: DriftRun, result) -> list[FeatureDrift]:
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
                severity=severity(feature, p_value),
                n_current=data["n_current"],
                n_current_null=data["n_current_null"],
                n_current_unseen=data["n_current_unseen"],
                message=feature.message or "",
                preset=feature.preset,
                effect_size=feature.effect_size,
                effect_measure=feature.effect_measure or "",
                effect_threshold=feature.effect_threshold,
                significant=feature.significant,
                reference_histogram=data["reference_histogram"],
                current_histogram=data["current_histogram"],
            )
        )
    return rows


def _store(run: DriftRun, rows: list[FeatureDrift], **results) -> None:
    """Save the run's ``results`` and its feature rows, if this claim still holds the run."""
    with transaction.atomic(durable=True):
        if not job_succeed(run, **results):
            return  # the claim was lost (taken over as stale): the other worker's result stands
        FeatureDrift.objects.filter(run=run).delete()
        FeatureDrift.objects.bulk_create(rows)
        audit.record(
            action="monitoring.drift_run.succeeded",
            target=run,
            changes={
                "rows": results["current_rows"],
                "dataset_drift": results["dataset_drift"],
                "drift_share": results["drift_share"],
                "drifted": [row.feature for row in rows if row.drifted],
            },
        )
        send_on_commit(TaskName.ALERTS_EVALUATE_RUN, run.pk, if_lost=ALERTS_IF_LOST)
