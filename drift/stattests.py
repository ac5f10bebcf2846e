"""Drift tests that reproduce scipy's statistics and Evidently's defaults from sorted data.

Every test takes the reference side of a column (a column profile, or any ``NumericSample`` /
``CategoryCounts`` from ``samples``) and the current side (prepared once per run, or raw values)
and returns a :class:`TestOutcome`.

Two families live here. Evidently's methods (ks, chisquare, z, wasserstein, jensenshannon, psi)
and its default choice among them make the ``evidently`` preset, documented below. The
``calibrated`` preset's tests (anderson_darling for numerical columns, chi2_homogeneity for
categorical ones) are computed in ``calibrated`` and only registered here; docs/drift.md says
why they, and not Evidently's defaults, keep false alarms at the nominal rate.

Why the results equal scipy's and Evidently's (Evidently 0.7.23,
``evidently/legacy/calculations/stattests/*.py`` and ``registry.py``):

* **ks** — ``scipy.stats.ks_2samp(method="auto")``. When ``max(n_ref, n_cur) <= 10000`` scipy
  uses its exact distribution; we then call ``ks_2samp`` itself on the two sorted arrays, so
  statistic and p-value are scipy's (cheap at that size). Otherwise we compute the statistic from
  the ECDFs evaluated at the current sample's distinct values only (the supremum of each sign is
  reached there, and each candidate is computed with scipy's own float operations, so the
  statistic is bit-identical) and the p-value as scipy does: ``kstwo.sf(d, round(en))``.
  Drift when ``p <= threshold``.
* **wasserstein** — ``scipy.stats.wasserstein_distance`` is the integral of ``|F_ref - F_cur|``.
  We integrate the equivalent ``|Q_ref(t) - Q_cur(t)|`` over the merged quantile grid of the two
  sorted arrays (a sum of non-negative terms, so it agrees with scipy to ~1e-14 relative), then
  divide by ``max(std(reference), 0.001)``. Drift when ``>= threshold``.
* **chisquare** — ``scipy.stats.chisquare(f_obs=cur counts, f_exp=ref counts * n_cur/n_ref)``
  over the union of values seen on either side. Drift when ``p < threshold``.
* **z** — Evidently's two-proportion Z-test: the first of the sorted distinct values against the
  rest, ``p = 2 * (1 - norm.cdf(|z|))``; ``p = 1`` when both sides hold the same single value.
* **jensenshannon** and **psi** — on Evidently's ``get_binned_data``: numeric columns whose
  *reference* has more than 20 distinct values are binned with numpy's 'sturges' edges over
  reference and current together; anything else uses the value counts over the union of values.
  JS uses the raw shares (``scipy.spatial.distance.jensenshannon``); PSI first replaces zero shares
  (by ``min_nonzero / 1e6`` when that minimum is ``<= 1e-4``, else by ``1e-4``).

Where exactness needs the reference values rather than a summary (and so why a profile keeps
the sorted reference values, or a quantile subsample of them above its cap):

* KS and Wasserstein need the whole reference ECDF.
* The 'sturges' bins of JS/PSI depend on the current window (its size, min and max), so the
  reference counts per bin can only be computed at run time; the sorted values make that a
  handful of binary searches.
* The Z-test, chi-square and value-count binning need the reference count of every value
  (derived exactly from the sorted values, or stored exactly when the reference was subsampled
  and has at most 1000 distinct values).
* Wasserstein is normed by the population std of all finite reference values, in their original
  order (computed at profile time like numpy/pandas do, so it is bit-identical).

When the reference exceeds the profile's cap (default 5,000,000 values), KS/Wasserstein/binned
tests run on an evenly spaced quantile subsample of the sorted reference (its ECDF is within
1/cap of the full one, and it keeps the exact min and max); only then are results approximate.
Numbers are held as float64, so integers beyond 2**53 are not exact either. Whether a column
was integer-typed (integers, no nulls) is recorded, because numpy's 'sturges' width has a floor
of 1 for integer arrays.

Deliberate differences from Evidently, none of which changes a verdict Evidently can produce:
empty or all-missing columns get a status instead of raising; +/-inf is always left out (its
dataset-level metric keeps inf in columns that contain no NaN, while its per-column ValueDrift
drops it); chi-square and Z may be chosen explicitly for numerical columns (Evidently's defaults
use them there but its registry refuses them by name); categories of mixed types are ordered by
type name, then value, for the Z-test (Evidently raises).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from . import calibrated
from .samples import (
    Category,
    CategoryCounts,
    ColumnLike,
    NumericSample,
    category_counts,
    numeric_sample,
)

NUMERICAL: Final = "numerical"
CATEGORICAL: Final = "categorical"
COLUMN_TYPES: Final = (NUMERICAL, CATEGORICAL)

KS_EXACT_MAX_N: Final = 10_000
"""scipy's ``MAX_AUTO_N``: 'auto' is exact when both samples are at most this large."""
SMALL_REFERENCE_MAX_ROWS: Final = 1000
"""Evidently switches from p-value tests to distances above this many reference values."""
FEW_VALUES_MAX: Final = 5
"""Evidently treats numeric columns with at most this many distinct values as discrete."""
BINNING_MIN_UNIQUE: Final = 20
"""Evidently bins numeric columns into 'sturges' bins only above this many reference values."""
PSI_MAJOR: Final = 0.25
"""Conventional PSI band: >= 0.1 moderate shift, >= 0.25 major shift."""
WASSERSTEIN_MIN_NORM: Final = 0.001
FLOAT_GRID_LIMIT = 2**52
"""Wasserstein's quantile-grid arithmetic runs in float64 (fast, exact) below this n_u * n_v."""

