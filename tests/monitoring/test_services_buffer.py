"""Single predictions: buffered on disk, compacted into batches; a crash loses nothing and
doubles nothing."""

from __future__ import annotations

import threading

import pyarrow.parquet as pq
import pytest

from mlops_portal.errors import PermissionDenied, ValidationFailed
from monitoring import storage
from monitoring.models import InferenceBatch
from monitoring.services import batches, buffer
from tests.monitoring.factories import records

pytestmark = pytest.mark.django_db


def stored_ids(version) -> list[str]:
    ids = []
    for batch in InferenceBatch.objects.filter(model_version=version).order_by("pk"):
        table = pq.read_table(storage.resolve(batch.data_path))
        ids += table.column("__prediction_id").to_pylist()
    return ids


def log(owner, version, rows):
    for record in rows:
        buffer.prediction_log(actor=owner, model_version=version, record=record)


def test_logged_predictions_become_one_batch(owner, version):
    rows = records(12)
    log(owner, version, rows)
    assert not InferenceBatch.objects.exists()
    assert buffer.prediction_buffers_compact() == 1
    batch = InferenceBatch.objects.get()
    assert batch.source == "buffer" and batch.row_count == 12 and batch.created_by is None
    assert stored_ids(version) == [r["prediction_id"] for r in rows]
    assert batch.first_timestamp.isoformat() == rows[0]["timestamp"]
    assert buffer.prediction_buffers_compact() == 0  # nothing left


def test_a_bad_prediction_is_refused_at_once(owner, version):
    with pytest.raises(ValidationFailed, match=r"^feature 'x': missing"):
        buffer.prediction_log(
            actor=owner, model_version=version, record={"features": {"c": "a"}, "prediction": 1.0}
        )
    assert buffer.buffered_bytes() == 0


def test_only_ingesters_may_log(viewer, version):
    with pytest.raises(PermissionDenied):
        buffer.prediction_log(actor=viewer, model_version=version, record=records(1)[0])


def test_a_crash_before_the_batch_commits_keeps_the_sealed_file(owner, version, monkeypatch):
    rows = records(6)
    log(owner, version, rows[:4])

    def crash(*args, **kwargs):
        raise SystemExit("worker killed while writing the batch")

    monkeypatch.setattr(batches.storage, "write_parquet", crash)
    with pytest.raises(SystemExit):
        buffer.prediction_buffers_compact()
    monkeypatch.undo()
    assert not InferenceBatch.objects.exists()
    log(owner, version, rows[4:])  # arrives after the crash, into a fresh open file

    assert buffer.prediction_buffers_compact() == 2  # the sealed file, then the new one
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
        buffer.prediction_buffers_compact()
    monkeypatch.undo()
    assert InferenceBatch.objects.count() == 1

    assert buffer.prediction_buffers_compact() == 0  # found the committed batch: file removed
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
        buffer.prediction_buffer_compact(model_version_id=version.pk)
    for thread in threads:
        thread.join()
    buffer.prediction_buffers_compact()
    assert errors == []
    assert sorted(stored_ids(version)) == sorted(r["prediction_id"] for r in rows)
