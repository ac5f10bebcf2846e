"""Compare a current window of production data with a reference profile, feature by feature.

``compute_drift`` sorts each current numeric column once and hands that one sorted array to every
test of the column (its chosen method, PSI, histograms); categorical columns are counted once.
Method choice and thresholds default to Evidently's ``DataDriftPreset``; see ``stattests``.

Edge cases never raise: each feature gets a ``status`` — "ok", "constant" (tested; both sides
hold one and the same value), or, untested and never drifted: "empty_current" (no rows),
"all_null" (rows, but all missing/infinite), "empty_reference", "missing_column",
"type_mismatch", "error". Untested features do not count towards the dataset's drift share.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_dataset
import pyarrow.parquet as pq

from .profile import ColumnProfile, NumericColumnProfile, ReferenceProfile
from .samples import (
    Category,
    CategoryCounts,
    ColumnLike,
    NumericSample,
    category_counts,
    numeric_sample,
)
from .stattests import (
    CATEGORICAL,
    COLUMN_TYPES,
    FEW_VALUES_MAX,
    METHODS,
    NUMERICAL,
    P_VALUE_METHODS,
    Binning,
    TestOutcome,
    binned_data,
    combined_n_unique,
    default_method,
    histogram_counts,
    jensenshannon_from_binning,
    psi_band,
    psi_from_binning,
    run_test,
    sturges_edges,
)

STATUS_OK: Final = "ok"
STATUS_CONSTANT: Final = "constant"
STATUS_EMPTY_CURRENT: Final = "empty_current"
STATUS_ALL_NULL: Final = "all_null"
STATUS_EMPTY_REFERENCE: Final = "empty_reference"
STATUS_MISSING_COLUMN: Final = "missing_column"
STATUS_TYPE_MISMATCH: Final = "type_mismatch"
STATUS_ERROR: Final = "error"
TESTED_STATUSES: Final = frozenset({STATUS_OK, STATUS_CONSTANT})
CORRECTIONS: Final = (None, "bonferroni", "benjamini-hochberg")
MAX_HISTOGRAM_VALUES: Final = 50
MAX_UNSEEN_LISTED: Final = 100
PARALLEL_MIN_VALUES: Final = 2_000_000
"""Columns are compared in parallel threads only when the current window holds this many values."""


class DriftConfigError(ValueError):
    """A run configuration that cannot be applied (unknown method, wrong column type...)."""


def _check_method(method: str, where: str) -> None:
    if method not in METHODS:
        raise DriftConfigError(
            f"{where}: unknown drift method {method!r}; known: {sorted(METHODS)}"
        )


@dataclass(frozen=True)
class DriftConfig:
    """Per-run choices; everything left unset follows Evidently's DataDriftPreset defaults."""

    method_overrides: Mapping[str, str] = field(default_factory=dict)
    threshold_overrides: Mapping[str, float] = field(default_factory=dict)
    default_method_numerical: str | None = None
    default_method_categorical: str | None = None
    drift_share: float = 0.5
    correction: str | None = None
    """None, "bonferroni" or "benjamini-hochberg"; adjusts the p-values of KS, chi-square and Z
    over the tested features that use them (distance methods are left as they are)."""

    def __post_init__(self) -> None:
        for column, method in self.method_overrides.items():
            _check_method(method, f"column {column!r}")
        for name, method in (
            ("default_method_numerical", self.default_method_numerical),
            ("default_method_categorical", self.default_method_categorical),
        ):
            if method is not None:
                _check_method(method, name)
        if self.default_method_numerical is not None and (
            NUMERICAL not in METHODS[self.default_method_numerical].column_types
        ):
            raise DriftConfigError(
                f"{self.default_method_numerical!r} cannot test numerical columns"
            )
        if self.default_method_categorical is not None and (
            CATEGORICAL not in METHODS[self.default_method_categorical].column_types
        ):
            raise DriftConfigError(
                f"{self.default_method_categorical!r} cannot test categorical columns"
            )
        for column, threshold in self.threshold_overrides.items():
            if not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
                raise DriftConfigError(f"column {column!r}: threshold must be a finite number")
        if not 0 < self.drift_share <= 1:
            raise DriftConfigError("drift_share must be in (0, 1]")
        if self.correction not in CORRECTIONS:
            raise DriftConfigError(f"unknown correction {self.correction!r}; use {CORRECTIONS}")

    def check_columns(self, column_types: Mapping[str, str]) -> None:
        """Overrides must name known columns, with methods that apply to their type."""
        for column in list(self.method_overrides) + list(self.threshold_overrides):
            if column not in column_types:
                raise DriftConfigError(f"override for unknown column {column!r}")
        for column, method in self.method_overrides.items():
            if column_types[column] not in METHODS[method].column_types:
                raise DriftConfigError(
                    f"column {column!r}: {method!r} cannot test {column_types[column]} columns"
                )

    def explicit_method(self, column: str, column_type: str) -> str | None:
        if column in self.method_overrides:
            return self.method_overrides[column]
        if column_type == NUMERICAL:
            return self.default_method_numerical
        return self.default_method_categorical

    def threshold(self, column: str, method: str) -> float:
        override = self.threshold_overrides.get(column)
        return float(override) if override is not None else METHODS[method].default_threshold