Sample = NumericSample | CategoryCounts


def _scipy_stats() -> Any:
    """scipy.stats, imported on first use: it takes ~1 s to import, and only the ``evidently``
    preset's tests need it (the ``calibrated`` preset runs on numpy alone)."""
    from scipy import stats

    return stats


@dataclass(frozen=True)
class MethodSpec:
    """What a drift method returns and how its score is turned into a verdict."""

    name: str
    display_name: str
    default_threshold: float
    returns_p_value: bool
    column_types: frozenset[str]
    drift_when_at_threshold: bool
    """KS flags drift at ``p <= threshold``; chi-square and Z at ``p < threshold``; distances at
    ``>= threshold`` — exactly Evidently's comparisons."""

    def is_drift(self, score: float | None, threshold: float) -> bool:
        if score is None or math.isnan(score):
            return False
        if self.returns_p_value:
            return score <= threshold if self.drift_when_at_threshold else score < threshold
        return score >= threshold


METHODS: Final[dict[str, MethodSpec]] = {
    spec.name: spec
    for spec in (
        MethodSpec("ks", "K-S p_value", 0.05, True, frozenset({NUMERICAL}), True),
        MethodSpec("chisquare", "chi-square p_value", 0.05, True, frozenset(COLUMN_TYPES), False),
        MethodSpec("z", "Z-test p_value", 0.05, True, frozenset(COLUMN_TYPES), False),
        MethodSpec(
            "wasserstein", "Wasserstein distance (normed)", 0.1, False, frozenset({NUMERICAL}), True
        ),
        MethodSpec(
            "jensenshannon", "Jensen-Shannon distance", 0.1, False, frozenset(COLUMN_TYPES), True
        ),
        MethodSpec("psi", "PSI", 0.1, False, frozenset(COLUMN_TYPES), True),
        # the calibrated preset's tests (see ``calibrated``): drift needs p <= alpha *and* an
        # effect size at or above the configured effect threshold
        MethodSpec(
            "anderson_darling", "Anderson-Darling p_value", 0.05, True, frozenset({NUMERICAL}), True
        ),
        MethodSpec(
            "chi2_homogeneity",
            "chi-square homogeneity p_value",
            0.05,
            True,
            frozenset(COLUMN_TYPES),
            True,
        ),
    )
}
CALIBRATED_METHODS: Final = {NUMERICAL: "anderson_darling", CATEGORICAL: "chi2_homogeneity"}
"""The calibrated preset's method per column type."""
P_VALUE_METHODS: Final = frozenset(name for name, spec in METHODS.items() if spec.returns_p_value)


@dataclass(frozen=True)
class TestOutcome:
    """A test's statistic; ``p_value`` is None for distance methods."""

    __test__ = False  # not a pytest test class

    method: str
    statistic: float
    p_value: float | None = None
    effect_size: float | None = None
    """KS distance (numerical) or total variation distance (categorical); set by the
    calibrated tests, computed apart for the others when the calibrated preset needs it."""
    note: str | None = None

    @property
    def score(self) -> float:
        """The number Evidently compares with the threshold (its 'drift_score')."""
        return self.statistic if self.p_value is None else self.p_value


