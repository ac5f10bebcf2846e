"""Production rows checked against a model version's signature, column by column.

Every source (JSON records, CSV, Parquet, the single-prediction buffer) is turned into arrow
columns and each column is converted to the type its signature declares in one vectorised step.
Only when that fails does a slow pass look at the values one by one to find which rows are bad
and why. The result is a :class:`PreparedBatch`: a table in the stored layout plus the bad rows
and their reasons; the caller decides whether bad rows reject the whole input or are skipped.

Stored layout (every batch file): one column per signature input, one per signature output,
``__prediction_id`` (string, may be null) and ``__timestamp`` (UTC microseconds).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.conf import settings
from django.utils import timezone

from drift import CATEGORICAL, NUMERICAL
from mlops_portal.errors import ValidationFailed

PREDICTION_ID = "__prediction_id"
TIMESTAMP = "__timestamp"
FILE_PREDICTION_ID = "prediction_id"
FILE_TIMESTAMP = "timestamp"
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
    "category": pa.string(),
    "datetime": TIMESTAMP_TYPE,
}
DRIFT_COLUMN_TYPES = {
    "float": NUMERICAL,
    "integer": NUMERICAL,
    "boolean": CATEGORICAL,
    "category": CATEGORICAL,
    "string": CATEGORICAL,
}
MAX_EXAMPLES = 20
_MISSING = object()
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def future_tolerance() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "PORTAL_FUTURE_TIMESTAMP_TOLERANCE", 300)))


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    role: str  # "input" or "output"

    @property
    def label(self) -> str:
        noun = {"input": "feature", "output": "prediction"}.get(self.role, "field")
        return f"{noun} {self.name!r}"


def signature_columns(signature: dict | None) -> list[Column]:
    signature = signature or {}
    columns = [Column(c["name"], c["type"], "input") for c in signature.get("inputs", [])]
    columns += [Column(c["name"], c["type"], "output") for c in signature.get("outputs", [])]
    return columns


def stored_schema(columns: Sequence[Column]) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.kind]) for c in columns]
    fields += [pa.field(PREDICTION_ID, pa.string()), pa.field(TIMESTAMP, TIMESTAMP_TYPE)]
    return pa.schema(fields)


# --- bad rows --------------------------------------------------------------------------------


def record_label(index: int) -> str:
    return f"records[{index}]"


def file_row_label(index: int) -> str:
    return f"row {index + 1}"


@dataclass
class RowProblems:
    """Which rows are bad and why (first reason per row; counts per reason).

    ``row_label`` names a row for people: ``records[3]`` for JSON, ``row 4`` (1-based, header
    not counted) for files. Rows a CSV reader could not even split are counted as ``dropped``.
    """

    n_rows: int
    row_label: Callable[[int], str] = record_label
    first_reason: dict[int, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, tuple[str, Any]] = field(default_factory=dict)
    type_mismatches: Counter = field(default_factory=Counter)
    dropped: int = 0
    _first_dropped: str | None = None
    _mask: np.ndarray | None = None

    def add(
        self,
        rows: Iterable[int],
        reason: str,
        *,
        values: Sequence[Any] | None = None,
        mismatch_column: str | None = None,
    ) -> None:
        rows = [int(row) for row in rows]
        if not rows:
            return
        self._mask = None
        for row in rows:
            self.first_reason.setdefault(row, reason)
        self.counts[reason] += len(rows)
        if reason not in self.examples:
            value = values[0] if values else _MISSING
            self.examples[reason] = (self.row_label(rows[0]), value)
        if mismatch_column is not None:
            self.type_mismatches[mismatch_column] += len(rows)

    def drop(self, labels: Sequence[str], reason: str) -> None:
        """Rows that never made it into the table (a CSV line with the wrong field count)."""
        if not labels:
            return
        self.dropped += len(labels)
        self.counts[reason] += len(labels)
        self.examples.setdefault(reason, (labels[0], _MISSING))
        self._first_dropped = self._first_dropped or reason

    @property
    def bad_count(self) -> int:
        return len(self.first_reason) + self.dropped

    def bad_mask(self) -> np.ndarray:
        if self._mask is None:
            mask = np.zeros(self.n_rows, dtype=bool)
            if self.first_reason:
                mask[np.fromiter(self.first_reason, dtype=np.int64)] = True
            self._mask = mask
        return self._mask

    def describe(self, reason: str) -> str:
        label, value = self.examples[reason]
        shown = "" if value is _MISSING else f" (got {_short(value)})"
        return f"{label}: {reason}{shown}"

    def first_problem(self) -> tuple[str, str]:
        """(message, row label) of the first bad row."""
        if self.first_reason:
            first_row = min(self.first_reason)
            reason = self.first_reason[first_row]
        else:
            reason = self._first_dropped or ""
        return self.describe(reason), self.examples[reason][0]

    def summary(self) -> list[dict]:
        """Reasons, most frequent first, each with its count and first bad row."""
        return [
            {"reason": reason, "count": count, "first_row": self.examples[reason][0]}
            for reason, count in self.counts.most_common(MAX_EXAMPLES)
        ]

    def reject(self) -> ValidationFailed:
        total = self.bad_count
        message, label = self.first_problem()
        more = f" ({total} bad rows in all)" if total > 1 else ""
        return ValidationFailed(
            f"{message}{more}. Nothing was stored; fix the data or send skip_bad_rows=true "
            "to store only the good rows.",
            field=label if label.startswith("records[") else "file",
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- converting one column -------------------------------------------------------------------


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
    array: pa.ChunkedArray, kind: str, column: Column, problems: RowProblems
) -> pa.Array | pa.ChunkedArray:
    """A column read from a file as the signature's type; bad values named, or the whole
    column refused when its type cannot hold what the signature declares."""
    label = column.label
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


# --- the prepared batch ----------------------------------------------------------------------


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
    inputs = [c for c in columns if c.role == "input"]
    outputs = [c for c in columns if c.role == "output"]
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
            ids, Column("prediction_id", "string", "meta"), problems
        )
    if any("timestamp" in r for r in records if type(r) is dict):
        stamps = [r.get("timestamp") if type(r) is dict else None for r in records]
        timestamps = convert_python_values(
            stamps, Column("timestamp", "datetime", "meta"), problems
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


# --- files -----------------------------------------------------------------------------------


def sniff_format(path: Path, filename: str = "") -> str:
    """'parquet' or 'csv', by content (Parquet's magic bytes), else by name."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if not head:
        raise ValidationFailed("file: the file is empty.", field="file")
    if head == b"PAR1":
        return "parquet"
    if filename.lower().endswith((".parquet", ".pq")):
        raise ValidationFailed("file: not a readable Parquet file.", field="file")
    return "csv"


def file_columns(path: Path, file_format: str) -> list[str]:
    """Column names without reading the data (Parquet footer or the CSV header line)."""
    try:
        if file_format == "parquet":
            return list(pq.read_schema(path).names)
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=1 << 20),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        )
        names = list(reader.schema.names)
        reader.close()
        return names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ValidationFailed(
            f"file: cannot read the {file_format} file: {exc}", field="file"
        ) from exc


