"""Model performance from predictions joined with ground-truth labels.

Classification: accuracy, precision, recall and F1 (for the positive class "1" when the labels
are binary 0/1, otherwise macro-averaged over the classes), ROC AUC when the prediction is a
score in [0, 1] and the labels are binary. Regression: MAE, RMSE, MAPE (over non-zero labels), R².
The metrics are numpy/scipy; ``window_performance`` joins a window's predictions with the labels.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import rankdata

from monitoring.ingest.schema.columns import PREDICTION_ID, prediction_column
from monitoring.ingest.schema.labels import LABEL, class_text
from registry.models import ModelVersion, TaskType

SCORE_THRESHOLD = 0.5
BINARY = frozenset({"0", "1"})


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve by the Mann-Whitney rank-sum identity (ties get half credit).

    ``y_true`` is boolean; None when only one class is present.
    """
    y_true = np.asarray(y_true, dtype=bool)
    n_pos = int(y_true.sum())
    n_neg = int(y_true.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    rank_sum = float(ranks[y_true].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray, positive) -> tuple:
    true_pos = int(np.sum((y_pred == positive) & (y_true == positive)))
    predicted = int(np.sum(y_pred == positive))
    actual = int(np.sum(y_true == positive))
    precision = true_pos / predicted if predicted else 0.0
    recall = true_pos / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None = None
) -> dict:
    """Labels and predicted classes as strings (e.g. "0"/"1" or class names)."""
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    n = int(y_true.size)
    if n == 0:
        return {"n": 0}
    classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    metrics = {"n": n, "accuracy": float(np.mean(y_true == y_pred))}
    if set(classes) <= BINARY:
        precision, recall, f1 = _precision_recall_f1(y_true, y_pred, "1")
        metrics.update(precision=precision, recall=recall, f1=f1, averaging="binary")
        if scores is not None:
            metrics["roc_auc"] = roc_auc(y_true == "1", np.asarray(scores, dtype=np.float64))
    else:
        per_class = [_precision_recall_f1(y_true, y_pred, c) for c in classes]
        metrics.update(
            precision=float(np.mean([p for p, _, _ in per_class])),
            recall=float(np.mean([r for _, r, _ in per_class])),
            f1=float(np.mean([f for _, _, f in per_class])),
            averaging="macro",
        )
    return metrics


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    n = int(y_true.size)
    if n == 0:
        return {"n": 0}
    errors = y_pred - y_true
    nonzero = y_true != 0
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "n": n,
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mape": _finite(float(np.mean(np.abs(errors[nonzero] / y_true[nonzero]))))
        if nonzero.any()
        else None,
        "r2": _finite(1 - float(np.sum(errors**2)) / total) if total > 0 else None,
    }


def scores_to_classes(scores: np.ndarray) -> list[str]:
    return ["1" if s >= SCORE_THRESHOLD else "0" for s in scores.tolist()]


def window_performance(
    model_version: ModelVersion, window: pa.Table, labels: pa.Table | None
) -> tuple[dict, int]:
    """Metrics over the window's predictions that have a label; ({}, 0) without any."""
    output = prediction_column(model_version.signature)
    task = model_version.model.task_type
    if labels is None or output is None or task == TaskType.OTHER:
        return {}, 0
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