def _json_number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _json_value(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return _json_number(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class Histogram:
    """Counts for plotting: numeric bins (``edges``) or distinct values/categories (``values``).

    Long category lists keep the most frequent ``MAX_HISTOGRAM_VALUES``; the rest is summed in
    ``other_count``.
    """

    counts: list[int]
    edges: list[float] | None = None
    values: list[Category] | None = None
    other_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": None if self.edges is None else [_json_number(e) for e in self.edges],
            "values": None if self.values is None else [_json_value(v) for v in self.values],
            "counts": [int(c) for c in self.counts],
            "other_count": int(self.other_count),
        }


@dataclass
class FeatureDriftResult:
    """One feature's verdict, the numbers behind it, and data-quality counts."""

    column: str
    column_type: str
    method: str | None
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drifted: bool
    status: str
    psi: float | None
    reference_histogram: Histogram | None
    current_histogram: Histogram | None
    n_reference: int
    n_current: int
    n_current_null: int
    unseen_categories: list[Category] = field(default_factory=list)
    """Categories absent from the reference, most frequent first (at most 100 listed)."""
    n_unseen_categories: int = 0
    n_current_unseen: int = 0
    """Current rows holding a category absent from the reference."""
    n_current_inf: int = 0
    n_current_rows: int = 0
    p_value_adjusted: float | None = None
    psi_band: str | None = None
    message: str | None = None

    @property
    def tested(self) -> bool:
        return self.status in TESTED_STATUSES

    @property
    def current_null_rate(self) -> float | None:
        return self.n_current_null / self.n_current_rows if self.n_current_rows else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "column_type": self.column_type,
            "method": self.method,
            "statistic": _json_number(self.statistic),
            "p_value": _json_number(self.p_value),
            "p_value_adjusted": _json_number(self.p_value_adjusted),
            "threshold": _json_number(self.threshold),
            "drifted": bool(self.drifted),
            "status": self.status,
            "message": self.message,
            "psi": _json_number(self.psi),
            "psi_band": self.psi_band,
            "reference_histogram": None
            if self.reference_histogram is None
            else self.reference_histogram.to_dict(),
            "current_histogram": None
            if self.current_histogram is None
            else self.current_histogram.to_dict(),
            "n_reference": int(self.n_reference),
            "n_current": int(self.n_current),
            "n_current_rows": int(self.n_current_rows),
            "n_current_null": int(self.n_current_null),
            "current_null_rate": _json_number(self.current_null_rate),
            "n_current_inf": int(self.n_current_inf),
            "unseen_categories": [_json_value(v) for v in self.unseen_categories],
            "n_unseen_categories": int(self.n_unseen_categories),
            "n_current_unseen": int(self.n_current_unseen),
        }