@dataclass(frozen=True)
class Binning:
    """The bins JS/PSI compare: 'sturges' ``edges`` or distinct ``values``, with counts."""

    edges: np.ndarray | None
    values: list[Category] | None
    reference_counts: np.ndarray
    current_counts: np.ndarray
    reference_total: int
    current_total: int

    def shares(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.reference_counts / self.reference_total,
            self.current_counts / self.current_total,
        )


# --------------------------------------------------------------------------------------------
# method choice


def default_method(column_type: str, n_reference: int, n_unique: int) -> str:
    """Evidently's ``_get_default_stattest`` (legacy/calculations/stattests/registry.py).

    ``n_reference`` counts the reference's non-missing finite values and ``n_unique`` the distinct
    values of reference and current together.
    """
    if column_type not in COLUMN_TYPES:
        raise ValueError(f"unknown column type {column_type!r}")
    if n_reference <= SMALL_REFERENCE_MAX_ROWS:
        if column_type == NUMERICAL and n_unique > FEW_VALUES_MAX:
            return "ks"
        return "chisquare" if n_unique > 2 else "z"
    if column_type == NUMERICAL and n_unique > FEW_VALUES_MAX:
        return "wasserstein"
    return "jensenshannon"


def combined_n_unique(reference: Sample, current: Sample, *, at_most: int | None = None) -> int:
    """Distinct values over both sides (pandas ``concat(...).nunique()``).

    With ``at_most`` the count may stop early once it is known to exceed that bound, which
    spares a pass over the current values when the reference alone already decides.
    """
    n_reference = reference.n_unique
    if at_most is not None and n_reference > at_most:
        return n_reference
    keys, _, _ = aligned_counts(reference, current)
    return len(keys)


# --------------------------------------------------------------------------------------------
# value counts on both sides


def _discrete(sample: Sample) -> tuple[Any, np.ndarray, int]:
    keys, counts = sample.value_counts
    return keys, counts, int(counts.sum())


def aligned_counts(
    reference: Sample, current: Sample
) -> tuple[list[Category], np.ndarray, np.ndarray]:
    """Counts of both sides over the union of their distinct values (reference order first)."""
    ref_keys, ref_counts, _ = _discrete(reference)
    cur_keys, cur_counts, _ = _discrete(current)
    if isinstance(ref_keys, np.ndarray) and isinstance(cur_keys, np.ndarray):
        union = np.union1d(ref_keys, cur_keys)
        ref_aligned = np.zeros(union.shape[0], dtype=np.int64)
        cur_aligned = np.zeros(union.shape[0], dtype=np.int64)
        ref_aligned[np.searchsorted(union, ref_keys)] = ref_counts
        cur_aligned[np.searchsorted(union, cur_keys)] = cur_counts
        return union.tolist(), ref_aligned, cur_aligned
    index: dict[Category, int] = {}
    for key in list(ref_keys) + list(cur_keys):
        index.setdefault(key, len(index))
    ref_aligned = np.zeros(len(index), dtype=np.int64)
    cur_aligned = np.zeros(len(index), dtype=np.int64)
    ref_aligned[[index[key] for key in ref_keys]] = ref_counts
    cur_aligned[[index[key] for key in cur_keys]] = cur_counts
    return list(index), ref_aligned, cur_aligned


# --------------------------------------------------------------------------------------------
# binning for JS / PSI / histograms


def sturges_edges(reference: NumericSample, current: NumericSample) -> np.ndarray:
    """``np.histogram_bin_edges(concat(reference, current), bins="sturges")`` without the concat."""
    first = min(reference.min, current.min)
    last = max(reference.max, current.max)
    size = reference.n + current.n
    width = (last - first) / (np.log2(size) + 1.0)
    if not math.isfinite(width):  # a range beyond float64 (numpy itself would raise here)
        n_bins = math.ceil(np.log2(size) + 1.0)
        return np.linspace(first / 2, last / 2, n_bins + 1, endpoint=True) * 2
    if width:
        if reference.is_integer and current.is_integer and width < 1:
            width = 1
        n_bins = int(np.ceil((last - first) / width))
    else:
        n_bins = 1
    if first == last:
        first, last = first - 0.5, last + 0.5
    return np.linspace(first, last, n_bins + 1, endpoint=True)


