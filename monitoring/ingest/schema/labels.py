"""Ground-truth labels as stored: two columns, the prediction id and the label.

Labels are float64 for regression models and text classes ("1", "0", "cat") otherwise; class
predictions are compared with them as text too (``class_text``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlops_portal.errors import ValidationFailed
from monitoring.ingest.schema.columns import FILE_PREDICTION_ID, PREDICTION_ID, Column, ColumnRole
from monitoring.ingest.schema.convert import convert_arrow_column
from monitoring.ingest.schema.files import file_columns, read_file_table
from monitoring.ingest.schema.prepare import PreparedBatch, file_problems, refuse_nul
from monitoring.ingest.schema.problems import RowProblems
from registry.models import ModelVersion, TaskType

LABEL = "label"
LABEL_FIELDS = (FILE_PREDICTION_ID, LABEL)


def class_text(values: list) -> list[str | None]:
    """Labels and class predictions compared as text: True/1/1.0 -> "1", False/0 -> "0"."""
    out: list[str | None] = []
    for value in values:
        if value is None:
            out.append(None)
        elif isinstance(value, bool):
            out.append("1" if value else "0")
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return out


def label_kind(model_version: ModelVersion) -> str:
    return "float" if model_version.model.task_type == TaskType.REGRESSION else "category"


def _checked_values(values: list, kind: str, problems: RowProblems) -> pa.Array:
    """JSON labels: numbers for regression, a class (text, integer, boolean) otherwise."""
    if kind == "float":
        bad = [
            i
            for i, v in enumerate(values)
            if v is not None and (type(v) not in (int, float) or isinstance(v, bool))
        ]
        reason = "label: expected a number"
    else:
        bad = [
            i
            for i, v in enumerate(values)
            if v is not None and type(v) not in (str, int, bool, float)
        ]
        reason = "label: expected a class (text, integer or boolean)"
    problems.add(bad, reason, values=[values[bad[0]]] if bad else None)
    skip = set(bad)
    kept = [None if i in skip else v for i, v in enumerate(values)]
    if kind == "float":
        return pa.array(kept, pa.float64())
    return pa.array(class_text(kept), pa.string())


def label_table_from(
    ids: pa.Array | pa.ChunkedArray,
    labels: list | pa.Array | pa.ChunkedArray,
    kind: str,
    problems: RowProblems,
) -> pa.Table:
    """The stored label table from prediction ids and labels (JSON values or a file's column);
    rows with a missing id or label, or a label of the wrong kind, are named and left out."""
    if isinstance(labels, pa.ChunkedArray | pa.Array):
        if kind == "category" and not (
            pa.types.is_string(labels.type) or pa.types.is_large_string(labels.type)
        ):
            labels = labels.to_pylist()
        elif kind == "float":
            chunked = labels if isinstance(labels, pa.ChunkedArray) else pa.chunked_array([labels])
            labels = convert_arrow_column(
                chunked, Column(LABEL, "float", ColumnRole.META), problems
            )
    if isinstance(labels, list):
        labels = _checked_values(labels, kind, problems)
    labels = labels.combine_chunks() if isinstance(labels, pa.ChunkedArray) else labels
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    missing_ids = np.flatnonzero(pc.is_null(ids).to_numpy(zero_copy_only=False))
    problems.add(missing_ids, "prediction_id: missing")
    missing_labels = np.flatnonzero(pc.is_null(labels).to_numpy(zero_copy_only=False))
    problems.add(missing_labels, "label: missing")
    refuse_nul(f"field {FILE_PREDICTION_ID!r}", ids, problems)
    refuse_nul(f"field {LABEL!r}", labels, problems)
    table = pa.table({PREDICTION_ID: ids, LABEL: labels})
    if problems.first_reason:
        table = table.filter(pa.array(~problems.bad_mask()))
    return table


def prepare_label_records(labels: list, kind: str) -> PreparedBatch:
    """JSON ``[{"prediction_id": "...", "label": ...}]``, checked object by object."""
    problems = RowProblems(len(labels), row_label=lambda i: f"labels[{i}]")
    ids, values = [], []
    for index, item in enumerate(labels):
        if type(item) is not dict or not set(LABEL_FIELDS) >= item.keys():
            unknown = sorted(set(item) - set(LABEL_FIELDS)) if type(item) is dict else []
            reason = f"unknown field {unknown[0]!r}" if unknown else "must be an object"
            problems.add([index], reason)
            ids.append(None)
            values.append(None)
            continue
        ids.append(item.get(FILE_PREDICTION_ID))
        values.append(item.get(LABEL))
    bad_ids = [i for i, v in enumerate(ids) if v is not None and type(v) not in (str, int)]
    problems.add(
        bad_ids,
        "prediction_id: expected a string",
        values=[ids[bad_ids[0]]] if bad_ids else None,
    )
    skip = set(bad_ids)
    id_array = pa.array(
        [None if i in skip or v is None else str(v) for i, v in enumerate(ids)], pa.string()
    )
    table = label_table_from(id_array, values, kind, problems)
    return PreparedBatch(table=table, problems=problems, received_rows=len(labels))


def prepare_label_file(path: Path, file_format: str, kind: str) -> PreparedBatch:
    """A CSV or Parquet file with exactly the columns ``prediction_id`` and ``label``."""
    names = file_columns(path, file_format)
    if sorted(names) != sorted(LABEL_FIELDS):
        missing = [n for n in LABEL_FIELDS if n not in names]
        unknown = [n for n in names if n not in LABEL_FIELDS]
        problem = f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}"
        raise ValidationFailed(
            f"file: {problem}; a label file has exactly the columns 'prediction_id' and 'label'.",
            field="file",
        )
    meta = [Column(LABEL, "string" if kind == "category" else "float", ColumnRole.META)]
    table, bad_lines = read_file_table(path, file_format, meta)
    problems = file_problems(table.num_rows, file_format, bad_lines)
    ids = table.column(FILE_PREDICTION_ID)
    if not (
        pa.types.is_string(ids.type)
        or pa.types.is_large_string(ids.type)
        or pa.types.is_integer(ids.type)
    ):
        raise ValidationFailed(
            f"file: column 'prediction_id' must hold text, not {ids.type}.", field="file"
        )
    labels = table.column(LABEL)
    if pa.types.is_dictionary(labels.type):
        labels = pc.cast(labels, labels.type.value_type)
    stored = label_table_from(pc.cast(ids, pa.string()), labels, kind, problems)
    return PreparedBatch(
        table=stored, problems=problems, received_rows=table.num_rows + len(bad_lines)
    )
