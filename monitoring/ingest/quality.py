"""Data-quality summary of one batch: rows, nulls, type mismatches, unseen categories, range.

Computed with arrow kernels over whole columns. Ranges and known categories come from the
baseline the caller passes in (the summary of the version's latest profiled reference);
without one those two checks are left out (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from monitoring.ingest.schema.columns import Column
from monitoring.ingest.schema.problems import RowProblems
from registry.models import ModelVersion

UNSEEN_EXAMPLES = 5


@dataclass(frozen=True)
class QualityBaseline:
    """What a batch is checked against: a profiled reference's id and column summary
    (``{"columns": {name: {"min", "max", "categories"}}}``)."""

    reference_id: int
    summary: dict


BaselineLookup = Callable[[ModelVersion], QualityBaseline | None]
"""Finds a version's baseline; the monitoring app passes one in where ingest needs it."""


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(mask).as_py() or 0)


def column_quality(
    values: pa.Array | pa.ChunkedArray, column: Column, reference: dict | None
) -> dict:
    n_rows = len(values)
    nulls = values.null_count
    result: dict = {
        "type": column.kind,
        "role": column.role,
        "nulls": nulls,
        "null_rate": nulls / n_rows if n_rows else None,
        "type_mismatches": 0,
        "unseen_categories": None,
        "unseen_examples": [],
        "out_of_range": None,
    }
    if reference is None:
        return result
    if column.kind in ("float", "integer") and reference.get("min") is not None:
        low = pa.scalar(float(reference["min"]))
        high = pa.scalar(float(reference["max"]))
        as_float = pc.cast(values, pa.float64())
        outside = pc.or_(pc.less(as_float, low), pc.greater(as_float, high))
        result["out_of_range"] = _count(outside)
    elif column.kind in ("category", "string", "boolean") and reference.get("categories"):
        known = reference["categories"]
        if column.kind == "boolean":
            known_values = pa.array([v for v in known if isinstance(v, bool)], pa.bool_())
        else:
            known_values = pa.array([str(v) for v in known], pa.string())
        unseen_mask = pc.invert(pc.is_in(values, value_set=known_values, skip_nulls=True))
        unseen_mask = pc.and_(unseen_mask, pc.is_valid(values))
        result["unseen_categories"] = _count(unseen_mask)
        if result["unseen_categories"]:
            unseen = pc.unique(pc.filter(values, unseen_mask))
            result["unseen_examples"] = unseen.to_pylist()[:UNSEEN_EXAMPLES]
    return result


def batch_quality(
    table: pa.Table,
    columns: Sequence[Column],
    problems: RowProblems,
    baseline: QualityBaseline | None,
) -> dict:
    """The summary stored on the batch and drawn on the monitor page."""
    reference_columns = baseline.summary.get("columns", {}) if baseline else {}
    summary_columns = {}
    for column in columns:
        reference = reference_columns.get(column.name) if baseline else None
        quality = column_quality(table.column(column.name), column, reference)
        quality["type_mismatches"] = problems.type_mismatches.get(column.name, 0)
        summary_columns[column.name] = quality
    totals = {
        "nulls": sum(c["nulls"] for c in summary_columns.values()),
        "type_mismatches": sum(c["type_mismatches"] for c in summary_columns.values()),
        "unseen_categories": sum(c["unseen_categories"] or 0 for c in summary_columns.values()),
        "out_of_range": sum(c["out_of_range"] or 0 for c in summary_columns.values()),
    }
    return {
        "row_count": table.num_rows,
        "received_rows": table.num_rows + problems.bad_count,
        "skipped_rows": problems.bad_count,
        "reference_id": baseline.reference_id if baseline else None,
        "totals": totals,
        "columns": summary_columns,
    }
