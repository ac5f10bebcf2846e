"""Uploaded files: their format, their columns checked against the signature, their rows read.

Reading is bounded before it starts: a Parquet file's row count and uncompressed size come from
its footer, a CSV file's lines are counted in one streaming pass, and a file over
``PORTAL_MAX_UPLOAD_ROWS`` or ``PORTAL_MAX_UPLOAD_DECODED_BYTES`` is refused with 413 naming the
limit. Parquet is then read in batches whose decoded size is counted as they arrive, so a
file whose footer understates what its pages decode to (dictionary or run-length encoding can
turn a few megabytes into gigabytes) is stopped at the limit, not when the process dies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.conf import settings

from mlops_portal.errors import ValidationFailed
from monitoring.ingest.schema.columns import (
    FILE_PREDICTION_ID,
    FILE_TIMESTAMP,
    Column,
    ColumnRole,
)

PARQUET_BATCH_ROWS = 256 * 1024
CSV_COUNT_CHUNK = 4 << 20


class FileTooLarge(ValidationFailed):
    """A file with more rows or decoded data than the portal reads in one request (413); a
    ``ValidationFailed`` so that jobs reading files (reference profiles) fail with its message."""

    code = "too_large"
    status = 413


def max_upload_rows() -> int:
    return int(settings.PORTAL_MAX_UPLOAD_ROWS)


def max_decoded_bytes() -> int:
    return int(settings.PORTAL_MAX_UPLOAD_DECODED_BYTES)


def too_many_rows(rows: int, limit: int, *, counted: str = "rows") -> FileTooLarge:
    return FileTooLarge(
        f"file: the file holds {rows:,} {counted}, more than the limit of {limit:,} rows "
        "(PORTAL_MAX_UPLOAD_ROWS); split it into smaller files.",
        field="file",
    )


def too_much_data(size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"file: the file's data takes {size:,} bytes or more once decoded, more than the limit "
        f"of {limit:,} bytes ({limit / 1024 / 1024:.0f} MiB, PORTAL_MAX_UPLOAD_DECODED_BYTES); "
        "split it into smaller files.",
        field="file",
    )


def check_file_bounds(path: Path, file_format: str) -> None:
    """Refuse (413) a file over the row or decoded-size limit, reading only its footer (Parquet)
    or counting its lines (CSV; an upper bound on its rows, header included)."""
    rows_limit = max_upload_rows()
    if file_format == "parquet":
        try:
            metadata = pq.ParquetFile(path).metadata
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ValidationFailed(
                f"file: cannot read the parquet file: {exc}", field="file"
            ) from exc
        if metadata.num_rows > rows_limit:
            raise too_many_rows(metadata.num_rows, rows_limit)
        uncompressed = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if uncompressed > max_decoded_bytes():
            raise too_much_data(uncompressed, max_decoded_bytes())
        return
    lines = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CSV_COUNT_CHUNK):
            lines += chunk.count(b"\n")
            if lines > rows_limit + 1:  # the header line is not a row
                raise too_many_rows(lines, rows_limit, counted="lines or more")


def _read_parquet(path: Path) -> pa.Table:
    """The whole file, read a batch at a time, stopped once the decoded data passes the limit."""
    limit = max_decoded_bytes()
    parquet_file = pq.ParquetFile(path)
    batches, decoded = [], 0
    for batch in parquet_file.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        decoded += batch.nbytes
        if decoded > limit:
            raise too_much_data(decoded, limit)
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=parquet_file.schema_arrow)


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
    """Read a whole file, within the upload limits (``check_file_bounds``). CSV text columns
    stay text (so '007' stays '007'). Returns the table and the line numbers of CSV lines that
    did not split into the header's columns; those lines are left out of the table."""
    check_file_bounds(path, file_format)
    try:
        if file_format == "parquet":
            return _read_parquet(path), []
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
