"""Reference profiles: the reference side of every drift test, computed once and cached.

A profile keeps, per numeric column, the sorted finite values (the reference's one-off sort;
a quantile subsample above ``sample_cap``) plus summary statistics, and per categorical column
the value counts. That is enough to reproduce scipy's and Evidently's results exactly — see the
``stattests`` module docstring for where the values themselves, not a summary, are needed.

Profiles are stored as a standard, uncompressed ``.npz`` (no pickle: a JSON document for the
metadata plus numpy arrays) whose array data is 64-byte aligned, so :meth:`ReferenceProfile.load`
can memory-map the sorted values instead of reading and copying them on every run.
``np.load(path)`` still reads the file.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Final, TypeAlias

import numpy as np
import numpy.lib.format as npy_format

from .samples import (
    CategoryCounts,
    ColumnLike,
    NumericSample,
    category_counts,
    run_lengths,
    sort_finite,
    to_float_array,
)
from .stattests import CATEGORICAL, COLUMN_TYPES, NUMERICAL

DEFAULT_SAMPLE_CAP: Final = 5_000_000
"""Above this many finite values a numeric reference keeps an evenly spaced quantile sample."""
MIN_SAMPLE_CAP: Final = 1_000
PARALLEL_MIN_VALUES: Final = 2_000_000
"""Columns are profiled in parallel threads only when the reference holds this many values."""
EXACT_VALUE_COUNTS_MAX: Final = 1_000
"""A subsampled column with at most this many distinct values keeps its exact value counts."""
QUANTILE_LEVELS: Final = tuple(i / 10 for i in range(11))
PROFILE_FORMAT: Final = "mlops-portal.drift-profile"
PROFILE_VERSION: Final = 1

_ALIGN: Final = 64
_ZIP_PADDING_ID: Final = 0xD935  # the extra-field id zipalign uses for padding
_LOCAL_HEADER_SIZE: Final = 30
_ZIP64_EXTRA_SIZE: Final = 20


@dataclass(frozen=True, eq=False, kw_only=True)
class NumericColumnProfile(NumericSample):
    """Sorted reference values of one numeric column and the statistics the tests need."""

    column_type: ClassVar[str] = NUMERICAL

    name: str
    mean: float | None
    std: float | None
    """Population std of all finite values in their original order (Evidently's Wasserstein
    norm: ``np.std(reference)``)."""
    distinct_count: int
    quantiles: tuple[float, ...]
    exact_value_counts: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_unique(self) -> int:
        return self.distinct_count

    @cached_property
    def value_counts(self) -> tuple[np.ndarray, np.ndarray]:
        if self.exact_value_counts is not None:
            return self.exact_value_counts
        return run_lengths(self.sorted_values)


@dataclass(frozen=True, eq=False, kw_only=True)
class CategoricalColumnProfile(CategoryCounts):
    """Reference value counts of one categorical column."""

    column_type: ClassVar[str] = CATEGORICAL

    name: str


ColumnProfile: TypeAlias = NumericColumnProfile | CategoricalColumnProfile


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """Everything a drift run needs from the reference dataset."""

    columns: Mapping[str, ColumnProfile]
    n_rows: int
    sample_cap: int = DEFAULT_SAMPLE_CAP

    @property
    def column_types(self) -> dict[str, str]:
        return {name: column.column_type for name, column in self.columns.items()}

    def __getitem__(self, column: str) -> ColumnProfile:
        return self.columns[column]

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    # ---------------------------------------------------------------- serialisation

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically (temp file + rename): runs that memory-mapped the previous version
        keep reading it, never a half-written file."""
        import tempfile

        target = Path(path)
        handle, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                _write_npz(stream, self._arrays())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, mmap: bool = True) -> ReferenceProfile:
        """Read a saved profile; with ``mmap`` the sorted values are mapped, not copied."""
        return cls._from_arrays(_read_npz(Path(path), mmap=mmap))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        _write_npz(buffer, self._arrays())
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return cls._from_arrays({name: archive[name] for name in archive.files})

    def _arrays(self) -> dict[str, np.ndarray]:
        columns_meta: list[dict[str, Any]] = []
        arrays: dict[str, np.ndarray] = {}
        for index, column in enumerate(self.columns.values()):
            key = f"c{index}"
            meta: dict[str, Any] = {
                "name": column.name,
                "type": column.column_type,
                "n_rows": column.n_rows,
                "n_null": column.n_null,
                "n_inf": column.n_inf,
            }
            if isinstance(column, NumericColumnProfile):
                meta |= {
                    "n": column.n,
                    "is_integer": column.is_integer,
                    "mean": column.mean,
                    "std": column.std,
                    "n_unique": column.distinct_count,
                    "quantiles": list(column.quantiles),
                    "has_value_counts": column.exact_value_counts is not None,
                }
                arrays[f"{key}_values"] = np.asarray(column.sorted_values, dtype=np.float64)
                if column.exact_value_counts is not None:
                    arrays[f"{key}_vc_values"] = column.exact_value_counts[0]
                    arrays[f"{key}_vc_counts"] = column.exact_value_counts[1]
            else:
                meta["categories"] = list(column.values)
                arrays[f"{key}_counts"] = np.asarray(column.counts, dtype=np.int64)
            columns_meta.append(meta)
        document = {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "n_rows": self.n_rows,
            "sample_cap": self.sample_cap,
            "columns": columns_meta,
        }
        encoded = json.dumps(document).encode("utf-8")
        return {"meta": np.frombuffer(encoded, dtype=np.uint8), **arrays}

    @classmethod
    def _from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> ReferenceProfile:
        try:
            document = json.loads(bytes(np.asarray(arrays["meta"], dtype=np.uint8)))
        except (KeyError, ValueError) as exc:
            raise ValueError("not a drift reference profile (no readable metadata)") from exc
        if document.get("format") != PROFILE_FORMAT:
            raise ValueError("not a drift reference profile")
        if document.get("version") != PROFILE_VERSION:
            raise ValueError(f"unsupported drift profile version {document.get('version')!r}")
        columns: dict[str, ColumnProfile] = {}
        for index, meta in enumerate(document["columns"]):
            key = f"c{index}"
            common = {
                "name": meta["name"],
                "n_rows": meta["n_rows"],
                "n_null": meta["n_null"],
                "n_inf": meta["n_inf"],
            }
            if meta["type"] == NUMERICAL:
                exact = None
                if meta["has_value_counts"]:
                    exact = (arrays[f"{key}_vc_values"], arrays[f"{key}_vc_counts"])
                columns[meta["name"]] = NumericColumnProfile(
                    **common,
                    sorted_values=arrays[f"{key}_values"],
                    n=meta["n"],
                    is_integer=meta["is_integer"],
                    mean=meta["mean"],
                    std=meta["std"],
                    distinct_count=meta["n_unique"],
                    quantiles=tuple(meta["quantiles"]),
                    exact_value_counts=exact,
                )
            else:
                columns[meta["name"]] = CategoricalColumnProfile(
                    **common,
                    values=tuple(meta["categories"]),
                    counts=np.asarray(arrays[f"{key}_counts"], dtype=np.int64),
                )
        return cls(columns=columns, n_rows=document["n_rows"], sample_cap=document["sample_cap"])

    # ---------------------------------------------------------------- display

    def to_summary_dict(self, *, top_categories: int = 20) -> dict[str, Any]:
        """A JSON-safe description of the reference, for display next to drift results."""
        columns: dict[str, Any] = {}
        for name, column in self.columns.items():
            summary: dict[str, Any] = {
                "type": column.column_type,
                "n_rows": column.n_rows,
                "count": column.n,
                "n_null": column.n_null,
                "null_rate": _rate(column.n_null, column.n_rows),
                "n_inf": column.n_inf,
                "n_unique": column.n_unique,
            }
            if isinstance(column, NumericColumnProfile):
                summary |= {
                    "min": _finite_or_none(column.min),
                    "max": _finite_or_none(column.max),
                    "mean": column.mean,
                    "std": column.std,
                    "quantiles": [
                        {"level": level, "value": value}
                        for level, value in zip(QUANTILE_LEVELS, column.quantiles, strict=False)
                    ],
                    "subsampled": column.is_subsampled,
                    "sample_size": column.n_sample,
                }
            else:
                order = np.argsort(-column.counts, kind="stable")[:top_categories]
                summary["top_categories"] = [
                    {
                        "value": column.values[i],
                        "count": int(column.counts[i]),
                        "share": _rate(int(column.counts[i]), column.n),
                    }
                    for i in order
                ]
                summary["n_other_categories"] = max(column.n_unique - len(order), 0)
            columns[name] = summary
        return {"n_rows": self.n_rows, "sample_cap": self.sample_cap, "columns": columns}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# -------------------------------------------------------------------------------------------
