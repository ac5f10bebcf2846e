"""Compare a current window of production data with a reference profile, feature by feature.

``compute_drift`` sorts each current numeric column once and hands that one sorted array to every
test of the column (its chosen method, PSI, histograms); categorical columns are counted once.

Two presets choose methods and verdicts (per run, and per feature through ``preset_overrides``):

* ``evidently`` — Evidently 0.7's ``DataDriftPreset``, bit for bit: method by column type and
  reference size, drift when the p-value or distance passes its threshold (see ``stattests``).
  ``DriftConfig()`` still defaults to it, so existing monitors keep their verdicts.
* ``calibrated`` — Anderson-Darling for numerical and chi-square homogeneity for categorical
  columns (see ``calibrated``): a feature drifts when ``p <= alpha`` (after any multiple-testing
  correction) *and* its effect size (KS distance / total variation distance) reaches
  ``effect_threshold``; with fewer than ``min_sample_size`` values on either side it is
  "insufficient_data". The CLI defaults to it.

Edge cases never raise: each feature gets a ``status`` — "ok", "constant" (tested; both sides
hold one and the same value), or, untested and never drifted: "empty_current" (no rows),
"all_null" (rows, but all missing/infinite), "insufficient_data" (calibrated preset: too few
values to test), "empty_reference", "missing_column", "type_mismatch", "error". The dataset's
drift share is drifted / *tested* features: an untested feature can neither dilute nor raise
it, and ``DatasetDriftResult.untested`` lists them so that callers can say so.
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
    CALIBRATED_METHODS,
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
    effect_size,
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
STATUS_INSUFFICIENT_DATA: Final = "insufficient_data"
TESTED_STATUSES: Final = frozenset({STATUS_OK, STATUS_CONSTANT})
CORRECTIONS: Final = (None, "bonferroni", "benjamini-hochberg")
PRESET_CALIBRATED: Final = "calibrated"
PRESET_EVIDENTLY: Final = "evidently"
PRESETS: Final = (PRESET_CALIBRATED, PRESET_EVIDENTLY)
DEFAULT_EFFECT_THRESHOLD: Final = 0.1
"""Calibrated preset: smallest KS distance / total variation distance that counts as drift (a
0.25 SD shift of a normal variable; ten percentage points of rows changing level)."""
DEFAULT_MIN_SAMPLE_SIZE: Final = 30
"""Calibrated preset: fewer non-missing values than this on either side is insufficient_data."""
EFFECT_MEASURES: Final = {NUMERICAL: "ks_distance", CATEGORICAL: "total_variation"}
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


def _check_preset(preset: Any, where: str) -> None:
    if preset not in PRESETS:
        raise DriftConfigError(f"{where}: unknown preset {preset!r}; use one of {list(PRESETS)}")


def _check_effect_threshold(value: Any, where: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise DriftConfigError(f"{where}: effect threshold must be a number in [0, 1]")


@dataclass(frozen=True)
class DriftConfig:
    """Per-run choices. ``preset`` picks the method family and verdict rule for every feature
    not named in ``preset_overrides``; anything else left unset follows the preset.

    ``effect_threshold`` (with per-column ``effect_threshold_overrides``) and
    ``min_sample_size`` apply to calibrated features only: the evidently preset reproduces
    Evidently, which has neither. ``threshold_overrides`` set alpha for p-value methods and the
    distance threshold for distance methods, in both presets.
    """

    method_overrides: Mapping[str, str] = field(default_factory=dict)
    threshold_overrides: Mapping[str, float] = field(default_factory=dict)
    default_method_numerical: str | None = None
    default_method_categorical: str | None = None
    drift_share: float = 0.5
    correction: str | None = None
    """None, "bonferroni" or "benjamini-hochberg"; adjusts the p-values over the tested features
    whose method has one (distance methods are left as they are)."""
    preset: str = PRESET_EVIDENTLY
    """"evidently" (the default here, for now) or "calibrated" (the CLI's default)."""
    preset_overrides: Mapping[str, str] = field(default_factory=dict)
    effect_threshold: float = DEFAULT_EFFECT_THRESHOLD
    effect_threshold_overrides: Mapping[str, float] = field(default_factory=dict)
    min_sample_size: int = DEFAULT_MIN_SAMPLE_SIZE

    def __post_init__(self) -> None:
        _check_preset(self.preset, "preset")
        for column, preset in self.preset_overrides.items():
            _check_preset(preset, f"column {column!r}")
        _check_effect_threshold(self.effect_threshold, "effect_threshold")
        for column, value in self.effect_threshold_overrides.items():
            _check_effect_threshold(value, f"column {column!r}")
        if (
            isinstance(self.min_sample_size, bool)
            or not isinstance(self.min_sample_size, int)
            or self.min_sample_size < 1
        ):
            raise DriftConfigError("min_sample_size must be a positive integer")
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
        for column in (
            list(self.method_overrides)
            + list(self.threshold_overrides)
            + list(self.preset_overrides)
            + list(self.effect_threshold_overrides)
        ):
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

    def preset_for(self, column: str) -> str:
        return self.preset_overrides.get(column, self.preset)

    def effect_threshold_for(self, column: str) -> float:
        override = self.effect_threshold_overrides.get(column)
        return float(override) if override is not None else float(self.effect_threshold)


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
    preset: str = PRESET_EVIDENTLY
    effect_size: float | None = None
    """Calibrated preset: KS distance (numerical) or total variation distance (categorical)."""
    effect_measure: str | None = None
    effect_threshold: float | None = None
    significant: bool | None = None
    """Calibrated preset: the p-value (adjusted, when a correction applies) passed alpha.
    ``drifted`` is ``significant and effect_size >= effect_threshold``."""

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
            "preset": self.preset,
            "effect_size": _json_number(self.effect_size),
            "effect_measure": self.effect_measure,
            "effect_threshold": _json_number(self.effect_threshold),
            "significant": None if self.significant is None else bool(self.significant),
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
    preset: str = PRESET_EVIDENTLY

    @property
    def untested(self) -> list[FeatureDriftResult]:
        """Features that got no verdict (their status says why); not in the drift share."""
        return [result for result in self.features if not result.tested]

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
            "n_untested": len(self.untested),
            "correction": self.correction,
            "preset": self.preset,
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
    preset: str = PRESET_EVIDENTLY,
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
        preset=preset,
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
    preset = config.preset_for(name)
    if values is None:
        return _untested(
            name,
            reference,
            STATUS_MISSING_COLUMN,
            message="column absent from current data",
            preset=preset,
        )
    try:
        if isinstance(reference, NumericColumnProfile):
            current: Any = numeric_sample(values)
        else:
            current = category_counts(values)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        return _untested(name, reference, STATUS_TYPE_MISMATCH, message=str(exc), preset=preset)
    try:
        with np.errstate(all="ignore"):  # overflow etc. in odd data is handled, not warned
            return _compare_prepared(name, reference, current, config)
    except Exception as exc:  # a safety net: one odd column must not sink the whole run
        return _untested(
            name,
            reference,
            STATUS_ERROR,
            current=current,
            message=f"{type(exc).__name__}: {exc}",
            preset=preset,
        )


def _verdict(
    method: str, score: float | None, threshold: float, effect: float | None, minimum: float | None
) -> bool:
    """Drift by the method's own rule and, when ``minimum`` is set (calibrated), effect >= it."""
    if not METHODS[method].is_drift(score, threshold):
        return False
    if minimum is None:
        return True
    return effect is not None and not math.isnan(effect) and effect >= minimum


def _compare_prepared(
    name: str, reference: ColumnProfile, current: Any, config: DriftConfig
) -> FeatureDriftResult:
    column_type = reference.column_type
    preset = config.preset_for(name)
    calibrated = preset == PRESET_CALIBRATED
    method = config.explicit_method(name, column_type)
    if method is None and calibrated:
        method = CALIBRATED_METHODS[column_type]
    if reference.n == 0:
        return _untested(
            name, reference, STATUS_EMPTY_REFERENCE, current=current, method=method, preset=preset
        )
    if current.n_rows == 0:
        return _untested(
            name, reference, STATUS_EMPTY_CURRENT, current=current, method=method, preset=preset
        )
    if current.n == 0:
        return _untested(
            name, reference, STATUS_ALL_NULL, current=current, method=method, preset=preset
        )
    if calibrated and min(reference.n, current.n) < config.min_sample_size:
        return _untested(
            name,
            reference,
            STATUS_INSUFFICIENT_DATA,
            current=current,
            method=method,
            preset=preset,
            message=f"{reference.n} reference and {current.n} current values; "
            f"at least {config.min_sample_size} needed on each side",
        )
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
    effect = minimum_effect = None
    if calibrated:
        effect = outcome.effect_size
        if effect is None:
            effect = effect_size(reference, current)
        minimum_effect = config.effect_threshold_for(name)
    return FeatureDriftResult(
        column=name,
        column_type=column_type,
        method=method,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=threshold,
        drifted=_verdict(method, outcome.score, threshold, effect, minimum_effect),
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
        message=outcome.note,
        preset=preset,
        effect_size=effect,
        effect_measure=EFFECT_MEASURES[column_type] if calibrated else None,
        effect_threshold=minimum_effect,
        significant=METHODS[method].is_drift(outcome.score, threshold) if calibrated else None,
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
        method, threshold = result.method, result.threshold
        assert method is not None and threshold is not None  # tested with a p-value method
        calibrated = result.preset == PRESET_CALIBRATED
        corrected[i] = replace(
            result,
            p_value_adjusted=p_adjusted,
            drifted=_verdict(
                method, p_adjusted, threshold, result.effect_size, result.effect_threshold
            ),
            significant=METHODS[method].is_drift(p_adjusted, threshold) if calibrated else None,
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
        preset=config.preset,
    )


def _work_estimate(values: Any) -> int:
    try:
        return len(values)
    except TypeError:
        return 0


# -------------------------------------------------------------------------------------------
# reading data


class DataReadError(ValueError):
    """A data file that cannot be read, lacks a requested column, or names a column twice."""


class DelimiterError(DataReadError):
    """A CSV file read as a single column whose name holds another likely delimiter."""

    def __init__(self, message: str, suggested: str) -> None:
        super().__init__(message)
        self.suggested = suggested


PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq", ".parq"})
CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".tab", ".txt"})
LIKELY_DELIMITERS: Final = (",", ";", "\t", "|")


