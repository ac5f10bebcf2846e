"""Reading back what ingest stored: a window's rows, a version's latest labels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.ingest.readers import version_labels, window_table
from monitoring.ingest.schema.columns import PREDICTION_ID, TIMESTAMP
from monitoring.ingest.schema.labels import LABEL
from monitoring.ingest.services.batches import LABELS, batch_ingest_records
from tests.monitoring.factories import InferenceBatchFactory, aligned_hour

pytestmark = pytest.mark.django_db


def test_a_window_holds_only_its_rows_and_the_columns_asked_for(version):
    start = aligned_hour(2)
    InferenceBatchFactory(
        model_version=version,
        first_timestamp=start + timedelta(minutes=30),
        last_timestamp=start + timedelta(minutes=89),
        row_count=60,
    )
    InferenceBatchFactory(  # another window: its file is not read
        model_version=version,
        first_timestamp=start - timedelta(hours=3),
        last_timestamp=start - timedelta(hours=2),
        seed=9,
    )
    table, batch_count = window_table(version, start, start + timedelta(hours=1), ["x"])
    assert batch_count == 1 and table.column_names == ["x", TIMESTAMP]
    assert table.num_rows == 30  # the batch's first half hour falls in the window


def test_an_empty_window_has_the_stored_columns_and_no_rows(version):
    start = aligned_hour(1)
    table, batch_count = window_table(version, start, start + timedelta(hours=1), ["x", "c"])
    assert batch_count == 0 and table.num_rows == 0
    assert table.column_names == ["x", "c", TIMESTAMP]


def test_the_latest_label_of_a_prediction_wins(owner, version):
    assert version_labels(version) is None
    for label in (1, 0):
        batch_ingest_records(
            kind=LABELS,
            actor=owner,
            model_version=version,
            rows=[
                {"prediction_id": "p-1", "label": label},
                {"prediction_id": f"q-{label}", "label": 1},
            ],
        )
    labels = version_labels(version)
    ids, values = labels.column(PREDICTION_ID).to_pylist(), labels.column(LABEL).to_pylist()
    by_id = dict(zip(ids, values, strict=True))
    assert by_id == {"p-1": "0", "q-1": "1", "q-0": "1"}
