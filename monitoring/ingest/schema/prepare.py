"""Input turned into a table in the stored layout, with its bad rows left out and named.

Every source (JSON records, CSV, Parquet, the single-prediction buffer) ends here: the result is
a :class:`PreparedBatch`, and the caller decides whether bad rows reject the whole input or are
skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils import timezone

from monitoring.ingest.schema.columns import (
    ARROW_TYPES,
    FILE_PREDICTION_ID,
    FILE_TIMESTAMP,
    TIMESTAMP_TYPE,
    Column,
    ColumnRole,
    stored_schema,
)
from monitoring.ingest.schema.convert import convert_arrow_column, convert_python_values
from monitoring.ingest.schema.problems import RowProblems, csv_line_label, file_row_label

_MISSING = object()


def future_tolerance() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "PORTAL_FUTURE_TIMESTAMP_TOLERANCE", 300)))


@dataclass
class PreparedBatch:
    table: pa.Table
    problems: RowProblems
    received_rows: int

    @property
    def skipped_rows(self) -> int:
        return self.problems.bad_count


def _metadata(
    prediction_ids: pa.Array | None,
    timestamps: pa.Array | None,
    n_rows: int,
    problems: RowProblems,
    now: datetime,
) -> tuple[pa.Array, pa.Array]:
    """Prediction ids (null when not given) and timestamps (the receive time when not given);
    a timestamp further in the future than the tolerance makes its row bad."""
    if prediction_ids is None:
        prediction_ids = pa.nulls(n_rows, pa.string())
    received = pa.scalar(now, type=TIMESTAMP_TYPE)
    if timestamps is None:
        return prediction_ids, pa.array([now] * n_rows, type=TIMESTAMP_TYPE)
    timestamps = pc.fill_null(timestamps, received)
    limit = pa.scalar(now + future_tolerance(), type=TIMESTAMP_TYPE)
    future_rows = np.flatnonzero(pc.greater(timestamps, limit).to_numpy(zero_copy_only=False))
    if len(future_rows):
        seconds = int(future_tolerance().total_seconds())
        first = timestamps[int(future_rows[0])].as_py()
        problems.add(
            future_rows,
            f"timestamp: more than {seconds} s in the future",
            values=[first.isoformat()],
        )
    return prediction_ids, timestamps


def _combine(value):
    return value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value


NUL_REASON = "contains a NUL character (U+0000), which cannot be stored"


def refuse_nul(label: str, values: pa.Array, problems: RowProblems) -> None:
    """Text with a NUL character is a bad row naming its column: PostgreSQL cannot store it in
    text or JSON (the quality summary quotes unseen categories), so it never gets that far."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return
    found = pc.fill_null(pc.match_substring(values, "\x00"), False)
    rows = np.flatnonzero(found.to_numpy(zero_copy_only=False))
    problems.add(rows, f"{label}: {NUL_REASON}")


def _finish(
    columns: Sequence[Column],
    arrays: dict[str, Any],
    prediction_ids,
    timestamps,
    problems: RowProblems,
    n_rows: int,
    now: datetime,
) -> PreparedBatch:
    arrays = {name: _combine(value) for name, value in arrays.items()}
    prediction_ids = None if prediction_ids is None else _combine(prediction_ids)
    timestamps = None if timestamps is None else _combine(timestamps)
    for column in columns:
        refuse_nul(column.label, arrays[column.name], problems)
    if prediction_ids is not None:
        refuse_nul(f"field {FILE_PREDICTION_ID!r}", prediction_ids, problems)
    prediction_ids, timestamps = _metadata(prediction_ids, timestamps, n_rows, problems, now)
    table = pa.Table.from_arrays(
        [arrays[c.name] for c in columns] + [prediction_ids, timestamps],
        schema=stored_schema(columns),
    )
    if problems.first_reason:
        table = table.filter(pa.array(~problems.bad_mask()))
    return PreparedBatch(table=table, problems=problems, received_rows=n_rows + problems.dropped)