def histogram_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)[0]`` for sorted values: binary searches, last bin closed."""
    cumulative = np.concatenate(
        (
            np.searchsorted(sorted_values, edges[:-1], side="left"),
            np.searchsorted(sorted_values, edges[-1:], side="right"),
        )
    )
    return np.diff(cumulative).astype(np.int64, copy=False)


def binned_data(reference: Sample, current: Sample) -> Binning:
    """Evidently's ``get_binned_data`` bins and counts (shares before zero filling)."""
    numeric = isinstance(reference, NumericSample) and isinstance(current, NumericSample)
    if numeric and reference.n_unique > BINNING_MIN_UNIQUE:
        edges = sturges_edges(reference, current)
        return Binning(
            edges=edges,
            values=None,
            reference_counts=histogram_counts(reference.sorted_values, edges),
            current_counts=histogram_counts(current.sorted_values, edges),
            reference_total=reference.n_sample,
            current_total=current.n_sample,
        )
    keys, ref_counts, cur_counts = aligned_counts(reference, current)
    return Binning(
        edges=None,
        values=keys,
        reference_counts=ref_counts,
        current_counts=cur_counts,
        reference_total=int(ref_counts.sum()),
        current_total=int(cur_counts.sum()),
    )


def _fill_zero_shares(shares: np.ndarray) -> np.ndarray:
    nonzero = shares[shares != 0]
    if nonzero.size == 0:
        return shares
    smallest = nonzero.min()
    filled = shares.copy()
    filled[filled == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return filled


# --------------------------------------------------------------------------------------------
# the tests


def _numeric_pair(reference: Sample, current: ColumnLike) -> tuple[NumericSample, NumericSample]:
    if not isinstance(reference, NumericSample):
        raise TypeError("this test needs a numeric reference")
    return reference, numeric_sample(current)


def _current_like(reference: Sample, current: ColumnLike) -> Sample:
    if isinstance(current, (NumericSample, CategoryCounts)):
        return current
    if isinstance(reference, NumericSample):
        return numeric_sample(current)
    return category_counts(current)


def ks_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Two-sample Kolmogorov-Smirnov, equal to ``scipy.stats.ks_2samp`` (two-sided, 'auto')."""
    ref, cur = _numeric_pair(reference, current)
    if max(ref.n, cur.n) <= KS_EXACT_MAX_N and not ref.is_subsampled:
        with np.errstate(all="ignore"):
            result = _scipy_stats().ks_2samp(ref.sorted_values, cur.sorted_values)
        return TestOutcome("ks", float(result.statistic), float(result.pvalue))
    return ks_asymptotic(ref, cur)


def ks_asymptotic(reference: NumericSample, current: NumericSample) -> TestOutcome:
    """``ks_2samp(method="asymp")``: our statistic, scipy's ``kstwo.sf(d, round(en))`` p-value."""
    statistic = ks_statistic(reference.sorted_values, current)
    big, small = sorted([float(reference.n), float(current.n)], reverse=True)
    effective_n = big * small / (big + small)
    with np.errstate(all="ignore"):  # thread-safe, unlike warnings.catch_warnings
        p_value = np.clip(_scipy_stats().kstwo.sf(statistic, np.round(effective_n)), 0, 1)
    return TestOutcome("ks", statistic, float(p_value))


def ks_statistic(reference_sorted: np.ndarray, current: NumericSample) -> float:
    """KS distance from ECDFs evaluated only at the current sample's distinct values.

    On ``[c_k, c_k+1)`` the current ECDF is flat and the reference ECDF rises, so
    ``F_ref - F_cur`` peaks just before ``c_k+1`` and ``F_cur - F_ref`` at ``c_k``; both values
    are attained at data points, i.e. they are among scipy's candidates.
    """
    distinct, counts = current.value_counts
    m_ref = reference_sorted.shape[0]
    m_cur = current.n_sample
    cdf_cur = np.cumsum(counts) / m_cur
    below_next = np.searchsorted(reference_sorted, distinct, side="left")
    # F_ref just before each distinct current value, paired with F_cur of the previous one.
    rises = np.empty(distinct.shape[0] + 1, dtype=np.float64)
    rises[0] = below_next[0] / m_ref - 0.0
    rises[1:-1] = below_next[1:] / m_ref - cdf_cur[:-1]
    rises[-1] = m_ref / m_ref - cdf_cur[-1]
    at_values = np.searchsorted(reference_sorted, distinct, side="right") / m_ref - cdf_cur
    max_s = float(rises.max())
    min_s = float(np.clip(-at_values.min(), 0, 1))
    return min_s if min_s > max_s else max_s


def wasserstein_distance_sorted(u_sorted: np.ndarray, v_sorted: np.ndarray) -> float:
    """First Wasserstein distance of two ascending samples, as ``scipy.stats.wasserstein_distance``.

    Integrates ``|Q_u - Q_v|`` over the merged grid of quantile levels ``i/n_u`` and ``j/n_v``
    in units of ``1/(n_u n_v)``: with ``n_u >= n_v`` each ``u`` step meets at most two ``v`` steps,
    so the sum is built blockwise without merging or sorting anything. The grid arithmetic is
    done in float64, which is exact while ``n_u * n_v < 2**52``; past that, int64 is used.
    """
    if u_sorted.shape[0] < v_sorted.shape[0]:
        u_sorted, v_sorted = v_sorted, u_sorted
    n_u, n_v = int(u_sorted.shape[0]), int(v_sorted.shape[0])
    if n_u == 0 or n_v == 0:
        return float("nan")
    block = 1 << 15  # keeps a block's temporaries in cache
    total = 0.0
    if n_u == n_v:
        for start in range(0, n_u, block):
            stop = min(start + block, n_u)
            gaps = np.subtract(u_sorted[start:stop], v_sorted[start:stop])
            total += float(np.abs(gaps, out=gaps).sum())
        return total / n_u
    exact_in_float = n_u * n_v < FLOAT_GRID_LIMIT
    grid_type = np.float64 if exact_in_float else np.int64
    for start in range(0, n_u, block):
        stop = min(start + block, n_u)
        # u step i covers [i n_v, (i+1) n_v); v step j covers [j n_u, (j+1) n_u).
        low = np.arange(start * n_v, stop * n_v, n_v, dtype=grid_type)
        # a correctly rounded quotient floors exactly while n_u * n_v < 2**52
        v_step = np.floor(low / n_u) if exact_in_float else low // n_u
        first_part = np.minimum(v_step * n_u + n_u - low, n_v)
        second_part = n_v - first_part  # zero unless a v boundary falls inside the u step
        v_index = v_step.astype(np.intp)
        u_block = u_sorted[start:stop]
        gaps = np.subtract(u_block, v_sorted[v_index])
        np.abs(gaps, out=gaps)
        total += float(np.multiply(gaps, first_part, out=gaps).sum())
        np.minimum(v_index + 1, n_v - 1, out=v_index)
        gaps = np.subtract(u_block, v_sorted[v_index])
        np.abs(gaps, out=gaps)
        total += float(np.multiply(gaps, second_part, out=gaps).sum())
    return total / (float(n_u) * float(n_v))


def reference_std(reference: NumericSample) -> float:
    std = getattr(reference, "std", None)
    if std is None:
        std = float(np.std(reference.sorted_values))
    return float(std)


def wasserstein_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Evidently's normed Wasserstein distance: W(ref, cur) / max(std(ref), 0.001)."""
    ref, cur = _numeric_pair(reference, current)
    norm = max(reference_std(ref), WASSERSTEIN_MIN_NORM)
    distance_value = wasserstein_distance_sorted(ref.sorted_values, cur.sorted_values)
    return TestOutcome("wasserstein", distance_value / norm)


def chisquare_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Evidently's chi-square: current counts against reference counts scaled to current size."""
    cur = _current_like(reference, current)
    _, ref_counts, cur_counts = aligned_counts(reference, cur)
    scale = int(cur_counts.sum()) / int(ref_counts.sum())
    with np.errstate(all="ignore"):  # a value absent from the reference divides by zero
        result = _scipy_stats().chisquare(cur_counts, ref_counts * scale)
    return TestOutcome("chisquare", float(result.statistic), float(result.pvalue))


def _sorted_categories(values: Sequence[Category]) -> list[Category]:
    try:
        return sorted(values)
    except TypeError:  # mixed types (Evidently would fail here): order by type, then value
        return sorted(values, key=lambda value: (type(value).__name__, str(value)))


def z_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Evidently's two-proportion Z-test of the first sorted value against all others."""
    cur = _current_like(reference, current)
    keys, ref_counts, cur_counts = aligned_counts(reference, cur)
    ref_present = ref_counts > 0
    cur_present = cur_counts > 0
    if (
        ref_present.sum() == 1
        and cur_present.sum() == 1
        and np.array_equal(ref_present, cur_present)
    ):
        return TestOutcome("z", 0.0, 1.0)
    first = keys.index(_sorted_categories(keys)[0])
    n_ref = int(ref_counts.sum())
    n_cur = int(cur_counts.sum())
    share_ref = float(n_ref - int(ref_counts[first])) / n_ref
    share_cur = float(n_cur - int(cur_counts[first])) / n_cur
    pooled = float(share_ref * n_ref + share_cur * n_cur) / (n_ref + n_cur)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_value = (share_ref - share_cur) / np.sqrt(
            pooled * (1 - pooled) * (1.0 / n_ref + 1.0 / n_cur)
        )
    p_value = 2 * (1 - _scipy_stats().norm.cdf(np.abs(z_value)))
    return TestOutcome("z", float(z_value), float(p_value))


def jensenshannon_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Jensen-Shannon distance (natural log) between Evidently's binned shares."""
    return jensenshannon_from_binning(binned_data(reference, _current_like(reference, current)))


def jensenshannon_from_binning(binning: Binning) -> TestOutcome:
    reference_shares, current_shares = binning.shares()
    from scipy.spatial import distance

    value = distance.jensenshannon(reference_shares, current_shares)
    return TestOutcome("jensenshannon", float(value))


def psi_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Population Stability Index on Evidently's binned shares with its zero filling."""
    return psi_from_binning(binned_data(reference, _current_like(reference, current)))


def psi_from_binning(binning: Binning) -> TestOutcome:
    reference_shares, current_shares = binning.shares()
    reference_shares = _fill_zero_shares(reference_shares)
    current_shares = _fill_zero_shares(current_shares)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (reference_shares - current_shares) * np.log(reference_shares / current_shares)
    return TestOutcome("psi", float(np.sum(terms)))


def psi_band(psi: float | None) -> str | None:
    """'none' below 0.1, 'moderate' below 0.25, else 'major'."""
    if psi is None or math.isnan(psi):
        return None
    if psi >= PSI_MAJOR:
        return "major"
    if psi >= METHODS["psi"].default_threshold:
        return "moderate"
    return "none"


def anderson_darling_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Two-sample Anderson-Darling (midrank A2akN, p-value given the ties), KS distance."""
    ref, cur = _numeric_pair(reference, current)
    outcome = calibrated.anderson_darling(ref, cur)
    return TestOutcome(
        "anderson_darling", outcome.statistic, outcome.p_value, outcome.effect_size, outcome.note
    )


def chi2_homogeneity_test(reference: Sample, current: ColumnLike) -> TestOutcome:
    """Chi-square test of homogeneity on the 2 x levels table, rare levels pooled."""
    cur = _current_like(reference, current)
    _, ref_counts, cur_counts = aligned_counts(reference, cur)
    outcome = calibrated.chi2_homogeneity(ref_counts, cur_counts)
    return TestOutcome(
        "chi2_homogeneity", outcome.statistic, outcome.p_value, outcome.effect_size, outcome.note
    )


def effect_size(reference: Sample, current: ColumnLike) -> float:
    """The calibrated preset's effect size for any column: KS distance or total variation."""
    cur = _current_like(reference, current)
    if isinstance(reference, NumericSample) and isinstance(cur, NumericSample):
        return calibrated.ks_distance(reference, cur)
    _, ref_counts, cur_counts = aligned_counts(reference, cur)
    return calibrated.total_variation(ref_counts, cur_counts)


TESTS: Final = {
    "ks": ks_test,
    "chisquare": chisquare_test,
    "z": z_test,
    "wasserstein": wasserstein_test,
    "jensenshannon": jensenshannon_test,
    "psi": psi_test,
    "anderson_darling": anderson_darling_test,
    "chi2_homogeneity": chi2_homogeneity_test,
}


def run_test(method: str, reference: Sample, current: ColumnLike) -> TestOutcome:
    """Run a method by its Evidently name."""
    try:
        test = TESTS[method]
    except KeyError:
        raise ValueError(f"unknown drift method {method!r}; known: {sorted(TESTS)}") from None
    return test(reference, current)