@dataclass
class DatasetDriftResult:
    """Dataset verdict: drift when the share of drifted tested features >= ``drift_share``."""

    dataset_drift: bool
    drift_share: float
    """Share of drifted features among the tested ones (Evidently's 'share_of_drifted_columns')."""
    n_drifted: int
    n_features: int
    n_tested: int
    drift_share_threshold: float
    correction: str | None
    features: list[FeatureDriftResult]

    def feature(self, column: str) -> FeatureDriftResult:
        for result in self.features:
            if result.column == column:
                return result
        raise KeyError(column)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": bool(self.dataset_drift),
            "drift_share": _json_number(self.drift_share),
            "drift_share_threshold": _json_number(self.drift_share_threshold),
            "n_drifted": int(self.n_drifted),
            "n_features": int(self.n_features),
            "n_tested": int(self.n_tested),
            "correction": self.correction,
            "features": [result.to_dict() for result in self.features],
        }


# -------------------------------------------------------------------------------------------
# one feature


def _untested(
    name: str,
    reference: ColumnProfile,
    status: str,
    *,
    current: Any = None,
    method: str | None = None,
    message: str | None = None,
) -> FeatureDriftResult:
    return FeatureDriftResult(
        column=name,
        column_type=reference.column_type,
        method=method,
        statistic=None,
        p_value=None,
        threshold=None,
        drifted=False,
        status=status,
        psi=None,
        reference_histogram=None,
        current_histogram=None,
        n_reference=reference.n,
        n_current=0 if current is None else current.n,
        n_current_null=0 if current is None else current.n_null,
        n_current_inf=0 if current is None else current.n_inf,
        n_current_rows=0 if current is None else current.n_rows,
        message=message,
    )


def _histograms(binning: Binning, reference: Any, current: Any) -> tuple[Histogram, Histogram]:
    """The bins the scores were computed on, kept small enough to plot."""
    numeric = isinstance(reference, NumericSample)
    if binning.edges is None and numeric and len(binning.values or ()) > MAX_HISTOGRAM_VALUES:
        # Few reference values but many current ones: plot 'sturges' bins instead.
        edges = sturges_edges(reference, current)
        binning = replace(
            binning,
            edges=edges,
            values=None,
            reference_counts=histogram_counts(reference.sorted_values, edges),
            current_counts=histogram_counts(current.sorted_values, edges),
        )
    if binning.edges is not None:
        edges = binning.edges.tolist()
        return (
            Histogram(counts=binning.reference_counts.tolist(), edges=edges),
            Histogram(counts=binning.current_counts.tolist(), edges=edges),
        )
    values = list(binning.values or [])
    keep = np.arange(len(values))
    if len(values) > MAX_HISTOGRAM_VALUES:
        combined = binning.reference_counts + binning.current_counts
        keep = np.sort(np.argsort(-combined, kind="stable")[:MAX_HISTOGRAM_VALUES])
    order = keep.tolist()
    if not numeric:  # Evidently's plots order categories by their text
        order.sort(key=lambda i: str(values[i]))
    ordered = [values[i] for i in order]
    reference_counts = binning.reference_counts[order]
    current_counts = binning.current_counts[order]
    return (
        Histogram(
            counts=reference_counts.tolist(),
            values=ordered,
            other_count=int(binning.reference_counts.sum() - reference_counts.sum()),
        ),
        Histogram(
            counts=current_counts.tolist(),
            values=ordered,
            other_count=int(binning.current_counts.sum() - current_counts.sum()),
        ),
    )


