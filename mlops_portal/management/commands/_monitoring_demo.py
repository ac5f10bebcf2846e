"""Monitoring demo data for ``churn-classifier`` v2, so the monitor page looks alive at once.

``seed_monitoring_demo()`` (called by ``manage.py seed_demo``) goes through the real services as
alice, the model's data scientist: a reference dataset (profiled), a daily monitor, fourteen
days of production batches in which ``monthly_charges`` and ``contract`` drift from day eight,
ground-truth labels for most predictions, drift runs for every complete day, and a few single
predictions waiting in the buffer for the compaction task. Idempotent: a second call finds the
monitor and adds nothing.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.contrib.auth import get_user_model
from django.utils import timezone

from monitoring.ingest import storage
from monitoring.ingest.services import batches, buffer
from monitoring.models import DriftRun, JobStatus, Monitor, ReferenceDataset
from monitoring.selectors import quality_baseline
from monitoring.services import monitors, references, run_execution, scheduling
from registry.models import ModelVersion

MODEL = "churn-classifier"
VERSION = 2
MONITOR = "churn-daily"
REFERENCE = "churn-train-2026-10"
DAYS = 14
DRIFT_FROM_DAY = 8
ROWS_PER_DAY = 1500
CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENTS = ("electronic-check", "mailed-check", "bank-transfer", "credit-card")


def _rows(rng: np.random.Generator, n: int, *, drift: float = 0.0) -> dict[str, np.ndarray]:
    """Customers and the model's churn probability; ``drift`` in [0, 1] moves charges up and
    contracts towards month-to-month (and the true churn away from the model's belief)."""
    tenure = np.clip(rng.gamma(2.0, 14.0, n), 1, 72).astype(np.int64)
    monthly = np.clip(rng.normal(65 + 25 * drift, 20, n), 18, 130).round(2)
    total = (tenure * monthly * rng.uniform(0.9, 1.05, n)).round(2)
    support = rng.poisson(1.2 + 1.5 * drift, n).astype(np.int64)
    month_share = 0.55 + 0.3 * drift
    contract_p = [month_share, (1 - month_share) * 0.55, (1 - month_share) * 0.45]
    contract = rng.choice(CONTRACTS, n, p=contract_p)
    payment = rng.choice(PAYMENTS, n, p=[0.35, 0.2, 0.22, 0.23])
    logit = (
        -1.2
        + 1.3 * (contract == "month-to-month")
        - 0.035 * tenure
        + 0.018 * (monthly - 65)
        + 0.35 * support
        + 0.4 * (payment == "electronic-check")
    )
    probability = 1 / (1 + np.exp(-logit))
    return {
        "tenure_months": tenure,
        "monthly_charges": monthly,
        "total_charges": total,
        "support_calls": support,
        "contract": contract,
        "payment_method": payment,
        "churn_probability": probability.round(4),
        "_true_logit": logit + 0.8 * drift,  # the world changes faster than the model
    }


def _table(columns: dict[str, np.ndarray], **extra) -> pa.Table:
    data = {name: values for name, values in columns.items() if not name.startswith("_")}
    return pa.table({**data, **extra})


def _reference(alice, version: ModelVersion, rng) -> ReferenceDataset:
    existing = (
        ReferenceDataset.objects.filter(model_version=version, name=REFERENCE)
        .exclude(status=JobStatus.FAILED)
        .first()
    )
    if existing is None:
        upload = storage.tmp_dir() / f"demo-{REFERENCE}.parquet.upload"
        pq.write_table(_table(_rows(rng, 5000)), upload)
        existing = references.reference_dataset_create(
            actor=alice,
            model_version=version,
            upload_path=upload,
            filename="churn-train-2026-10.parquet",
            name=REFERENCE,
        )
    if not existing.is_ready:
        # Profiled here, not left to a worker that may not run yet (the queued task finds it
        # done and does nothing).
        existing = references.reference_profile_build(reference_id=existing.pk) or existing
    return existing


def _production(alice, version: ModelVersion, rng, workdir: Path, today) -> list[dict]:
    """One batch per day (idempotency keys make a re-run add nothing); returns the labels of
    most of their predictions."""
    labelled: list[dict] = []
    for day in range(DAYS):
        start = today - timedelta(days=DAYS - day)
        drift = max(0.0, (day - DRIFT_FROM_DAY + 1) / (DAYS - DRIFT_FROM_DAY))
        columns = _rows(rng, ROWS_PER_DAY, drift=min(drift, 1.0))
        seconds = np.sort(rng.uniform(0, 86400 - 1, ROWS_PER_DAY))
        stamps = [start + timedelta(seconds=float(s)) for s in seconds]
        ids = [f"demo-{start:%Y%m%d}-{i:05d}" for i in range(ROWS_PER_DAY)]
        path = workdir / f"day-{day}.parquet"
        pq.write_table(
            _table(columns, prediction_id=pa.array(ids), timestamp=pa.array(stamps)), path
        )
        batches.batch_ingest_file(
            kind=batches.PRODUCTION,
            actor=alice,
            model_version=version,
            path=path,
            baseline=quality_baseline(version),
            filename=path.name,
            idempotency_key=f"demo-{start:%Y-%m-%d}",
        )
        if day < DAYS - 2:  # the last two days' outcomes are not known yet
            churned = rng.random(ROWS_PER_DAY) < 1 / (1 + np.exp(-columns["_true_logit"]))
            keep = rng.random(ROWS_PER_DAY) < 0.7
            labelled += [
                {"prediction_id": pid, "label": int(y)}
                for pid, y, k in zip(ids, churned, keep, strict=True)
                if k
            ]
    return labelled


def _labels(alice, version: ModelVersion, labelled: list[dict]) -> None:
    batches.batch_ingest_records(
        kind=batches.LABELS,
        actor=alice,
        model_version=version,
        rows=labelled,
        idempotency_key="demo-labels",
    )


def _buffered_predictions(alice, version: ModelVersion, rng) -> None:
    columns = _rows(rng, 20)
    now = timezone.now()
    for i in range(20):
        buffer.prediction_buffer_append(
            actor=alice,
            model_version=version,
            record={
                "features": {
                    name: columns[name][i].item()
                    for name in (
                        "tenure_months",
                        "monthly_charges",
                        "total_charges",
                        "support_calls",
                        "contract",
                        "payment_method",
                    )
                },
                "prediction": float(columns["churn_probability"][i]),
                "prediction_id": f"demo-live-{now:%Y%m%d%H%M%S}-{i}",
                "timestamp": (now - timedelta(minutes=20 - i)).isoformat(),
            },
        )


def seed_monitoring_demo() -> Monitor | None:
    """Give churn-classifier v2 monitoring data and results (idempotent)."""
    version = (
        ModelVersion.objects.select_related("model")
        .filter(model__name=MODEL, version=VERSION)
        .first()
    )
    alice = get_user_model().objects.filter(username="alice").first()
    if version is None or alice is None:
        return None
    existing = Monitor.objects.filter(model_version=version, name=MONITOR).first()
    if existing is not None:
        return existing
    from mlops_portal.celery import ensure_broker_dirs

    ensure_broker_dirs()  # queued follow-up tasks find their work done when a worker starts
    rng = np.random.default_rng(2026)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        reference = _reference(alice, version, rng)
        labelled = _production(alice, version, rng, workdir, today)
    _labels(alice, version, labelled)
    monitor = monitors.monitor_create(
        actor=alice,
        model_version=version,
        reference=reference,
        name=MONITOR,
        description="Daily drift of the Production churn model against its training data.",
        window_seconds=86400,
        interval_seconds=3600,
    )
    scheduling.drift_backfill_request(actor=alice, monitor=monitor, windows=DAYS)
    for run_id in DriftRun.objects.filter(monitor=monitor, status=JobStatus.PENDING).values_list(
        "pk", flat=True
    ):
        run_execution.drift_run_execute(run_id=run_id)
    _buffered_predictions(alice, version, rng)
    return monitor