def _is_parquet(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    if path.suffix.lower() in CSV_SUFFIXES:
        return False
    with path.open("rb") as stream:
        return stream.read(4) == b"PAR1"


def _check_columns(available: Sequence[str], wanted: Sequence[str] | None, path: Path) -> None:
    """Every wanted column (all, when None) must be present, and named once only."""
    names = list(available) if wanted is None else list(wanted)
    missing = [column for column in names if column not in available]
    if missing:
        raise DataReadError(f"{path}: no column(s) {', '.join(map(repr, missing))}")
    seen: dict[str, int] = {}
    for column in available:
        seen[column] = seen.get(column, 0) + 1
    twice = sorted({column for column in names if seen[column] > 1})
    if twice:
        raise DataReadError(
            f"{path}: duplicate column name(s) {', '.join(map(repr, twice))} in the header; "
            "which one to test is ambiguous"
        )


def _csv_delimiter(path: Path, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    return "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","


def _read_csv(path: Path, columns: list[str] | None, delimiter: str | None) -> pa.Table:
    """CSV as pandas reads it for missing values: an empty cell, "NA", "null", "NaN"... is
    missing in every column, text ones included (a quoted empty string stays ""), so CSV and
    Parquet of the same data give the same verdicts."""
    import pyarrow.csv as pa_csv

    used = _csv_delimiter(path, delimiter)
    parse = pa_csv.ParseOptions(delimiter=used)
    header = pa_csv.open_csv(path, parse_options=parse).schema.names
    if delimiter is None and len(header) == 1:
        hints = [d for d in LIKELY_DELIMITERS if d != used and d in header[0]]
        if hints:
            shown = "'\\t' (tab)" if hints[0] == "\t" else repr(hints[0])
            raise DelimiterError(
                f"{path}: read with delimiter {used!r} it has one column, named {header[0]!r}; "
                f"it looks {shown}-separated",
                hints[0],
            )
    _check_columns(header, columns, path)
    convert = pa_csv.ConvertOptions(
        include_columns=columns,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    return pa_csv.read_csv(path, parse_options=parse, convert_options=convert)


def _is_text(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    )


def _read_one(
    path: Path,
    columns: list[str] | None,
    dictionary: set[str],
    delimiter: str | None = None,
    dictionary_strings: bool = False,
) -> pa.Table:
    try:
        if _is_parquet(path):
            if path.is_dir():
                import pyarrow.dataset as pa_dataset

                dataset = pa_dataset.dataset(path, format="parquet")
                _check_columns(dataset.schema.names, columns, path)
                return dataset.to_table(columns=columns)
            import pyarrow.parquet as pq

            # ParquetFile rather than read_table: no pyarrow.dataset import (~0.2 s) for a file
            schema = pq.read_schema(path, memory_map=True)
            _check_columns(schema.names, columns, path)
            wanted = schema.names if columns is None else columns
            if dictionary_strings:
                dictionary = dictionary | {f.name for f in schema if _is_text(f.type)}
            parquet_file = pq.ParquetFile(
                path,
                memory_map=True,
                read_dictionary=[c for c in wanted if c in dictionary] or None,
            )
            return parquet_file.read(columns=columns)
        return _read_csv(path, columns, delimiter)
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
    delimiter: str | None = None,
    dictionary_strings: bool = False,
) -> pa.Table:
    """Read only ``columns`` (all if None) from Parquet files/directories and CSV files.

    ``dictionary_columns`` (e.g. the categorical ones) are read dictionary-encoded from Parquet,
    which makes counting them cheap (``dictionary_strings``: every text column, for when the
    column types are not known yet). CSV files are split on ``delimiter`` (default: a tab for
    .tsv/.tab, else a comma); a UTF-8 byte order mark is skipped; empty cells are missing values.
    Raises FileNotFoundError for a missing path and :class:`DataReadError` for an unreadable
    file, a missing column or a column named twice (:class:`DelimiterError` when a CSV read as
    one column looks split by another delimiter and none was given).
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
        tables.append(_read_one(path, wanted, dictionary, delimiter, dictionary_strings))
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
                import pyarrow.compute as pc

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
    "DelimiterError",
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
