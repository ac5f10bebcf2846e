"""Uploaded files: their format, their columns checked against the signature, their rows read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mlops_portal.errors import ValidationFailed
from monitoring.ingest.schema.columns import (
    FILE_PREDICTION_ID,
    FILE_TIMESTAMP,
    Column,
    ColumnRole,
)


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
    required = [c for c in columns if c.role == ColumnRole.INPUT or outputs_required]
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