def check_file_columns(
    names: Sequence[str], columns: Sequence[Column], *, outputs_required: bool = True
) -> None:
    """Missing or unknown columns refuse the whole file, naming them."""
    known = {c.name for c in columns} | {FILE_PREDICTION_ID, FILE_TIMESTAMP}
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        raise ValidationFailed(f"file: column {duplicates[0]!r} appears twice.", field="file")
    required = [c for c in columns if c.role == "input" or outputs_required]
    missing = [c for c in required if c.name not in names]
    if missing:
        text = ", ".join(repr(c.name) for c in missing)
        raise ValidationFailed(
            f"file: missing column(s) {text} required by the model version's signature.",
            field="file",
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        text = ", ".join(repr(n) for n in unknown)
        raise ValidationFailed(
            f"file: unknown column(s) {text}; the signature declares "
            f"{', '.join(repr(c.name) for c in columns)} (plus optional 'prediction_id', "
            "'timestamp').",
            field="file",
        )


def _read_csv(path: Path, convert: pa_csv.ConvertOptions) -> tuple[pa.Table, list[int]]:
    bad_lines: list[int | None] = []

    def on_invalid(row) -> str:
        bad_lines.append(row.number)
        return "skip"

    parse = pa_csv.ParseOptions(invalid_row_handler=on_invalid)
    table = pa_csv.read_csv(path, parse_options=parse, convert_options=convert)
    if None in bad_lines:
        # The threaded reader does not know line numbers: read again, on one thread, to name
        # the bad lines (only files that have some pay for this).
        bad_lines.clear()
        read = pa_csv.ReadOptions(use_threads=False)
        table = pa_csv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    return table, sorted(line or 0 for line in bad_lines)


def read_file_table(
    path: Path, file_format: str, columns: Sequence[Column]
) -> tuple[pa.Table, list[int]]:
    """Read a whole file. CSV text columns stay text (so '007' stays '007'). Returns the table
    and the line numbers of CSV lines that did not split into the header's columns; those lines
    are left out of the table."""
    try:
        if file_format == "parquet":
            return pq.read_table(path), []
        text_columns = {
            c.name: pa.string() for c in columns if c.kind in ("string", "category", "datetime")
        } | {FILE_PREDICTION_ID: pa.string(), FILE_TIMESTAMP: pa.string()}
        convert = pa_csv.ConvertOptions(column_types=text_columns, strings_can_be_null=True)
        try:
            return _read_csv(path, convert)
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc).lower():
                raise
        # A value that does not fit the type inferred from the first block: read everything
        # as text and let the column conversion name the bad values.
        names = file_columns(path, "csv")
        convert = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
        )
        return _read_csv(path, convert)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationFailed(
            f"file: cannot read the {file_format} file: {exc}", field="file"
        ) from exc


def csv_line_label(index: int) -> str:
    return f"line {index + 2}"


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
    problems = RowProblems(table.num_rows, row_label=_file_row_labeller(file_format, bad_lines))
    problems.drop(
        [f"line {line}" for line in bad_lines], "the line does not have the header's columns"
    )
    arrays = {}
    for column in columns:
        if column.name in table.column_names:
            arrays[column.name] = convert_arrow_column(
                table.column(column.name), column.kind, column, problems
            )
        else:
            arrays[column.name] = pa.nulls(table.num_rows, ARROW_TYPES[column.kind])
    prediction_ids = timestamps = None
    if FILE_PREDICTION_ID in table.column_names:
        prediction_ids = convert_arrow_column(
            table.column(FILE_PREDICTION_ID),
            "string",
            Column(FILE_PREDICTION_ID, "string", "meta"),
            problems,
        )
    if FILE_TIMESTAMP in table.column_names:
        timestamps = convert_arrow_column(
            table.column(FILE_TIMESTAMP),
            "datetime",
            Column(FILE_TIMESTAMP, "datetime", "meta"),
            problems,
        )
    return _finish(columns, arrays, prediction_ids, timestamps, problems, table.num_rows, now)
