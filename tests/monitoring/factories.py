"""factory_boy factories and data builders for monitoring (test set-up writes through the ORM
and writes real files under the test's DATA_ROOT, so code that reads them works unchanged)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import factory
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from drift import build_reference_profile
from monitoring.ingest import storage
from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.schema.columns import PREDICTION_ID, TIMESTAMP, TIMESTAMP_TYPE
from monitoring.models import Backfill, DriftRun, FeatureDrift, JobStatus, Monitor, ReferenceDataset
from monitoring.services.references import _column_summary
from tests.factories import ModelVersionFactory

CATEGORIES = ["a", "b", "c"]


def feature_table(n: int = 500, *, seed: int = 1, shift: float = 0.0, c_probs=None) -> pa.Table:
    """Rows shaped like ModelVersionFactory's signature: x (float), c (category), score."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "x": rng.normal(shift, 1.0, n),
            "c": rng.choice(CATEGORIES, n, p=c_probs or [0.5, 0.3, 0.2]),
            "score": rng.random(n),
        }
    )


def records(n: int = 20, *, seed: int = 2, start: datetime | None = None, ids: bool = True):
    table = feature_table(n, seed=seed)
    start = start or timezone.now() - timedelta(hours=1)
    out = []
    for i, row in enumerate(table.to_pylist()):
        record = {
            "features": {"x": row["x"], "c": row["c"]},
            "prediction": row["score"],
            "timestamp": (start + timedelta(seconds=i)).isoformat(),
        }
        if ids:
            record["prediction_id"] = f"p-{seed}-{i}"
        out.append(record)
    return out


class ReferenceDatasetFactory(factory.django.DjangoModelFactory):
    """A profiled reference: a Parquet file and its saved profile, status succeeded."""

    class Meta:
        model = ReferenceDataset

    model_version = factory.SubFactory(ModelVersionFactory)
    name = "training"
    original_filename = "train.parquet"
    file_format = "parquet"
    status = JobStatus.SUCCEEDED
    progress = 100
    data_path = factory.LazyAttribute(
        lambda o: storage.new_relative_path("references", o.model_version.pk, ".parquet")
    )
    profile_path = factory.LazyAttribute(
        lambda o: storage.new_relative_path("profiles", o.model_version.pk, ".npz")
    )

    rows = 1000
    seed = 11

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        rows, seed = kwargs.pop("rows"), kwargs.pop("seed")
        table = feature_table(rows, seed=seed)
        data = storage.resolve(kwargs["data_path"])
        data.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, data)
        types = {"x": "numerical", "c": "categorical", "score": "numerical"}
        profile = build_reference_profile(table, types)
        target = storage.resolve(kwargs["profile_path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        profile.save(target)
        kwargs.setdefault("row_count", rows)
        kwargs.setdefault("column_types", types)
        kwargs.setdefault("summary", _column_summary(profile) | {"excluded": {}})
        kwargs.setdefault("finished_at", timezone.now())
        return super()._create(model_class, *args, **kwargs)


class MonitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Monitor

    reference = factory.SubFactory(ReferenceDatasetFactory)
    model_version = factory.LazyAttribute(lambda o: o.reference.model_version)
    name = factory.Sequence(lambda n: f"monitor-{n}")
    window_seconds = 3600
    interval_seconds = 3600


def aligned_hour(hours_back: int = 1) -> datetime:
    now = timezone.now()
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_back)


class DriftRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DriftRun

    monitor = factory.SubFactory(MonitorFactory)
    window_start = factory.Sequence(lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n))
    window_end = factory.LazyAttribute(lambda o: o.window_start + timedelta(hours=1))
    status = JobStatus.SUCCEEDED
    progress = 100
    computed_through = factory.LazyAttribute(lambda o: o.window_end)
    current_rows = 100
    reference_rows = 1000
    dataset_drift = False
    drift_share = 0.0
    drift_share_threshold = 0.5
    n_features = 3
    n_tested = 3
    n_drifted = 0


class FeatureDriftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureDrift

    run = factory.SubFactory(DriftRunFactory)
    feature = "x"
    column_type = "numerical"
    method = "ks"
    statistic = 0.05
    p_value = 0.4
    threshold = 0.05
    status = "ok"
    severity = 0.3
    n_current = 100
    reference_histogram = factory.LazyFunction(
        lambda: {"edges": [0.0, 1.0, 2.0], "values": None, "counts": [5, 7]}
    )
    current_histogram = factory.LazyFunction(
        lambda: {"edges": [0.0, 1.0, 2.0], "values": None, "counts": [6, 6]}
    )


class InferenceBatchFactory(factory.django.DjangoModelFactory):
    """A stored batch: a real Parquet file in the stored layout plus its row."""

    class Meta:
        model = InferenceBatch

    model_version = factory.SubFactory(ModelVersionFactory)
    source = "json"
    data_path = factory.LazyAttribute(
        lambda o: storage.new_relative_path("batches", o.model_version.pk, ".parquet")
    )
    sha256 = "0" * 64
    row_count = 50
    first_timestamp = factory.LazyFunction(lambda: aligned_hour(1))
    last_timestamp = factory.LazyAttribute(lambda o: o.first_timestamp + timedelta(minutes=30))
    quality = factory.LazyFunction(
        lambda: {"row_count": 50, "totals": {"nulls": 1, "type_mismatches": 0,
                 "unseen_categories": 2, "out_of_range": 3}, "columns": {}}
    )  # fmt: skip

    shift = 0.0
    seed = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        shift, seed = kwargs.pop("shift"), kwargs.pop("seed")
        n = kwargs["row_count"]
        table = feature_table(n, seed=seed, shift=shift)
        start, end = kwargs["first_timestamp"], kwargs["last_timestamp"]
        step = (end - start) / max(n - 1, 1)
        stamps = pa.array([start + step * i for i in range(n)], TIMESTAMP_TYPE)
        ids = pa.array([f"b{seed}-{i}" for i in range(n)], pa.string())
        table = table.append_column(PREDICTION_ID, ids).append_column(TIMESTAMP, stamps)
        path = storage.resolve(kwargs["data_path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return super()._create(model_class, *args, **kwargs)


class BackfillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Backfill

    monitor = factory.SubFactory(MonitorFactory)
    windows = 3
    window_seconds = 3600
    first_window_start = factory.LazyFunction(lambda: aligned_hour(3))
    last_window_end = factory.LazyFunction(lambda: aligned_hour(0))
    status = JobStatus.RUNNING


def window_batch(monitor, hours_back: int = 1, **kwargs) -> InferenceBatch:
    """A batch inside the hour-long window that started ``hours_back`` hours ago."""
    start = aligned_hour(hours_back)
    kwargs.setdefault("row_count", 400)
    return InferenceBatchFactory(
        model_version=monitor.model_version,
        first_timestamp=start + timedelta(minutes=1),
        last_timestamp=start + timedelta(minutes=59),
        **kwargs,
    )


def pending_run(monitor, hours_back: int = 1) -> DriftRun:
    """A queued run of the hour-long window that started ``hours_back`` hours ago."""
    start = aligned_hour(hours_back)
    return DriftRunFactory(
        monitor=monitor,
        window_start=start,
        window_end=start + timedelta(hours=1),
        status=JobStatus.PENDING,
        progress=0,
        computed_through=None,
        current_rows=None,
        dataset_drift=None,
        drift_share=None,
    )


def parquet_upload(n: int = 100, name: str = "batch.parquet") -> io.BytesIO:
    """A Parquet file of ``n`` rows, as a client uploads it."""
    stream = io.BytesIO()
    pq.write_table(feature_table(n), stream)
    stream.seek(0)
    stream.name = name
    return stream
