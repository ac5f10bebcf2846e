"""Performance metrics: checked against hand computations, then end to end: a run's
performance over its window's labelled predictions."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pyarrow.parquet as pq
import pytest

from mlops_portal.errors import ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.services.batches import LABELS, batch_ingest_records
from monitoring.performance import classification_metrics, regression_metrics, roc_auc
from monitoring.services.run_execution import drift_run_execute
from tests.factories import ModelVersionFactory, RegisteredModelFactory
from tests.monitoring.factories import (
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    aligned_hour,
    pending_run,
)


def brute_force_auc(y_true, scores) -> float:
    """Share of (positive, negative) pairs ranked correctly, ties counting half."""
    positives = [s for s, y in zip(scores, y_true, strict=True) if y]
    negatives = [s for s, y in zip(scores, y_true, strict=True) if not y]
    wins = sum(
        1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives)
    )
    return wins / (len(positives) * len(negatives))


def test_binary_classification_matches_hand_counts():
    y_true = np.array(["1", "1", "1", "0", "0", "0", "0", "1"], dtype=object)
    y_pred = np.array(["1", "0", "1", "0", "1", "0", "0", "1"], dtype=object)
    metrics = classification_metrics(y_true, y_pred)
    # tp=3 fp=1 fn=1 tn=3
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert metrics["precision"] == pytest.approx(3 / 4)
    assert metrics["recall"] == pytest.approx(3 / 4)
    assert metrics["f1"] == pytest.approx(0.75)
    assert metrics["averaging"] == "binary" and metrics["n"] == 8


def test_roc_auc_equals_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(4)
    y = rng.random(300) < 0.4
    scores = np.round(rng.random(300) * 0.6 + y * 0.3, 2)  # rounding makes ties
    assert roc_auc(y, scores) == pytest.approx(brute_force_auc(y, scores), abs=1e-12)
    assert roc_auc(np.ones(5, bool), np.arange(5.0)) is None


def test_multiclass_metrics_are_macro_averaged():
    y_true = np.array(["cat", "dog", "dog", "bird", "cat"], dtype=object)
    y_pred = np.array(["cat", "dog", "cat", "bird", "dog"], dtype=object)
    metrics = classification_metrics(y_true, y_pred)
    # per class precision: bird 1, cat 1/2, dog 1/2 ; recall: bird 1, cat 1/2, dog 1/2
    assert metrics["precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert metrics["recall"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert metrics["accuracy"] == pytest.approx(3 / 5) and metrics["averaging"] == "macro"
    assert "roc_auc" not in metrics


def test_regression_metrics_match_their_formulas():
    y = np.array([3.0, -0.5, 2.0, 7.0, 0.0])
    p = np.array([2.5, 0.0, 2.0, 8.0, 0.5])
    metrics = regression_metrics(y, p)
    errors = p - y
    assert metrics["mae"] == pytest.approx(np.mean(np.abs(errors)))
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    nonzero = y != 0
    assert metrics["mape"] == pytest.approx(np.mean(np.abs(errors[nonzero] / y[nonzero])))
    assert metrics["r2"] == pytest.approx(1 - np.sum(errors**2) / np.sum((y - y.mean()) ** 2))


# --- end to end ------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_run_reports_performance_for_labelled_predictions(owner, version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    start = aligned_hour(1)
    batch = InferenceBatchFactory(
        model_version=version,
        first_timestamp=start + timedelta(minutes=1),
        last_timestamp=start + timedelta(minutes=50),
        row_count=200,
    )
    stored = pq.read_table(storage.resolve(batch.data_path))
    ids = stored.column("__prediction_id").to_pylist()
    scores = np.asarray(stored.column("score").to_pylist())
    truth = (scores + np.random.default_rng(0).normal(0, 0.3, 200)) > 0.5
    labels = [
        {"prediction_id": pid, "label": int(y)}
        for pid, y in zip(ids[:150], truth[:150], strict=True)
    ]
    labels.append({"prediction_id": "unknown-id", "label": 1})  # matches nothing
    batch_ingest_records(kind=LABELS, actor=owner, model_version=version, rows=labels)

    run = drift_run_execute(run_id=pending_run(monitor).pk)

    y = truth[:150]
    predicted = scores[:150] >= 0.5
    assert run.labelled_rows == 150
    assert run.performance["accuracy"] == pytest.approx(np.mean(predicted == y))
    tp = np.sum(predicted & y)
    assert run.performance["precision"] == pytest.approx(tp / predicted.sum())
    assert run.performance["recall"] == pytest.approx(tp / y.sum())
    assert run.performance["roc_auc"] == pytest.approx(brute_force_auc(y, scores[:150]))


@pytestmark_db
def test_regression_models_get_regression_metrics(make_user, team):
    owner = make_user("data_scientist", username="reg-owner")
    owner.groups.add(team)
    model = RegisteredModelFactory(name="demand", owner_group=team, task_type="regression")
    version = ModelVersionFactory(model=model, version=1)
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    start = aligned_hour(1)
    batch = InferenceBatchFactory(
        model_version=version, first_timestamp=start, last_timestamp=start + timedelta(minutes=9),
        row_count=10,
    )  # fmt: skip
    stored = pq.read_table(storage.resolve(batch.data_path))
    ids = stored.column("__prediction_id").to_pylist()
    predictions = np.asarray(stored.column("score").to_pylist())
    truth = predictions + np.linspace(-0.1, 0.1, 10)
    batch_ingest_records(
        kind=LABELS,
        actor=owner,
        model_version=version,
        rows=[{"prediction_id": i, "label": float(t)} for i, t in zip(ids, truth, strict=True)],
    )
    with pytest.raises(ValidationFailed, match="label: expected a number"):
        batch_ingest_records(
            kind=LABELS,
            actor=owner,
            model_version=version,
            rows=[{"prediction_id": "a", "label": "high"}],
        )
    run = drift_run_execute(run_id=pending_run(monitor).pk)
    assert run.performance["mae"] == pytest.approx(np.mean(np.abs(predictions - truth)))
    assert set(run.performance) == {"n", "mae", "rmse", "mape", "r2"}