def prepare_records(
    records: list, columns: Sequence[Column], *, now: datetime | None = None
) -> PreparedBatch:
    """JSON records ``{"features": {...}, "prediction": ..., "prediction_id", "timestamp"}``.

    Structure is checked row by row (plain dict look-ups); values column by column.
    """
    now = now or timezone.now()
    n_rows = len(records)
    problems = RowProblems(n_rows)
    inputs = [c for c in columns if c.role == ColumnRole.INPUT]
    outputs = [c for c in columns if c.role == ColumnRole.OUTPUT]
    expected = {c.name for c in inputs}
    allowed_keys = {"features", "prediction", "prediction_id", "timestamp"}
    features_list: list[dict] = []
    predictions: list = []
    empty: dict = {}
    for index, record in enumerate(records):
        if type(record) is not dict:
            problems.add([index], "record: must be an object", values=[record])
            features_list.append(empty)
            predictions.append(None)
            continue
        if not allowed_keys.issuperset(record):
            unknown = sorted(set(record) - allowed_keys)[0]
            problems.add([index], f"unknown field {unknown!r}")
        features = record.get("features", _MISSING)
        if type(features) is not dict:
            reason = "features: missing" if features is _MISSING else "features: must be an object"
            problems.add([index], reason)
            features = empty
        elif features.keys() != expected:
            for name in sorted(expected - features.keys()):
                problems.add([index], f"feature {name!r}: missing")
            for name in sorted(features.keys() - expected):
                problems.add([index], f"unknown feature {name!r}")
        features_list.append(features)
        prediction = record.get("prediction", _MISSING)
        if outputs and prediction is _MISSING:
            problems.add([index], "prediction: missing")
            prediction = None
        predictions.append(prediction)

    arrays: dict[str, Any] = {}
    for column in inputs:
        values = [f.get(column.name) for f in features_list]
        arrays[column.name] = convert_python_values(values, column, problems)
    for column in outputs:
        values = _prediction_values(predictions, column, len(outputs) == 1, problems)
        arrays[column.name] = convert_python_values(values, column, problems)

    prediction_ids = timestamps = None
    if any("prediction_id" in r for r in records if type(r) is dict):
        ids = [r.get("prediction_id") if type(r) is dict else None for r in records]
        prediction_ids = convert_python_values(
            ids, Column(FILE_PREDICTION_ID, "string", ColumnRole.META), problems
        )
    if any("timestamp" in r for r in records if type(r) is dict):
        stamps = [r.get("timestamp") if type(r) is dict else None for r in records]
        timestamps = convert_python_values(
            stamps, Column(FILE_TIMESTAMP, "datetime", ColumnRole.META), problems
        )
    return _finish(columns, arrays, prediction_ids, timestamps, problems, n_rows, now)


def _prediction_values(predictions: list, column: Column, single: bool, problems: RowProblems):
    values = []
    for index, prediction in enumerate(predictions):
        if type(prediction) is dict:
            value = prediction.get(column.name, _MISSING)
            if value is _MISSING:
                problems.add([index], f"prediction {column.name!r}: missing")
                value = None
        elif single:
            value = prediction
        else:
            if prediction is not None:
                problems.add([index], "prediction: must be an object keyed by output name")
            value = None
        values.append(value)
    return values


def _file_row_labeller(file_format: str, bad_lines: Sequence[int]) -> Callable[[int], str]:
    """Name table rows as people find them in the file: Parquet rows (1-based) or CSV lines
    (the header is line 1), counting the CSV lines the reader left out."""
    if file_format == "parquet":
        return file_row_label
    if not bad_lines:
        return csv_line_label
    # The k-th left-out line would have been table row (line - 2 - k).
    shifted = np.asarray(bad_lines, dtype=np.int64) - 2 - np.arange(len(bad_lines))

    def label(index: int) -> str:
        return csv_line_label(index + int(np.searchsorted(shifted, index, side="right")))

    return label


def file_problems(n_rows: int, file_format: str, bad_lines: Sequence[int]) -> RowProblems:
    """A file's bad rows, named as people find them in the file; the CSV lines the reader
    could not split into the header's columns are counted first."""
    problems = RowProblems(n_rows, row_label=_file_row_labeller(file_format, bad_lines))
    problems.drop(
        [f"line {line}" for line in bad_lines], "the line does not have the header's columns"
    )
    return problems


def prepare_table(
    table: pa.Table,
    columns: Sequence[Column],
    *,
    file_format: str = "parquet",
    bad_lines: Sequence[int] = (),
    now: datetime | None = None,
) -> PreparedBatch:
    """A table read from a file (its columns already checked) in the stored layout."""
    now = now or timezone.now()
    problems = file_problems(table.num_rows, file_format, bad_lines)
    arrays = {}
    for column in columns:
        if column.name in table.column_names:
            arrays[column.name] = convert_arrow_column(table.column(column.name), column, problems)
        else:
            arrays[column.name] = pa.nulls(table.num_rows, ARROW_TYPES[column.kind])
    prediction_ids = timestamps = None
    if FILE_PREDICTION_ID in table.column_names:
        prediction_ids = convert_arrow_column(
            table.column(FILE_PREDICTION_ID),
            Column(FILE_PREDICTION_ID, "string", ColumnRole.META),
            problems,
        )
    if FILE_TIMESTAMP in table.column_names:
        timestamps = convert_arrow_column(
            table.column(FILE_TIMESTAMP),
            Column(FILE_TIMESTAMP, "datetime", ColumnRole.META),
            problems,
        )
    return _finish(columns, arrays, prediction_ids, timestamps, problems, table.num_rows, now)