def compare_column(
    name: str, reference: ColumnProfile, values: ColumnLike | None, config: DriftConfig
) -> FeatureDriftResult:
    """Test one current column against its reference profile; never raises."""
    if values is None:
        return _untested(
            name, reference, STATUS_MISSING_COLUMN, message="column absent from current data"
        )
    try:
        if isinstance(reference, NumericColumnProfile):
            current: Any = numeric_sample(values)
        else:
            current = category_counts(values)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        return _untested(name, reference, STATUS_TYPE_MISMATCH, message=str(exc))
    try:
        with np.errstate(all="ignore"):  # overflow etc. in odd data is handled, not warned
            return _compare_prepared(name, reference, current, config)
    except Exception as exc:  # a safety net: one odd column must not sink the whole run
        return _untested(
            name, reference, STATUS_ERROR, current=current, message=f"{type(exc).__name__}: {exc}"
        )


def _compare_prepared(
    name: str, reference: ColumnProfile, current: Any, config: DriftConfig
) -> FeatureDriftResult:
    column_type = reference.column_type
    method = config.explicit_method(name, column_type)
    if reference.n == 0:
        return _untested(name, reference, STATUS_EMPTY_REFERENCE, current=current, method=method)
    if current.n_rows == 0:
        return _untested(name, reference, STATUS_EMPTY_CURRENT, current=current, method=method)
    if current.n == 0:
        return _untested(name, reference, STATUS_ALL_NULL, current=current, method=method)
    if method is None:
        n_unique = combined_n_unique(reference, current, at_most=FEW_VALUES_MAX)
        method = default_method(column_type, reference.n, n_unique)
    threshold = config.threshold(name, method)

    binning = binned_data(reference, current)
    psi = psi_from_binning(binning)
    outcome: TestOutcome
    if method == "psi":
        outcome = psi
    elif method == "jensenshannon":
        outcome = jensenshannon_from_binning(binning)
    else:
        outcome = run_test(method, reference, current)

    unseen: list[Category] = []
    n_unseen = n_unseen_categories = 0
    if isinstance(current, CategoryCounts) and binning.values is not None:
        new_positions = np.flatnonzero(binning.reference_counts == 0)
        n_unseen_categories = int(new_positions.size)
        n_unseen = int(binning.current_counts[new_positions].sum())
        most_frequent = np.argsort(-binning.current_counts[new_positions], kind="stable")
        unseen = [binning.values[i] for i in new_positions[most_frequent[:MAX_UNSEEN_LISTED]]]
    constant = binning.values is not None and len(binning.values) == 1
    reference_histogram, current_histogram = _histograms(binning, reference, current)
    return FeatureDriftResult(
        column=name,
        column_type=column_type,
        method=method,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=threshold,
        drifted=METHODS[method].is_drift(outcome.score, threshold),
        status=STATUS_CONSTANT if constant else STATUS_OK,
        psi=psi.statistic,
        psi_band=psi_band(psi.statistic),
        reference_histogram=reference_histogram,
        current_histogram=current_histogram,
        n_reference=reference.n,
        n_current=current.n,
        n_current_null=current.n_null,
        n_current_inf=current.n_inf,
        n_current_rows=current.n_rows,
        unseen_categories=unseen,
        n_unseen_categories=n_unseen_categories,
        n_current_unseen=n_unseen,
    )


# -------------------------------------------------------------------------------------------
# multiple testing


def adjust_p_values(p_values: Sequence[float], method: str) -> list[float]:
    """Bonferroni or Benjamini-Hochberg adjusted p-values (capped at 1), in input order."""
    m = len(p_values)
    if m == 0:
        return []
    p = np.asarray(p_values, dtype=np.float64)
    if method == "bonferroni":
        return np.minimum(p * m, 1.0).tolist()
    if method == "benjamini-hochberg":
        order = np.argsort(p, kind="stable")
        scaled = p[order] * m / np.arange(1, m + 1)
        adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        adjusted = np.empty(m)
        adjusted[order] = adjusted_sorted
        return adjusted.tolist()
    raise DriftConfigError(f"unknown correction {method!r}")


