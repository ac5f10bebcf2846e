"""Column data in the two shapes every drift test works on.

A numeric column becomes a :class:`NumericSample`: its finite values sorted once — the single
sort per column and run that every numeric test shares — plus counts of what was left out.
A categorical column becomes :class:`CategoryCounts` (value -> count).

Missing values (None / null / NaN) and +/-inf never take part in a test, as in Evidently, which
drops them before testing; they are counted so that a run can report them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

Category: TypeAlias = str | int | float | bool
ColumnLike: TypeAlias = np.ndarray | pa.Array | pa.ChunkedArray | Sequence[Any] | Any
"""A numpy array, a pyarrow (chunked) array, a pandas Series or a plain sequence."""


@dataclass(frozen=True, eq=False, kw_only=True)
class NumericSample:
    """Finite values of a numeric column in ascending order, with what was left out.

    ``n`` is the number of finite values the sample stands for. It exceeds
    ``len(sorted_values)`` only for a reference profile that was subsampled because it was
    larger than the profile's cap.
    """

    sorted_values: np.ndarray
    n: int
    n_rows: int
    n_null: int
    n_inf: int
    is_integer: bool = False
    """True when pandas would hold the column as an integer dtype (integers, no nulls): numpy's
    'sturges' bin width then has a floor of 1, which Evidently's PSI/JS binning inherits."""

    @property
    def n_sample(self) -> int:
        return int(self.sorted_values.shape[0])

    @property
    def is_subsampled(self) -> bool:
        return self.n_sample < self.n

    @property
    def min(self) -> float:
        return float(self.sorted_values[0]) if self.n_sample else float("nan")

    @property
    def max(self) -> float:
        return float(self.sorted_values[-1]) if self.n_sample else float("nan")

    @cached_property
    def value_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct values (ascending) and their counts, by run lengths of the sorted values."""
        return run_lengths(self.sorted_values)

    @property
    def n_unique(self) -> int:
        return int(self.value_counts[0].shape[0])


@dataclass(frozen=True, eq=False, kw_only=True)
class CategoryCounts:
    """How often each category occurs in a column; missing and infinite values counted apart."""

    values: tuple[Category, ...]
    counts: np.ndarray
    n_rows: int
    n_null: int
    n_inf: int = 0

    @cached_property
    def n(self) -> int:
        return int(self.counts.sum()) if self.counts.size else 0

    @property
    def n_unique(self) -> int:
        return len(self.values)

    @property
    def value_counts(self) -> tuple[tuple[Category, ...], np.ndarray]:
        return self.values, self.counts


def run_lengths(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and counts of an ascending array in one linear pass (no sort)."""
    size = sorted_values.shape[0]
    if size == 0:
        return sorted_values[:0].copy(), np.zeros(0, dtype=np.int64)
    is_start = np.empty(size, dtype=bool)
    is_start[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    counts = np.diff(np.append(starts, size))
    return sorted_values[starts], counts.astype(np.int64, copy=False)


# --------------------------------------------------------------------------------------------
# numeric columns


def _compute() -> Any:
    """pyarrow.compute, imported on first use (~60 ms): the common paths read buffers instead."""
    import pyarrow.compute

    return pyarrow.compute


def _is_pandas(values: Any) -> bool:
    return type(values).__module__.startswith("pandas")


def _arrow_numeric_type(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_decimal(arrow_type)
        or pa.types.is_null(arrow_type)
    )


def to_arrow(values: ColumnLike) -> pa.ChunkedArray:
    """Any supported column container as a pyarrow ChunkedArray (NaN from pandas/numpy -> null)."""
    if isinstance(values, pa.ChunkedArray):
        return values
    if isinstance(values, pa.Array):
        return pa.chunked_array([values])
    if isinstance(values, np.ndarray) or _is_pandas(values):
        return pa.chunked_array([pa.array(values, from_pandas=True)])
    return pa.chunked_array([pa.array(list(values), from_pandas=True)])


def to_float_array(values: ColumnLike) -> tuple[np.ndarray, bool]:
    """A fresh, writable float64 copy of a numeric column (nulls as NaN).

    Also returns whether pandas would see the column as integers. Raises TypeError for data
    that is not numeric (strings, timestamps...).
    """
    if _is_pandas(values):
        dtype = getattr(values, "dtype", None)
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        return values.astype(np.float64, copy=True).ravel(), values.dtype.kind in "iu"
    if isinstance(values, np.ndarray) and values.dtype.kind in "USMmV":
        raise TypeError(f"numeric column expected, got numpy dtype {values.dtype}")
    try:
        chunked = to_arrow(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TypeError(f"numeric column expected: {exc}") from exc
    value_type = chunked.type
    if pa.types.is_dictionary(value_type):
        value_type = value_type.value_type
        chunked = chunked.cast(value_type)
    if not _arrow_numeric_type(value_type):
        raise TypeError(f"numeric column expected, got {value_type}")
    is_integer = pa.types.is_integer(value_type) and chunked.null_count == 0
    out = np.empty(len(chunked), dtype=np.float64)
    position = 0
    for chunk in chunked.chunks:
        if not _numpy_readable(chunk.type):
            chunk = _compute().cast(chunk, pa.float64(), safe=False)
        size = len(chunk)
        _copy_float_chunk(chunk, out[position : position + size])
        position += size
    return out, is_integer


def _numpy_readable(arrow_type: pa.DataType) -> bool:
    """Fixed-width numbers numpy can read from the data buffer (not bit-packed booleans,
    decimals or the null type)."""
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)


def _copy_float_chunk(chunk: pa.Array, out: np.ndarray) -> None:
    """Copy a numeric arrow array into ``out`` (float64) once, with NaN where it is null."""
    size = len(chunk)
    if size == 0:
        return
    validity, data = chunk.buffers()[:2]
    if data is None:  # an all-null array may have no data buffer
        out[:] = np.nan
        return
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    out[:] = np.frombuffer(data, dtype=dtype, count=chunk.offset + size)[chunk.offset :]
    if chunk.null_count:
        bits = np.unpackbits(
            np.frombuffer(validity, dtype=np.uint8), count=chunk.offset + size, bitorder="little"
        )
        out[bits[chunk.offset :] == 0] = np.nan


def sort_finite(values: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Sort ``values`` in place and return (finite part as a view, NaN count, inf count).

    numpy sorts -inf first and +inf then NaN last, so the finite values are one slice: no mask
    and no second copy are needed.
    """
    values.sort()
    end_of_numbers = int(np.searchsorted(values, np.nan, side="left"))
    first_finite = int(np.searchsorted(values[:end_of_numbers], -np.inf, side="right"))
    end_finite = int(np.searchsorted(values[:end_of_numbers], np.inf, side="left"))
    n_nan = values.shape[0] - end_of_numbers
    n_inf = first_finite + (end_of_numbers - end_finite)
    return values[first_finite:end_finite], n_nan, n_inf


def numeric_sample(values: ColumnLike) -> NumericSample:
    """Prepare a current numeric column: one copy, one sort, shared by all of its tests."""
    if isinstance(values, NumericSample):
        return values
    data, is_integer = to_float_array(values)
    finite, n_nan, n_inf = sort_finite(data)
    return NumericSample(
        sorted_values=finite,
        n=int(finite.shape[0]),
        n_rows=int(data.shape[0]),
        n_null=n_nan,
        n_inf=n_inf,
        is_integer=is_integer,
    )


# --------------------------------------------------------------------------------------------
# categorical columns


def normalise_category(value: Any) -> Category:
    """Categories are kept as JSON-able scalars so profiles can store them without pickle."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return normalise_category(value.item())
    return str(value)


def _validity(array: pa.Array) -> np.ndarray | None:
    """Which entries are present (None when all are)."""
    if not array.null_count:
        return None
    bits = np.frombuffer(array.buffers()[0], dtype=np.uint8)
    unpacked = np.unpackbits(bits, count=array.offset + len(array), bitorder="little")
    return unpacked[array.offset :].astype(bool)


def _primitive_numpy(array: pa.Array, dtype: Any, fill: Any = 0) -> np.ndarray:
    """A fixed-width arrow array as numpy, read from its buffers (nulls become ``fill``).

    (``Array.to_numpy`` and ``pyarrow.compute.fill_null`` would import pandas, ~0.2 s.)
    """
    data = array.buffers()[1]
    if data is None or len(array) == 0:
        return np.full(len(array), fill, dtype=dtype)
    values = np.frombuffer(data, dtype=dtype, count=array.offset + len(array))[array.offset :]
    present = _validity(array)
    if present is not None:
        values = np.where(present, values, np.asarray(fill, dtype=dtype))
    return values


def _dictionary_counts(chunked: pa.ChunkedArray) -> tuple[list[Any], np.ndarray]:
    """Count a dictionary column by its integer codes (no hashing of the values)."""
    keys: list[Any] = []
    counts: list[np.ndarray] = []
    for chunk in chunked.chunks:
        if len(chunk) == 0:
            continue
        size = len(chunk.dictionary)
        codes = chunk.indices
        dtype = np.dtype(codes.type.to_pandas_dtype())
        # nulls get code ``size``, which is cut off: the caller counts them apart
        tally = np.bincount(_primitive_numpy(codes, dtype, size), minlength=size + 1)[:size]
        used = np.flatnonzero(tally)
        dictionary = chunk.dictionary.to_pylist()
        keys.extend(dictionary[i] for i in used.tolist())
        counts.append(tally[used].astype(np.int64))
    # Chunks may carry different dictionaries: the caller merges equal keys.
    return keys, np.concatenate(counts) if counts else np.zeros(0, np.int64)


def _python_category_counts(values: Iterable[Any]) -> CategoryCounts:
    """Slow path for mixed-type data that arrow cannot hold in one column."""
    merged: dict[Category, int] = {}
    n_rows = n_null = n_inf = 0
    for value in values:
        n_rows += 1
        if value is None or (isinstance(value, float) and math.isnan(value)):
            n_null += 1
        elif isinstance(value, float) and math.isinf(value):
            n_inf += 1
        else:
            category = normalise_category(value)
            merged[category] = merged.get(category, 0) + 1
    return CategoryCounts(
        values=tuple(merged),
        counts=np.fromiter(merged.values(), dtype=np.int64, count=len(merged)),
        n_rows=n_rows,
        n_null=n_null,
        n_inf=n_inf,
    )


def category_counts(values: ColumnLike) -> CategoryCounts:
    """Count categories with arrow's hash kernel (dictionary columns count by index)."""
    if isinstance(values, CategoryCounts):
        return values
    try:
        chunked = to_arrow(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. an object column mixing str and int
        return _python_category_counts(values)
    n_rows = len(chunked)
    n_null = chunked.null_count
    n_inf = 0
    if n_rows == 0 or n_null == n_rows:
        return CategoryCounts(values=(), counts=np.zeros(0, np.int64), n_rows=n_rows, n_null=n_null)
    if pa.types.is_dictionary(chunked.type):
        key_type = chunked.type.value_type
        keys, counts = _dictionary_counts(chunked)
    else:
        counted = _compute().value_counts(chunked)
        key_type = chunked.type
        keys = counted.field("values").to_pylist()
        counts = _primitive_numpy(counted.field("counts"), np.int64).astype(np.int64)
    keep = np.fromiter((key is not None for key in keys), dtype=bool, count=len(keys))
    if pa.types.is_floating(key_type):
        as_float = np.array([np.nan if key is None else key for key in keys], dtype=np.float64)
        nan_mask = keep & np.isnan(as_float)
        n_null += int(counts[nan_mask].sum())
        n_inf = int(counts[keep & np.isinf(as_float)].sum())
        keep = keep & np.isfinite(as_float)
    merged: dict[Category, int] = {}
    kept_keys = [key for key, wanted in zip(keys, keep.tolist(), strict=True) if wanted]
    for key, count in zip(kept_keys, counts[keep].tolist(), strict=True):
        category = normalise_category(key)
        merged[category] = merged.get(category, 0) + count
    return CategoryCounts(
        values=tuple(merged),
        counts=np.fromiter(merged.values(), dtype=np.int64, count=len(merged)),
        n_rows=n_rows,
        n_null=n_null,
        n_inf=n_inf,
    )
