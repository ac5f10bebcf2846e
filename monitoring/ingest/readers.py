"""Reading back what ingest stored: a window of production rows, a version's labels.

Only the columns asked for are read, from the files whose time span overlaps the window.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from drift import read_columns
from monitoring.ingest import storage
from monitoring.ingest.models import InferenceBatch, LabelBatch
from monitoring.ingest.schema.columns import (
    ARROW_TYPES,
    PREDICTION_ID,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    signature_columns,
)
from monitoring.ingest.schema.labels import LABEL, label_kind
from registry.models import ModelVersion


def rows_between(table: pa.Table, start: datetime, end: datetime) -> pa.Table:
    """The rows of ``table`` whose timestamp falls in ``[start, end)``."""
    stamps = table.column(TIMESTAMP)
    inside = pc.and_(
        pc.greater_equal(stamps, pa.scalar(start, TIMESTAMP_TYPE)),
        pc.less(stamps, pa.scalar(end, TIMESTAMP_TYPE)),
    )
    return table.filter(inside)


def _empty_window_table(columns: list[str], model_version: ModelVersion) -> pa.Table:
    kinds = {c.name: c.kind for c in signature_columns(model_version.signature)}
    fields = []
    for name in columns:
        if name == TIMESTAMP:
            fields.append(pa.field(name, TIMESTAMP_TYPE))
        elif name == PREDICTION_ID:
            fields.append(pa.field(name, pa.string()))
        else:
            fields.append(pa.field(name, ARROW_TYPES.get(kinds.get(name, "float"), pa.float64())))
    return pa.schema(fields).empty_table()


def window_table(
    model_version: ModelVersion,
    start: datetime,
    end: datetime,
    columns: list[str],
    *,
    dictionary_columns=(),
) -> tuple[pa.Table, int]:
    """The rows of ``[start, end)`` (only ``columns``, plus the timestamp) from the batches
    overlapping it, and how many batches that was."""
    paths = list(
        InferenceBatch.objects.filter(
            model_version=model_version, first_timestamp__lt=end, last_timestamp__gte=start
        )
        .order_by("pk")
        .values_list("data_path", flat=True)
    )
    wanted = list(dict.fromkeys([*columns, TIMESTAMP]))
    if not paths:
        return _empty_window_table(wanted, model_version), 0
    table = read_columns(
        [storage.resolve(path) for path in paths], wanted, dictionary_columns=dictionary_columns
    )
    return rows_between(table, start, end), len(paths)


def version_labels(model_version: ModelVersion) -> pa.Table | None:
    """Every label of the version, the latest one per prediction id; None without any."""
    paths = list(
        LabelBatch.objects.filter(model_version=model_version)
        .order_by("pk")
        .values_list("data_path", flat=True)
    )
    if not paths:
        return None
    tables = [read_columns(storage.resolve(path), [PREDICTION_ID, LABEL]) for path in paths]
    label_type = ARROW_TYPES[label_kind(model_version)]
    table = pa.concat_tables(
        [t.cast(pa.schema([(PREDICTION_ID, pa.string()), (LABEL, label_type)])) for t in tables]
    )
    order = pa.array(np.arange(table.num_rows, dtype=np.int64))
    table = table.append_column("__order", order)
    latest = table.group_by(PREDICTION_ID).aggregate([("__order", "max")])
    keep = pc.is_in(order, value_set=latest.column("__order_max"))
    return table.filter(keep).drop_columns(["__order"])
