"""One column of input converted to the type the signature declares, bad values named.

Each column is converted in one vectorised step; only when that fails does a slow pass look at
the values one by one to find which rows are bad and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlops_portal.errors import ValidationFailed
from monitoring.ingest.schema.columns import ARROW_TYPES, TIMESTAMP_TYPE, Column
from monitoring.ingest.schema.problems import RowProblems

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _is_float(v: Any) -> bool:
    return type(v) is float or (type(v) is int and abs(v) < 2**1023)


def _is_int(v: Any) -> bool:
    return type(v) is int and _INT64_MIN <= v <= _INT64_MAX


PYTHON_CHECKS: dict[str, Callable[[Any], bool]] = {
    "float": _is_float,
    "integer": _is_int,
    "boolean": lambda v: type(v) is bool,
    "string": lambda v: type(v) is str or _is_int(v),
    "category": lambda v: type(v) is str or _is_int(v),
    "datetime": lambda v: type(v) is str and _parse_iso(v) is not None,
}
_NONE = type(None)
PYTHON_TYPES_OK: dict[str, frozenset[type]] = {
    "float": frozenset({float, int, _NONE}),
    "integer": frozenset({int, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "string": frozenset({str, _NONE}),
    "category": frozenset({str, _NONE}),
    "datetime": frozenset({str, _NONE}),
}
EXPECTED_TEXT = {
    "float": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "string": "a string",
    "category": "a string",
    "datetime": "an ISO 8601 date-time",
}


def _strings_to_timestamps(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """ISO 8601 strings to UTC timestamps (strings without a zone are taken as UTC)."""
    try:
        return pc.cast(array, TIMESTAMP_TYPE)
    except pa.ArrowInvalid:
        pass
    parsed = [None if v is None else _parse_iso(v) for v in array.to_pylist()]
    return pa.array(parsed, type=TIMESTAMP_TYPE)


def _to_target(array: pa.Array | pa.ChunkedArray, kind: str) -> pa.Array | pa.ChunkedArray:
    if kind == "datetime":
        if pa.types.is_timestamp(array.type):
            if array.type.tz is None:
                array = pc.assume_timezone(array, "UTC")
            return pc.cast(array, TIMESTAMP_TYPE)
        if pa.types.is_date(array.type):
            return pc.cast(pc.cast(array, pa.timestamp("us")), TIMESTAMP_TYPE)
        return _strings_to_timestamps(array)
    return pc.cast(array, ARROW_TYPES[kind])


def convert_python_values(values: list, column: Column, problems: RowProblems) -> pa.Array:
    """A list of JSON values (None for null) as an arrow array of the signature's type.

    Fast path: when every value's Python type fits (one C-level pass over the types), arrow
    converts the whole list in one call. Otherwise each value is checked and the bad ones are
    named. (Arrow's own inference is not used to decide: it turns ``True`` into ``1.0``.)
    """
    kind, label = column.kind, column.label
    if set(map(type, values)) <= PYTHON_TYPES_OK[kind]:
        try:
            if kind == "datetime":
                converted = _strings_to_timestamps(pa.array(values, pa.string()))
                if converted.null_count == values.count(None):
                    return converted
            else:
                return pa.array(values, type=ARROW_TYPES[kind])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # e.g. an integer beyond 64 bits: find it below
    check = PYTHON_CHECKS[kind]
    bad_rows = [i for i, v in enumerate(values) if v is not None and not check(v)]
    if bad_rows:
        problems.add(
            bad_rows,
            f"{label}: expected {EXPECTED_TEXT[kind]}",
            values=[values[bad_rows[0]]],
            mismatch_column=column.name,
        )
        bad = set(bad_rows)
        values = [None if i in bad else v for i, v in enumerate(values)]
    if kind == "datetime":
        return pa.array([None if v is None else _parse_iso(v) for v in values], TIMESTAMP_TYPE)
    if kind in ("string", "category"):
        return pa.array([v if v is None or type(v) is str else str(v) for v in values], pa.string())
    return pa.array(values, type=ARROW_TYPES[kind])


def _values_failing(values: list, parse: Callable[[Any], Any]) -> list[int]:
    bad = []
    for index, value in enumerate(values):
        if value is None:
            continue
        try:
            parse(value)
        except (TypeError, ValueError, OverflowError):
            bad.append(index)
    return bad


def _parse_bool_text(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(value)


def _parse_float_text(value: str) -> float:
    number = float(value)
    if math.isinf(number) and "inf" not in value.lower():
        raise ValueError(value)
    return number


TEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "float": _parse_float_text,
    "integer": lambda v: int(v.strip()),
    "boolean": _parse_bool_text,
    "datetime": lambda v: _parse_iso(v.strip()) or (_ for _ in ()).throw(ValueError(v)),
}


def convert_arrow_column(
    array: pa.ChunkedArray, column: Column, problems: RowProblems
) -> pa.Array | pa.ChunkedArray:
    """A column read from a file as the signature's type; bad values named, or the whole
    column refused when its type cannot hold what the signature declares."""
    kind, label = column.kind, column.label
    if pa.types.is_dictionary(array.type):
        array = pc.cast(array, array.type.value_type)
    source = array.type
    if pa.types.is_null(source):
        return pa.nulls(len(array), ARROW_TYPES[kind])
    numeric = pa.types.is_integer(source) or pa.types.is_floating(source)
    textual = pa.types.is_string(source) or pa.types.is_large_string(source)
    try:
        if kind == "float" and (numeric or pa.types.is_decimal(source)):
            return _to_target(array, kind)
        if kind == "integer" and pa.types.is_integer(source):
            return _to_target(array, kind)
        if kind == "integer" and pa.types.is_floating(source):
            return _integral_floats(array, column, problems)
        if kind == "boolean" and pa.types.is_boolean(source):
            return array
        if kind in ("string", "category") and (textual or pa.types.is_integer(source)):
            return _to_target(array, kind)
        if kind == "datetime" and (
            pa.types.is_timestamp(source) or pa.types.is_date(source) or textual
        ):
            converted = _to_target(array, kind)
            if converted.null_count == array.null_count:
                return converted
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if not textual:
        raise ValidationFailed(
            f"{column.name}: {label} must be {EXPECTED_TEXT[kind]}, but the file holds {source}.",
            field=column.name,
        )
    # Text that does not convert in one step: find the values that do not parse.
    values = array.to_pylist()
    parser = TEXT_PARSERS[kind]
    bad_rows = _values_failing(values, parser)
    problems.add(
        bad_rows,
        f"{label}: expected {EXPECTED_TEXT[kind]}",
        values=[values[bad_rows[0]]] if bad_rows else None,
        mismatch_column=column.name,
    )
    bad = set(bad_rows)
    parsed = [None if (v is None or i in bad) else parser(v) for i, v in enumerate(values)]
    return pa.array(parsed, type=ARROW_TYPES[kind])


def _integral_floats(array, column: Column, problems: RowProblems):
    """Files written by pandas hold nullable integers as floats: accept the integral ones."""
    data = array.to_numpy(zero_copy_only=False)
    finite = np.isfinite(data)
    bad = ~np.isnan(data) & (~finite | (np.floor(np.where(finite, data, 0)) != data))
    bad_rows = np.flatnonzero(bad)
    problems.add(
        bad_rows,
        f"{column.label}: expected an integer",
        values=[float(data[bad_rows[0]])] if len(bad_rows) else None,
        mismatch_column=column.name,
    )
    cleaned = np.where(bad, np.nan, data)
    mask = np.isnan(cleaned)
    return pa.array(np.where(mask, 0, cleaned).astype(np.int64), mask=mask, type=pa.int64())