# building


def _get_column(source: Any, name: str) -> ColumnLike:
    if hasattr(source, "column_names") and hasattr(source, "column"):  # pyarrow Table
        if name not in source.column_names:
            raise KeyError(f"column {name!r} not found in the reference data")
        return source.column(name)
    try:
        return source[name]
    except (KeyError, IndexError):
        raise KeyError(f"column {name!r} not found in the reference data") from None


def build_numeric_profile(
    name: str, values: ColumnLike, *, sample_cap: int = DEFAULT_SAMPLE_CAP
) -> NumericColumnProfile:
    """Sort the finite values once (the reference's one-off cost) and summarise them."""
    try:
        data, is_integer = to_float_array(values)
    except TypeError as exc:
        raise ValueError(f"column {name!r} is declared numerical but {exc}") from exc
    finite_mask = np.isfinite(data)
    in_order = data if finite_mask.all() else data[finite_mask]
    n = int(in_order.shape[0])
    # mean/std over the original order: bit-identical to what Evidently computes.
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.mean(in_order)) if n else None
        std = float(np.std(in_order)) if n else None
    del in_order, finite_mask
    finite, n_nan, n_inf = sort_finite(data)
    distinct = _count_distinct(finite)
    exact_counts = None
    if n > sample_cap:
        positions = ((np.arange(sample_cap) + 0.5) * (n / sample_cap)).astype(np.int64)
        positions[0], positions[-1] = 0, n - 1  # keep the exact min and max
        sample = finite[positions]
        if distinct <= EXACT_VALUE_COUNTS_MAX:
            exact_counts = run_lengths(finite)
    else:
        sample = finite if finite.shape[0] == data.shape[0] else finite.copy()
    return NumericColumnProfile(
        name=name,
        sorted_values=sample,
        n=n,
        n_rows=int(data.shape[0]),
        n_null=n_nan,
        n_inf=n_inf,
        is_integer=is_integer,
        mean=mean,
        std=std,
        distinct_count=distinct,
        quantiles=_quantiles(sample),
        exact_value_counts=exact_counts,
    )


