"""Production batches in: JSON records and CSV/Parquet files, good and bad, idempotency keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.utils import timezone

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, PermissionDenied, ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.schema.columns import PREDICTION_ID, TIMESTAMP
from monitoring.ingest.services import batch_store, batches
from monitoring.selectors import quality_baseline
from tests.monitoring.factories import ReferenceDatasetFactory, feature_table, records

pytestmark = pytest.mark.django_db


def stored_files(kind: str = "batches") -> list[Path]:
    root = Path(settings.DATA_ROOT)
    return [p for p in (root / kind).rglob("*") if p.is_file()] if (root / kind).exists() else []


def assert_nothing_written():
    assert InferenceBatch.objects.count() == 0
    assert stored_files() == []
    assert not AuditEvent.objects.filter(action__startswith="monitoring.batch").exists()


def ingest(owner, version, rows, **kwargs):
    kwargs.setdefault("baseline", quality_baseline(version))
    return batches.batch_ingest_records(
        kind=batches.PRODUCTION, actor=owner, model_version=version, rows=rows, **kwargs
    )


def write_csv(tmp_path, text: str, name: str = "batch.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- JSON records ----------------------------------------------------------------------------


def test_json_batch_is_stored_as_parquet_with_a_row_and_an_audit_event(owner, version):
    rows = records(30)
    result = ingest(owner, version, rows)

    batch = result.batch
    assert not result.replayed and batch.row_count == 30 and batch.skipped_rows == 0
    table = pq.read_table(storage.resolve(batch.data_path))
    assert table.column_names == ["x", "c", "score", PREDICTION_ID, TIMESTAMP]
    assert table.column("x").to_pylist() == [r["features"]["x"] for r in rows]
    assert table.column(PREDICTION_ID).to_pylist()[:2] == ["p-2-0", "p-2-1"]
    assert batch.first_timestamp.isoformat() == rows[0]["timestamp"]
    assert batch.last_timestamp.isoformat() == rows[-1]["timestamp"]
    assert batch.sha256 == storage.file_sha256(storage.resolve(batch.data_path))
    event = AuditEvent.objects.get(action="monitoring.batch.ingested")
    assert event.actor == owner and event.target_id == str(batch.pk)
    assert event.changes["rows"]["after"] == 30


def test_records_without_timestamp_get_the_receive_time(owner, version):
    before = timezone.now()
    rows = [{"features": {"x": 1.0, "c": "a"}, "prediction": 0.5}]
    batch = ingest(owner, version, rows).batch
    assert before <= batch.first_timestamp <= timezone.now()


def test_quality_summary_counts_nulls_unseen_categories_and_out_of_range(owner, version):
    ReferenceDatasetFactory(model_version=version)  # x ~ N(0, 1), c in {a, b, c}
    rows = [
        {"features": {"x": 0.1, "c": "a"}, "prediction": 0.2},
        {"features": {"x": None, "c": "zzz"}, "prediction": 0.2},
        {"features": {"x": 99.0, "c": "zzz"}, "prediction": None},
        {"features": {"x": -99.0, "c": None}, "prediction": 0.9},
    ]
    quality = ingest(owner, version, rows).batch.quality
    assert quality["row_count"] == 4
    assert quality["columns"]["x"]["nulls"] == 1
    assert quality["columns"]["x"]["out_of_range"] == 2
    assert quality["columns"]["c"]["nulls"] == 1
    assert quality["columns"]["c"]["unseen_categories"] == 2
    assert quality["columns"]["c"]["unseen_examples"] == ["zzz"]
    assert quality["columns"]["score"]["nulls"] == 1
    assert quality["totals"] == {
        "nulls": 3,
        "type_mismatches": 0,
        "unseen_categories": 2,
        "out_of_range": 2,
    }


@pytest.mark.parametrize(
    ("bad_record", "problem"),
    [
        ({"features": {"x": "1.5", "c": "a"}, "prediction": 0.1}, "feature 'x': expected a number"),
        ({"features": {"x": True, "c": "a"}, "prediction": 0.1}, "feature 'x': expected a number"),
        ({"features": {"c": "a"}, "prediction": 0.1}, "feature 'x': missing"),
        ({"features": {"x": 1.0, "c": "a", "age": 3}, "prediction": 0.1}, "unknown feature 'age'"),
        ({"features": {"x": 1.0, "c": "a"}}, "prediction: missing"),
        ({"features": {"x": 1.0, "c": 2.5}, "prediction": 0.1}, "feature 'c': expected a string"),
        ({"features": {"x": 1.0, "c": "a"}, "prediction": "high"}, "prediction 'score'"),
        ({"features": {"x": 1.0, "c": "a"}, "prediction": 0.1, "foo": 1}, "unknown field 'foo'"),
        ({"features": [1, 2], "prediction": 0.1}, "features: must be an object"),
        ("not an object", "record: must be an object"),
        (
            {"features": {"x": 1.0, "c": "a"}, "prediction": 0.1, "timestamp": "yesterday"},
            "field 'timestamp': expected an ISO 8601 date-time",
        ),
    ],
)
def test_a_bad_record_rejects_the_batch_naming_row_and_problem(owner, version, bad_record, problem):
    rows = records(5)
    rows.insert(3, bad_record)
    with pytest.raises(ValidationFailed) as error:
        ingest(owner, version, rows)
    assert error.value.message.startswith(f"records[3]: {problem}")
    assert error.value.field == "records[3]"
    assert_nothing_written()


def test_timestamp_in_the_future_beyond_tolerance_is_rejected(owner, version):
    rows = records(3)
    rows[1]["timestamp"] = (timezone.now() + timedelta(hours=2)).isoformat()
    with pytest.raises(ValidationFailed, match=r"records\[1\]: timestamp: more than 300 s"):
        ingest(owner, version, rows)
    assert_nothing_written()
    rows[1]["timestamp"] = (timezone.now() + timedelta(seconds=60)).isoformat()
    assert ingest(owner, version, rows).batch.row_count == 3


def test_empty_batch_is_rejected(owner, version):
    with pytest.raises(ValidationFailed, match="records: there are no rows"):
        ingest(owner, version, [])
    with pytest.raises(ValidationFailed, match="records: must be a list"):
        ingest(owner, version, {"features": {}})
    assert_nothing_written()


def test_skip_bad_rows_stores_the_good_ones_and_says_why_others_were_skipped(owner, version):
    rows = records(10)
    rows[2]["features"]["x"] = "oops"
    rows[5]["features"]["x"] = "also bad"
    rows[7]["features"].pop("c")
    result = ingest(owner, version, rows, skip_bad_rows=True)

    assert result.batch.row_count == 7 and result.batch.skipped_rows == 3
    reasons = {item["reason"]: item for item in result.skip_reasons}
    assert reasons["feature 'x': expected a number"]["count"] == 2
    assert reasons["feature 'x': expected a number"]["first_row"] == "records[2]"
    assert reasons["feature 'c': missing"]["count"] == 1
    assert result.batch.quality["columns"]["x"]["type_mismatches"] == 2
    stored = pq.read_table(storage.resolve(result.batch.data_path))
    assert stored.column(PREDICTION_ID).to_pylist() == [
        f"p-2-{i}" for i in range(10) if i not in (2, 5, 7)
    ]


def test_skip_bad_rows_with_nothing_good_left_is_rejected(owner, version):
    rows = [{"features": {"x": "bad"}, "prediction": 0.1}] * 3
    with pytest.raises(ValidationFailed, match="every row is bad"):
        ingest(owner, version, rows, skip_bad_rows=True)
    assert_nothing_written()


def test_only_owners_and_admins_may_ingest(version, other_scientist, viewer, admin_user):
    for user in (other_scientist, viewer):
        with pytest.raises(PermissionDenied):
            ingest(user, version, records(2))
    assert_nothing_written()
    assert not ingest(admin_user, version, records(2)).replayed


def test_a_version_without_a_signature_cannot_take_data(owner, version):
    version.signature = {}
    version.save()
    with pytest.raises(ValidationFailed, match="declares no input columns"):
        ingest(owner, version, records(2))


def test_a_failing_commit_leaves_no_file(owner, version, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(batch_store.audit, "record", broken)
    with pytest.raises(RuntimeError):
        ingest(owner, version, records(4))
    assert_nothing_written()


def test_a_failing_file_write_leaves_no_row(owner, version, monkeypatch):
    def broken(table, stream, **kwargs):
        stream.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(storage.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest(owner, version, records(4))
    assert_nothing_written()
    assert not list(Path(settings.DATA_ROOT).rglob("*.tmp"))


# --- idempotency -----------------------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_same_batch(owner, version):
    rows = records(5)
    first = ingest(owner, version, rows, idempotency_key="retry-1", request_sha256="a" * 64)
    again = ingest(owner, version, rows, idempotency_key="retry-1", request_sha256="a" * 64)
    assert not first.replayed and again.replayed
    assert again.batch.pk == first.batch.pk
    assert InferenceBatch.objects.count() == 1 and len(stored_files()) == 1


def test_same_idempotency_key_with_a_different_body_is_a_conflict(owner, version):
    ingest(owner, version, records(5), idempotency_key="retry-2")
    with pytest.raises(Conflict, match="Idempotency-Key: 'retry-2' was already used"):
        ingest(owner, version, records(5, seed=9), idempotency_key="retry-2")
    assert InferenceBatch.objects.count() == 1 and len(stored_files()) == 1


def test_idempotency_keys_are_per_model_version(owner, version):
    from tests.factories import ModelVersionFactory

    second = ModelVersionFactory(model=version.model, version=2)
    ingest(owner, version, records(3), idempotency_key="k")
    assert not ingest(owner, second, records(3), idempotency_key="k").replayed


def test_a_bad_idempotency_key_is_refused(owner, version):
    with pytest.raises(ValidationFailed, match="Idempotency-Key"):
        ingest(owner, version, records(2), idempotency_key="has spaces in it")


# --- files -----------------------------------------------------------------------------------


def ingest_file(owner, version, path, **kwargs):
    kwargs.setdefault("baseline", quality_baseline(version))
    return batches.batch_ingest_file(
        kind=batches.PRODUCTION,
        actor=owner,
        model_version=version,
        path=path,
        filename=path.name,
        **kwargs,
    )


def test_parquet_file_is_validated_and_stored(owner, version, tmp_path):
    table = feature_table(200).append_column(
        "prediction_id", pa.array([f"id{i}" for i in range(200)])
    )
    path = tmp_path / "batch.parquet"
    pq.write_table(table, path)
    batch = ingest_file(owner, version, path).batch
    assert batch.source == "parquet" and batch.row_count == 200
    stored = pq.read_table(storage.resolve(batch.data_path))
    assert stored.column("x").to_pylist() == table.column("x").to_pylist()
    assert stored.column(PREDICTION_ID).to_pylist()[-1] == "id199"


def test_csv_file_keeps_category_text_and_parses_timestamps(owner, version, tmp_path):
    path = write_csv(
        tmp_path,
        "x,c,score,timestamp\n1.5,007,0.2,2026-01-01T10:00:00Z\n2,b,0.4,2026-01-01T11:00:00\n",
    )
    batch = ingest_file(owner, version, path).batch
    stored = pq.read_table(storage.resolve(batch.data_path))
    assert stored.column("c").to_pylist() == ["007", "b"]
    assert [t.hour for t in stored.column(TIMESTAMP).to_pylist()] == [10, 11]
    assert batch.source == "csv"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "file: the file is empty"),
        ("x,c,score\n", "file: there are no rows"),
        ("x,score\n1,0.5\n", "file: missing column(s) 'c'"),
        ("x,c,score,age\n1,a,0.5,3\n", "file: unknown column(s) 'age'"),
        ("x,c,score\n1,a,0.5\nabc,b,0.2\n", "line 3: feature 'x': expected a number (got 'abc')"),
        ("x,c,score\n1,a,0.5\n2,b\n", "line 3: the line does not have the header's columns"),
    ],
)
def test_bad_csv_files_are_rejected_whole(owner, version, tmp_path, content, problem):
    with pytest.raises(ValidationFailed) as error:
        ingest_file(owner, version, write_csv(tmp_path, content))
    assert error.value.message.startswith(problem)
    assert_nothing_written()


def test_unparsable_parquet_is_rejected(owner, version, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(ValidationFailed, match="file: cannot read the parquet file"):
        ingest_file(owner, version, path)
    assert_nothing_written()


def test_parquet_column_of_the_wrong_type_is_named(owner, version, tmp_path):
    path = tmp_path / "wrong.parquet"
    table = pa.table({"x": [True, False], "c": ["a", "b"], "score": [0.1, 0.2]})
    pq.write_table(table, path)
    with pytest.raises(ValidationFailed, match="x: feature 'x' must be a number, but the file"):
        ingest_file(owner, version, path)
    assert_nothing_written()


def test_csv_with_some_bad_rows_can_skip_them(owner, version, tmp_path):
    path = write_csv(tmp_path, "x,c,score\n1,a,0.5\nabc,b,0.2\n3,c\n4,a,0.9\n")
    result = ingest_file(owner, version, path, skip_bad_rows=True)
    assert result.batch.row_count == 2 and result.batch.skipped_rows == 2
    reasons = {item["reason"]: item["first_row"] for item in result.skip_reasons}
    assert reasons == {
        "feature 'x': expected a number": "line 3",
        "the line does not have the header's columns": "line 4",
    }


def test_file_idempotency_uses_the_file_content(owner, version, tmp_path):
    first = write_csv(tmp_path, "x,c,score\n1,a,0.5\n", "one.csv")
    second = write_csv(tmp_path, "x,c,score\n2,a,0.5\n", "two.csv")
    created = ingest_file(owner, version, first, idempotency_key="file-1")
    replayed = ingest_file(owner, version, first, idempotency_key="file-1")
    assert replayed.replayed and replayed.batch.pk == created.batch.pk
    with pytest.raises(Conflict):
        ingest_file(owner, version, second, idempotency_key="file-1")