def _apply_correction(
    features: list[FeatureDriftResult], correction: str | None
) -> list[FeatureDriftResult]:
    if correction is None:
        return features
    positions = [
        i
        for i, result in enumerate(features)
        if result.tested
        and result.method in P_VALUE_METHODS
        and result.p_value is not None
        and not math.isnan(result.p_value)
    ]
    adjusted = adjust_p_values([features[i].p_value for i in positions], correction)  # type: ignore[misc]
    corrected = list(features)
    for i, p_adjusted in zip(positions, adjusted, strict=True):
        result = features[i]
        corrected[i] = replace(
            result,
            p_value_adjusted=p_adjusted,
            drifted=METHODS[result.method].is_drift(p_adjusted, result.threshold),  # type: ignore[index,arg-type]
        )
    return corrected


# -------------------------------------------------------------------------------------------
# the run


def _current_column(current: Any, name: str) -> ColumnLike | None:
    if isinstance(current, pa.Table):
        return current.column(name) if name in current.column_names else None
    if isinstance(current, Mapping):
        return current.get(name)
    columns = getattr(current, "columns", None)  # pandas DataFrame
    if columns is not None:
        return current[name] if name in columns else None
    raise TypeError("current data must be a pyarrow Table, a DataFrame or a mapping of columns")


def compute_drift(
    profile: ReferenceProfile,
    current: pa.Table | Mapping[str, ColumnLike] | Any,
    config: DriftConfig | None = None,
    *,
    columns: Iterable[str] | None = None,
    max_workers: int | None = None,
) -> DatasetDriftResult:
    """Test every profiled column (or ``columns``) of ``current`` against ``profile``.

    Raises :class:`DriftConfigError` only for a configuration that cannot apply to this profile
    (override for an unknown column, a method that cannot test that column type); data problems
    become per-feature statuses instead. Columns are processed in parallel threads (numpy's sort
    and searches release the GIL); ``max_workers=1`` runs them one by one.
    """
    config = config or DriftConfig()
    names = list(profile.columns) if columns is None else list(columns)
    unknown = [name for name in names if name not in profile.columns]
    if unknown:
        raise DriftConfigError(f"columns not in the reference profile: {unknown}")
    config.check_columns({name: profile.columns[name].column_type for name in names})
    jobs = [(name, profile.columns[name], _current_column(current, name)) for name in names]
    workers = max_workers or min(len(jobs), os.cpu_count() or 1, 8)
    if max_workers is None and sum(_work_estimate(job[2]) for job in jobs) < PARALLEL_MIN_VALUES:
        workers = 1  # below this, starting threads costs more than it saves
    if workers <= 1 or len(jobs) <= 1:
        features = [compare_column(name, ref, values, config) for name, ref, values in jobs]
    else:
        # Largest numeric columns first so the pool's threads finish together.
        order = sorted(range(len(jobs)), key=lambda i: -_work_estimate(jobs[i][2]))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                i: pool.submit(compare_column, jobs[i][0], jobs[i][1], jobs[i][2], config)
                for i in order
            }
            features = [futures[i].result() for i in range(len(jobs))]
    features = _apply_correction(features, config.correction)
    tested = [result for result in features if result.tested]
    n_drifted = sum(1 for result in tested if result.drifted)
    share = n_drifted / len(tested) if tested else 0.0
    return DatasetDriftResult(
        dataset_drift=bool(tested) and share >= config.drift_share,
        drift_share=share,
        n_drifted=n_drifted,
        n_features=len(features),
        n_tested=len(tested),
        drift_share_threshold=config.drift_share,
        correction=config.correction,
        features=features,
    )


def _work_estimate(values: Any) -> int:
    try:
        return len(values)
    except TypeError:
        return 0


# -------------------------------------------------------------------------------------------
# reading data


class DataReadError(ValueError):
    """A data file that cannot be read, or lacks a requested column."""


PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq", ".parq"})
CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".tab", ".txt"})


