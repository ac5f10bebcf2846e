"""Ground-truth labels in: JSON and files, bad labels named, retries safe, and a performance
refresh queued by task name once the batch commits."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from governance.audit import AuditEvent
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring.dispatch import TaskName
from monitoring.ingest import storage
from monitoring.ingest.models import LabelBatch
from monitoring.ingest.schema.columns import PREDICTION_ID
from monitoring.ingest.schema.labels import LABEL, class_text
from monitoring.ingest.services import batches
from monitoring.ingest.services.batches import LABELS

pytestmark = pytest.mark.django_db


def ingest(owner, version, rows, **kwargs):
    return batches.batch_ingest_records(
        kind=LABELS, actor=owner, model_version=version, rows=rows, **kwargs
    )


def test_labels_and_classes_compare_as_text():
    assert class_text([True, False, 1, 0, 1.0, "yes", None]) == [
        "1",
        "0",
        "1",
        "0",
        "1",
        "yes",
        None,
    ]


def test_json_labels_are_stored_as_text_classes(owner, version):
    rows = [{"prediction_id": "p-1", "label": True}, {"prediction_id": 7, "label": 0}]
    result = ingest(owner, version, rows)
    table = pq.read_table(storage.resolve(result.batch.data_path))
    assert table.column(PREDICTION_ID).to_pylist() == ["p-1", "7"]
    assert table.column(LABEL).to_pylist() == ["1", "0"]
    assert AuditEvent.objects.filter(
        action="monitoring.labels.ingested", target_id=str(result.batch.pk)
    ).exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"prediction_id": "p-1"}], "labels[0]: label: missing"),
        ([{"label": 1}], "labels[0]: prediction_id: missing"),
        ([{"prediction_id": "p-1", "label": 1, "score": 2}], "labels[0]: unknown field 'score'"),
        ([{"prediction_id": ["p"], "label": 1}], "labels[0]: prediction_id: expected a string"),
        ([{"prediction_id": "p-1", "label": {"a": 1}}], "labels[0]: label: expected a class"),
        ([], "labels: there are no rows"),
        ({"prediction_id": "p-1"}, "labels: must be a list of objects"),
    ],
)
def test_bad_labels_are_refused_naming_the_row(owner, version, rows, message):
    with pytest.raises(ValidationFailed, match=message.replace("[", r"\[")):
        ingest(owner, version, rows)
    assert not LabelBatch.objects.exists()


def test_a_label_file_has_exactly_two_columns(owner, version, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("prediction_id,label,extra\np-1,1,x\n")
    with pytest.raises(ValidationFailed, match="unknown column 'extra'"):
        batches.batch_ingest_file(kind=LABELS, actor=owner, model_version=version, path=path)
    path.write_text("prediction_id,label\np-1,1\np-2,0\n")
    result = batches.batch_ingest_file(kind=LABELS, actor=owner, model_version=version, path=path)
    assert result.batch.row_count == 2 and result.batch.source == "csv"


def test_a_retry_returns_the_first_batch_and_a_reused_key_conflicts(owner, version):
    rows = [{"prediction_id": "p-1", "label": 1}]
    first = ingest(owner, version, rows, idempotency_key="labels-1")
    again = ingest(owner, version, rows, idempotency_key="labels-1")
    assert again.replayed and again.batch.pk == first.batch.pk
    with pytest.raises(Conflict, match="labels-1"):
        ingest(owner, version, [{"prediction_id": "p-2", "label": 0}], idempotency_key="labels-1")
    assert LabelBatch.objects.count() == 1


def test_new_labels_queue_the_performance_refresh_by_name(owner, version, monkeypatch):
    queued = []
    monkeypatch.setattr(
        batches, "send_on_commit", lambda task, *args, **kwargs: queued.append((task, args))
    )
    ingest(owner, version, [{"prediction_id": "p-1", "label": 1}])
    assert queued == [(TaskName.PERFORMANCE_REFRESH, (version.pk,))]