def _count_distinct(sorted_values: np.ndarray) -> int:
    if sorted_values.shape[0] == 0:
        return 0
    return 1 + int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1]))


def _quantiles(sorted_values: np.ndarray) -> tuple[float, ...]:
    """numpy's default ('linear') quantiles, read directly off the sorted values."""
    if sorted_values.shape[0] == 0:
        return ()
    positions = np.asarray(QUANTILE_LEVELS) * (sorted_values.shape[0] - 1)
    below = np.floor(positions).astype(np.int64)
    above = np.minimum(below + 1, sorted_values.shape[0] - 1)
    fraction = positions - below
    low, high = sorted_values[below], sorted_values[above]
    return tuple(float(v) for v in low + (high - low) * fraction)


def build_categorical_profile(name: str, values: ColumnLike) -> CategoricalColumnProfile:
    counted = category_counts(values)
    return CategoricalColumnProfile(
        name=name,
        values=counted.values,
        counts=counted.counts,
        n_rows=counted.n_rows,
        n_null=counted.n_null,
        n_inf=counted.n_inf,
    )


def build_reference_profile(
    table_or_columns: Any,
    column_types: Mapping[str, str],
    *,
    sample_cap: int = DEFAULT_SAMPLE_CAP,
) -> ReferenceProfile:
    """Profile the reference once: a pyarrow Table, a pandas DataFrame or a mapping of columns.

    ``column_types`` maps each column to profile to "numerical" or "categorical". Raises
    KeyError for a missing column and ValueError for an unknown type or non-numeric data in a
    numerical column.
    """
    if sample_cap < MIN_SAMPLE_CAP:
        raise ValueError(f"sample_cap must be at least {MIN_SAMPLE_CAP}")
    for name, column_type in column_types.items():
        if column_type not in COLUMN_TYPES:
            raise ValueError(
                f"column {name!r}: unknown column type {column_type!r} (use {COLUMN_TYPES})"
            )
    jobs = [
        (name, kind, _get_column(table_or_columns, name)) for name, kind in column_types.items()
    ]

    def build(job: tuple[str, str, ColumnLike]) -> ColumnProfile:
        name, column_type, values = job
        if column_type == NUMERICAL:
            return build_numeric_profile(name, values, sample_cap=sample_cap)
        return build_categorical_profile(name, values)

    workers = min(len(jobs), os.cpu_count() or 1, 8)
    if workers > 1 and sum(_length(job[2]) for job in jobs) >= PARALLEL_MIN_VALUES:
        # numpy's sort and arrow's counting release the GIL: columns build side by side
        with ThreadPoolExecutor(max_workers=workers) as pool:
            built = list(pool.map(build, jobs))
    else:
        built = [build(job) for job in jobs]
    columns = {column.name: column for column in built}
    n_rows = max((column.n_rows for column in built), default=0)
    return ReferenceProfile(columns=columns, n_rows=n_rows, sample_cap=sample_cap)


