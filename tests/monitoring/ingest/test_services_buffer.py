"""Single predictions: buffered on disk, compacted into batches; a crash loses nothing and
doubles nothing."""

from __future__ import annotations

import threading

import pyarrow.parquet as pq
import pytest

from mlops_portal.errors import PermissionDenied, ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.services import buffer
from monitoring.selectors import quality_baseline
from tests.monitoring.factories import ReferenceDatasetFactory, records

pytestmark = pytest.mark.django_db


def stored_ids(version) -> list[str]:
    ids = []
    for batch in InferenceBatch.objects.filter(model_version=version).order_by("pk"):
        table = pq.read_table(storage.resolve(batch.data_path))
        ids += table.column("__prediction_id").to_pylist()
    return ids


def compact() -> int:
    return buffer.prediction_buffers_compact(baseline_of=quality_baseline)


def log(owner, version, rows):
    for record in rows:
        buffer.prediction_buffer_append(actor=owner, model_version=version, record=record)


def test_logged_predictions_become_one_batch(owner, version):
    rows = records(12)
    log(owner, version, rows)
    assert not InferenceBatch.objects.exists()
    assert compact() == 1
    batch = InferenceBatch.objects.get()
    assert batch.source == "buffer" and batch.row_count == 12 and batch.created_by is None
    assert stored_ids(version) == [r["prediction_id"] for r in rows]
    assert batch.first_timestamp.isoformat() == rows[0]["timestamp"]
    assert compact() == 0  # nothing left


def test_compacted_batches_are_checked_against_the_latest_reference(owner, version):
    ReferenceDatasetFactory(model_version=version)
    rows = records(3)
    rows[0]["features"]["c"] = "never-seen"
    log(owner, version, rows)
    assert compact() == 1
    quality = InferenceBatch.objects.get().quality
    assert quality["reference_id"] is not None
    assert quality["columns"]["c"]["unseen_examples"] == ["never-seen"]


def test_a_bad_prediction_is_refused_at_once(owner, version):
    with pytest.raises(ValidationFailed, match=r"^feature 'x': missing"):
        buffer.prediction_buffer_append(
            actor=owner, model_version=version, record={"features": {"c": "a"}, "prediction": 1.0}
        )
    assert buffer.buffered_bytes() == 0


def test_only_ingesters_may_log(viewer, version):
    with pytest.raises(PermissionDenied):
        buffer.prediction_buffer_append(actor=viewer, model_version=version, record=records(1)[0])


def test_a_crash_before_the_batch_commits_keeps_the_sealed_file(owner, version, monkeypatch):
    rows = records(6)
    log(owner, version, rows[:4])

    def crash(*args, **kwargs):
        raise SystemExit("worker killed while writing the batch")

    monkeypatch.setattr(storage, "write_parquet", crash)
    with pytest.raises(SystemExit):
        compact()
    monkeypatch.undo()
    assert not InferenceBatch.objects.exists()
    log(owner, version, rows[4:])  # arrives after the crash, into a fresh open file

    assert compact() == 2  # the sealed file, then the new one
    assert stored_ids(version) == [r["prediction_id"] for r in rows]


def test_a_crash_after_the_commit_does_not_store_the_batch_twice(owner, version, monkeypatch):
    rows = records(5)
    log(owner, version, rows)
    real_unlink = buffer.Path.unlink

    def crash_on_sealed(path, *args, **kwargs):
        if path.name.startswith(buffer.SEALED_PREFIX):
            raise SystemExit("worker killed before deleting the sealed file")
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(buffer.Path, "unlink", crash_on_sealed)
    with pytest.raises(SystemExit):
        compact()
    monkeypatch.undo()
    assert InferenceBatch.objects.count() == 1

    assert compact() == 0  # found the committed batch: file removed
    assert InferenceBatch.objects.count() == 1
    assert stored_ids(version) == [r["prediction_id"] for r in rows]
    assert buffer.buffered_bytes() == 0


def test_writers_racing_a_compaction_lose_nothing(owner, version):
    rows = records(200)
    log(owner, version, rows[:1])  # warms the user's role cache: the threads need no database
    chunks = [rows[1:][i::4] for i in range(4)]
    errors = []

    def writer(chunk):
        try:
            log(owner, version, chunk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        buffer.prediction_buffer_compact(model_version_id=version.pk, baseline_of=quality_baseline)
    for thread in threads:
        thread.join()
    compact()
    assert errors == []
    assert sorted(stored_ids(version)) == sorted(r["prediction_id"] for r in rows)