def _is_parquet(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    if path.suffix.lower() in CSV_SUFFIXES:
        return False
    with path.open("rb") as stream:
        return stream.read(4) == b"PAR1"


def _check_columns(available: Sequence[str], wanted: Sequence[str], path: Path) -> None:
    missing = [column for column in wanted if column not in available]
    if missing:
        raise DataReadError(f"{path}: no column(s) {', '.join(map(repr, missing))}")


def _read_one(path: Path, columns: list[str] | None, dictionary: set[str]) -> pa.Table:
    try:
        if _is_parquet(path):
            if path.is_dir():
                dataset = pa_dataset.dataset(path, format="parquet")
                if columns is not None:
                    _check_columns(dataset.schema.names, columns, path)
                return dataset.to_table(columns=columns)
            schema = pq.read_schema(path)
            if columns is not None:
                _check_columns(schema.names, columns, path)
            wanted = schema.names if columns is None else columns
            return pq.read_table(
                path,
                columns=columns,
                read_dictionary=[c for c in wanted if c in dictionary] or None,
                memory_map=True,
            )
        delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
        parse = pa_csv.ParseOptions(delimiter=delimiter)
        header = pa_csv.open_csv(path, parse_options=parse).schema.names
        if columns is not None:
            _check_columns(header, columns, path)
        convert = pa_csv.ConvertOptions(include_columns=columns) if columns is not None else None
        return pa_csv.read_csv(path, parse_options=parse, convert_options=convert)
    except DataReadError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataReadError(f"{path}: cannot read data: {exc}") from exc


def _decode_dictionaries(table: pa.Table) -> pa.Table:
    fields = [
        pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def read_columns(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    columns: Sequence[str] | None,
    *,
    dictionary_columns: Iterable[str] = (),
) -> pa.Table:
    """Read only ``columns`` (all if None) from Parquet files/directories and CSV files.

    ``dictionary_columns`` (e.g. the categorical ones) are read dictionary-encoded from Parquet,
    which makes counting them cheap. Raises FileNotFoundError for a missing path and
    :class:`DataReadError` for an unreadable file or a missing column.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    wanted = None if columns is None else list(columns)
    dictionary = set(dictionary_columns)
    tables = []
    for raw_path in paths:
        path = Path(raw_path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        tables.append(_read_one(path, wanted, dictionary))
    if not tables:
        raise DataReadError("no data files given")
    if len(tables) == 1:
        return tables[0]
    if any(table.schema != tables[0].schema for table in tables[1:]):
        tables = [_decode_dictionaries(table) for table in tables]
        if wanted is not None:
            tables = [table.select(wanted) for table in tables]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowException as exc:
        raise DataReadError(f"files have incompatible columns: {exc}") from exc


def infer_column_types(
    table: pa.Table, *, integer_cardinality_limit: int | None = None
) -> dict[str, str]:
    """Numbers are numerical; strings, booleans and dictionary columns categorical.

    Other types (timestamps, binary, nested) are left out. Evidently's own inference also calls
    integer columns with at most 10 distinct values categorical: pass
    ``integer_cardinality_limit=10`` to do the same.
    """
    types: dict[str, str] = {}
    for column_field in table.schema:
        arrow_type = column_field.type
        if pa.types.is_integer(arrow_type):
            if integer_cardinality_limit is not None:
                distinct = pc.count_distinct(table.column(column_field.name)).as_py()
                if distinct <= integer_cardinality_limit:
                    types[column_field.name] = CATEGORICAL
                    continue
            types[column_field.name] = NUMERICAL
        elif pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
            types[column_field.name] = NUMERICAL
        elif (
            pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type)
            or pa.types.is_string_view(arrow_type)
            or pa.types.is_boolean(arrow_type)
            or pa.types.is_dictionary(arrow_type)
        ):
            types[column_field.name] = CATEGORICAL
    return types


__all__ = [
    "COLUMN_TYPES",
    "CORRECTIONS",
    "DataReadError",
    "DatasetDriftResult",
    "DriftConfig",
    "DriftConfigError",
    "FeatureDriftResult",
    "Histogram",
    "adjust_p_values",
    "compare_column",
    "compute_drift",
    "infer_column_types",
    "read_columns",
]