def _length(values: Any) -> int:
    try:
        return len(values)
    except TypeError:
        return 0


# -------------------------------------------------------------------------------------------
# aligned .npz


def _npy_header(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    header = npy_format.header_data_from_array_1_0(array)
    try:
        npy_format.write_array_header_1_0(buffer, header)
    except ValueError:
        buffer = io.BytesIO()
        npy_format.write_array_header_2_0(buffer, header)
    return buffer.getvalue()


def _write_npz(stream: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """An ordinary uncompressed .npz whose array data starts on 64-byte boundaries.

    Each member's local zip header gets a padding extra field so that header + npy header
    (numpy pads that to 64 bytes) ends on an aligned file offset, which keeps mapped arrays
    aligned.
    """
    import zipfile  # only saving and loading need it: drift-check never does

    with zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, raw in arrays.items():
            array = np.ascontiguousarray(raw)
            header = _npy_header(array)
            member = f"{name}.npy"
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = len(header) + array.nbytes
            zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT
            fixed = _LOCAL_HEADER_SIZE + len(member.encode()) + (_ZIP64_EXTRA_SIZE if zip64 else 0)
            padding = (-(stream.tell() + fixed + 4)) % _ALIGN
            info.extra = struct.pack("<HH", _ZIP_PADDING_ID, padding) + bytes(padding)
            with archive.open(info, mode="w", force_zip64=zip64) as member_stream:
                member_stream.write(header)
                if array.nbytes:
                    member_stream.write(memoryview(array.reshape(-1)).cast("B"))


def _read_npz(path: Path, *, mmap: bool) -> dict[str, np.ndarray]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    if not mmap or any(info.compress_type != zipfile.ZIP_STORED for info in infos):
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    arrays: dict[str, np.ndarray] = {}
    with path.open("rb") as stream:
        for info in infos:
            stream.seek(info.header_offset)
            local = stream.read(_LOCAL_HEADER_SIZE)
            if local[:4] != b"PK\x03\x04":
                raise ValueError(f"{path}: corrupt zip member {info.filename!r}")
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            stream.seek(info.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length)
            version = npy_format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream)
            else:
                shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream)
            if dtype.hasobject:
                raise ValueError(f"{path}: object arrays are not allowed in a profile")
            name = info.filename.removesuffix(".npy")
            if math.prod(shape) == 0:
                arrays[name] = np.empty(shape, dtype=dtype)
                continue
            mapped = np.memmap(
                path,
                dtype=dtype,
                mode="r",
                offset=stream.tell(),
                shape=shape,
                order="F" if fortran_order else "C",
            )
            arrays[name] = np.asarray(mapped)
    return arrays
