"""The ``calibrated`` preset's tests: valid p-values at every size, with ties, plus effect sizes.

Numerical columns: **two-sample Anderson-Darling** (Scholz & Stephens 1987, the midrank
statistic ``A2akN`` for data with ties; ``scipy.stats.anderson_ksamp(midrank=True)`` computes the
same number, standardised). Effect size: the **KS distance** ``max |F_ref - F_cur|``, the largest
difference between the two sides in the share of rows below some value (``ks_2samp``'s statistic).

Categorical columns: **chi-square test of homogeneity** on the 2 x k table (reference, current)
x levels (``scipy.stats.chi2_contingency(table, correction=False)``), not a goodness-of-fit test
that takes the sampled reference for the population. Levels whose expected count in the smaller
sample is below 5 (Cochran's rule) are pooled into one "other" level, and a group still below 5
is merged into the next smallest, so rare and unseen levels can neither make the test
anti-conservative nor hide. When nothing but one group is left, Fisher's exact test compares the
most common level with all others, and a table of two groups (below ~5,000 rows) gets it too,
since the chi-square approximation of a 2 x 2 lattice can be anti-conservative (6-8% false
alarms at alpha = 5% with 30-500 rows). Effect size: the **total variation distance** over the
tested groups, ``0.5 * sum |p_ref - p_cur|``: the share of rows that would have to change level.
Both effect sizes are "largest difference in the share of rows falling in some set of values",
so one threshold reads the same way for both column types.

The Anderson-Darling p-value comes from its asymptotic null distribution *given the tie
pattern* (a permutation argument: under "no drift" every split of the pooled sample into the two
sides is equally likely). The statistic is a quadratic form ``v' C v`` in the two sides' count
differences at the pooled distinct values, whose covariance under that permutation null is
exactly a Brownian bridge's evaluated at the pooled ECDF (``s_a (1 - s_b)``), so the statistic
has mean exactly 1 and, asymptotically, the law of ``sum lambda_i chi2_1``:

* no ties at all: ``lambda_j = 1 / (j (j + 1))``, the classical ADinf distribution;
* two values only (a 0/1 column): ``A2`` is ``(N - 1)/N`` times the 2 x 2 table's chi-square, and
  below ~5,000 rows the exact conditional law (Fisher's test) is used instead, as above;
* with ties: the law of the same quadratic form over the pooled blocks of equal values. Blocks
  lighter than ``1/AD_GROUPS`` of the data are merged for this (never heavier ones), which makes
  the reference distribution a little more spread out than the exact one: the p-value errs on
  the conservative side (at most ~2% relative at p = 0.05 for continuous data).

Above ``BINNED_ABOVE`` pooled values (with mostly distinct values) the statistic is computed on
``QUANTILE_BINS`` bins cut at the pooled sample's quantiles, values in a bin counting as tied.
The cuts are a function of the pooled sample alone (found by binary search in the two sorted
sides, no merge), so the permutation argument, and with it the tied null law, holds for the
binned statistic exactly; the KS distance is then measured at the cuts, within 2/QUANTILE_BINS
of the exact one. A million-row column costs a few binary searches instead of a merge, and
shifts too small to move a 1/1,024 quantile bin are far below any practical effect size.

Tail probabilities of ``sum lambda_i chi2_1`` use the Lugannani-Rice saddlepoint approximation
(Kuonen 1999), within 1% of the exact value from p = 0.5 down to 1e-6 for these laws. With ties
the cumulant generating function is evaluated without eigenvalues, as
``-1/2 log det(T - 2tP) / det(T)`` with ``T`` (the bridge's precision) and ``P`` both
tridiagonal. At N = 60 the exact variance of the statistic (Scholz & Stephens) is below the
asymptotic one, so small samples are conservative too.

Only numpy and the standard library are used here (no scipy import on the CLI's path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np

from .samples import NumericSample

AD_GROUPS: Final = 256
"""Finest resolution of the null distribution with ties: blocks lighter than 1/AD_GROUPS of the
pooled data are merged (conservative; see the module docstring)."""
ADINF_TERMS: Final = 400
MIN_EXPECTED: Final = 5.0
"""Cochran's rule: every cell of the chi-square table expects at least this many rows."""
EXACT_SUPPORT_MAX: Final = 5_000
"""A 2 x 2 table (a 0/1 column, a two-level one) whose hypergeometric law has at most this many
outcomes gets Fisher's exact test: the chi-square approximation of such a lattice can raise
6-8% false alarms at alpha = 5% even with 100-500 rows. Beyond it the lattice is fine enough
(standard deviation >= ~35 counts) for the approximation to be within ~0.2%."""
BINNED_ABOVE: Final = 250_000
"""Above this many pooled values (and more than half of them distinct), Anderson-Darling and
the KS distance are computed on ``QUANTILE_BINS`` bins cut at the pooled sample's quantiles."""
QUANTILE_BINS: Final = 1_024
_BLOCK: Final = 1 << 16
_FISHER_RELATIVE_TOLERANCE: Final = 1 + 1e-7  # scipy.stats.fisher_exact's

_ADINF_WEIGHTS: Final = 1.0 / (np.arange(1, ADINF_TERMS + 1) * np.arange(2.0, ADINF_TERMS + 2))
_ADINF_REST: Final = 1.0 / (ADINF_TERMS + 1)
"""The weights beyond ADINF_TERMS sum to this; their chi-squares are replaced by their mean."""


@dataclass(frozen=True)
class CalibratedOutcome:
    """A test's statistic, p-value and effect size, with a note on how it was computed."""

    statistic: float
    p_value: float
    effect_size: float
    note: str | None = None


# --------------------------------------------------------------------------------------------
# weighted sums of chi-squares: saddlepoint tail probabilities


def _normal_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def _lugannani_rice(x: float, t: float, k0: float, k2: float, k3_at_0: float, k2_at_0: float):
    """P(Q > x) from the saddlepoint t (K'(t) = x), K(t) = k0 and K''(t) = k2."""
    w = math.copysign(math.sqrt(max(2.0 * (t * x - k0), 0.0)), t)
    u = t * math.sqrt(k2)
    if abs(w) < 1e-4 or abs(u) < 1e-8:  # at the mean: the formula's limit
        return 0.5 - k3_at_0 / (6.0 * math.sqrt(2.0 * math.pi) * k2_at_0**1.5)
    p = _normal_sf(w) + math.exp(-0.5 * w * w) / math.sqrt(2.0 * math.pi) * (1.0 / u - 1.0 / w)
    return min(max(p, 0.0), 1.0)


def weighted_chi2_sf(x: float, weights: np.ndarray, shift: float = 0.0) -> float:
    """P(sum weights_i * chi2_1 + shift > x) (saddlepoint), for positive weights."""
    x = x - shift
    lam = np.asarray(weights, dtype=np.float64)
    if x <= 0 or lam.size == 0:
        return 1.0 if x <= 0 else 0.0

    def cumulants(t: float) -> tuple[float, float, float]:
        scaled = 1.0 - 2.0 * t * lam
        if scaled.min() <= 0:
            raise _NotPositiveDefinite
        ratio = lam / scaled
        return (
            float(-0.5 * np.log(scaled).sum()),
            float(ratio.sum()),
            float(2.0 * (ratio * ratio).sum()),
        )

    t_max = 0.5 / float(lam.max())
    t = _solve_saddlepoint(x, float(lam.sum()), t_max, cumulants)
    k0, _, k2 = cumulants(t)
    return _lugannani_rice(x, t, k0, k2, float(8.0 * (lam**3).sum()), float(2.0 * (lam**2).sum()))


def _solve_saddlepoint(x: float, mean: float, t_max: float, cumulants) -> float:
    """The t with K'(t) = x: safeguarded Newton steps on the increasing, convex K'."""
    if x == mean:
        return 0.0
    low, high = (0.0, t_max) if x > mean else (-math.inf, 0.0)
    t = 0.0
    for _ in range(200):
        try:
            _, k1, k2 = cumulants(t)
        except _NotPositiveDefinite:
            high = t
            t = 0.5 * (low + high)
            continue
        if k1 > x:
            high = min(high, t)
        else:
            low = max(low, t)
        step = (x - k1) / k2
        candidate = t + step
        if not low < candidate < high or not math.isfinite(candidate):
            candidate = 2.0 * min(t, -1.0) if math.isinf(low) else 0.5 * (low + high)
        if abs(candidate - t) <= 1e-13 * max(1.0, abs(t)) or high - low <= 1e-15 * max(1.0, abs(t)):
            return candidate
        t = candidate
    return t


class _NotPositiveDefinite(ArithmeticError):
    pass


def adinf_sf(x: float) -> float:
    """Upper tail of the Anderson-Darling limit law (no ties): ``sum chi2_1 / (j (j + 1))``."""
    return weighted_chi2_sf(x, _ADINF_WEIGHTS, _ADINF_REST)


def grouped_weights(block_sizes: np.ndarray, groups: int = AD_GROUPS) -> np.ndarray:
    """Shares of the pooled blocks, merged until each is at least ``1/groups`` (or a block)."""
    total = float(block_sizes.sum())
    ends = np.cumsum(block_sizes, dtype=np.float64) / total
    if ends.shape[0] <= groups:
        return np.diff(ends, prepend=0.0)
    targets = np.arange(1, groups) / groups
    chosen = np.searchsorted(ends, targets * (1 - 1e-12), side="left")
    cut = np.unique(np.append(ends[np.minimum(chosen, ends.shape[0] - 1)], 1.0))
    return np.diff(cut, prepend=0.0)


def tied_ad_sf(x: float, weights: np.ndarray) -> float:
    """P(A2 > x) for the midrank Anderson-Darling statistic over blocks of these shares.

    ``A2 = sum_g c_g v_g^2`` with ``v_g = (u_(g-1) + u_g) / 2``, ``u`` a Brownian bridge at the
    block ends and ``c_g = w_g / Var(v_g)``. Its cumulant generating function is
    ``-1/2 [log det(T - 2tP) - log det T]``, both matrices tridiagonal.
    """
    w = np.asarray(weights, dtype=np.float64)
    if x <= 1e-12 or w.shape[0] < 2:
        return 1.0
    ends = np.cumsum(w)
    ends[-1] = 1.0
    midpoints = ends - w / 2
    variance = midpoints * (1 - midpoints) - w / 4
    c = np.where(variance > 0, w / np.where(variance > 0, variance, 1.0), 0.0)
    m = w.shape[0] - 1
    t_diag = (1.0 / w[:m] + 1.0 / w[1:]).tolist()
    t_off = (-1.0 / w[1:m]).tolist()
    p_diag = ((c[:m] + c[1:]) / 4).tolist()
    p_off = (c[1:m] / 4).tolist()
    log_det_t = _tridiagonal_log_det(t_diag, t_off)

    def cumulants(t: float) -> tuple[float, float, float]:
        log_det, first, second = _pencil_derivatives(t, t_diag, t_off, p_diag, p_off)
        return -0.5 * (log_det - log_det_t), -0.5 * first, -0.5 * second

    # the pencil's largest eigenvalue is at most trace(K P) = 1 (all eigenvalues are >= 0)
    t = _solve_saddlepoint(x, 1.0, math.inf, cumulants)
    k0, _, k2 = cumulants(t)
    _, _, k2_0 = cumulants(0.0)
    k3_0 = _third_cumulant_at_zero(t_diag, t_off, p_diag, p_off)
    return _lugannani_rice(x, t, k0, k2, k3_0, k2_0)


def _tridiagonal_log_det(diag: list[float], off: list[float]) -> float:
    d = diag[0]
    total = math.log(d)
    for i in range(1, len(diag)):
        d = diag[i] - off[i - 1] ** 2 / d
        total += math.log(d)
    return total


def _pencil_derivatives(
    t: float, t_diag: list[float], t_off: list[float], p_diag: list[float], p_off: list[float]
) -> tuple[float, float, float]:
    """log det(T - 2tP) and its first two derivatives in t, by the LDL' pivots' recurrence."""
    a_first = -2.0 * p_diag[0]
    d = t_diag[0] - 2.0 * t * p_diag[0]
    if d <= 0:
        raise _NotPositiveDefinite
    d1, d2 = a_first, 0.0
    log_det = math.log(d)
    first = d1 / d
    second = -(first * first)
    for i in range(1, len(t_diag)):
        b = t_off[i - 1] - 2.0 * t * p_off[i - 1]
        b1 = -2.0 * p_off[i - 1]
        bb = b * b
        numerator = 2.0 * b * b1 * d - bb * d1
        r1 = numerator / (d * d)
        r2 = (2.0 * b1 * b1 * d - bb * d2) / (d * d) - 2.0 * d1 * numerator / (d * d * d)
        d_next = t_diag[i] - 2.0 * t * p_diag[i] - bb / d
        if d_next <= 0:
            raise _NotPositiveDefinite
        d, d1, d2 = d_next, -2.0 * p_diag[i] - r1, -r2
        log_det += math.log(d)
        ratio = d1 / d
        first += ratio
        second += d2 / d - ratio * ratio
    return log_det, first, second


def _third_cumulant_at_zero(
    t_diag: list[float], t_off: list[float], p_diag: list[float], p_off: list[float]
) -> float:
    """K'''(0) by a central difference of K'' (used only where the saddlepoint meets the mean)."""
    h = 1e-4
    plus = _pencil_derivatives(h, t_diag, t_off, p_diag, p_off)[2]
    minus = _pencil_derivatives(-h, t_diag, t_off, p_diag, p_off)[2]
    return -0.5 * (plus - minus) / (2 * h)


# --------------------------------------------------------------------------------------------
# Anderson-Darling, two samples


def _has_ties(sorted_values: np.ndarray) -> bool:
    return bool(sorted_values.shape[0] > 1 and np.any(sorted_values[1:] == sorted_values[:-1]))


@lru_cache(maxsize=4)
def _pooled_weights(big_n: int) -> tuple[np.ndarray, np.ndarray]:
    """``j`` and ``1 / (4 D_j)`` for j = 1..N, the same for every column of a window's size."""
    j = np.arange(1, big_n + 1, dtype=np.float64)
    half = j - 0.5
    weights = 0.25 / (half * (big_n - half) - big_n / 4.0)
    j.flags.writeable = weights.flags.writeable = False
    return j, weights


def _ad_without_ties(current_seen: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """A2akN and the KS distance when all pooled values are distinct (blocks of one value).

    ``current_seen[j]`` counts the current values among the first j pooled ones (j = 0..N);
    ``E_j = n2 j - N current_seen[j]`` is ``(F_ref - F_cur) n1 n2`` at the j-th pooled value.
    """
    big_n = n1 + n2
    positions, weights = _pooled_weights(big_n)
    total = 0.0
    largest = 0.0
    previous = 0.0  # E_0
    for start in range(0, big_n, _BLOCK):
        stop = min(start + _BLOCK, big_n)
        e = current_seen[start + 1 : stop + 1] * float(-big_n)
        e += positions[start:stop] * float(n2)
        largest = max(largest, float(np.abs(e).max()))
        s = np.empty_like(e)
        s[0] = previous + e[0]
        np.add(e[1:], e[:-1], out=s[1:])
        previous = float(e[-1])
        s *= s
        s *= weights[start:stop]  # (not np.dot: BLAS threads fight the column threads)
        total += float(s.sum())
    statistic = (big_n - 1) / (big_n * n1 * n2) * total
    return statistic, largest / (n1 * n2)


def _merged(reference_sorted: np.ndarray, current_sorted: np.ndarray):
    """Merge the two sorted sides (a stable sort of two runs is one linear merge): the pooled
    values in order, and whether each came from the current side."""
    pooled = np.concatenate((reference_sorted, current_sorted))
    order = np.argsort(pooled, kind="stable")
    return pooled[order], order >= reference_sorted.shape[0]


def _pooled_order_statistics(
    reference_sorted: np.ndarray, current_sorted: np.ndarray, ranks: np.ndarray
) -> np.ndarray:
    """The ``ranks``-th smallest (1-based) values of the pooled sample, without merging: a
    binary search per rank over how many of them come from the reference."""
    n1, n2 = reference_sorted.shape[0], current_sorted.shape[0]
    low = np.maximum(0, ranks - n2)
    high = np.minimum(ranks, n1)
    while True:
        active = low < high
        if not active.any():
            break
        middle = (low + high) // 2
        middle_a, ranks_a = middle[active], ranks[active]
        # taking `middle` from the reference is too few when its next value is below the
        # current value it would displace
        too_few = reference_sorted[middle_a] < current_sorted[ranks_a - middle_a - 1]
        low[active] = np.where(too_few, middle_a + 1, low[active])
        high[active] = np.where(too_few, high[active], middle_a)
    from_reference = np.where(low > 0, reference_sorted[np.maximum(low - 1, 0)], -np.inf)
    taken = ranks - low
    from_current = np.where(taken > 0, current_sorted[np.maximum(taken - 1, 0)], -np.inf)
    return np.maximum(from_reference, from_current)


def _quantile_blocks(
    reference_sorted: np.ndarray, current_sorted: np.ndarray, bins: int = QUANTILE_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """Block counts for bins cut at the pooled sample's quantiles (values in a bin count as
    tied). The cuts depend on the pooled sample only, not on which side a value came from, so
    the permutation argument behind the null law holds for the binned statistic exactly."""
    big_n = reference_sorted.shape[0] + current_sorted.shape[0]
    ranks = np.unique(np.round(np.arange(1, bins) * (big_n / bins)).astype(np.int64))
    edges = np.unique(_pooled_order_statistics(reference_sorted, current_sorted, ranks))
    reference_at = np.searchsorted(reference_sorted, edges, side="right")
    current_at = np.searchsorted(current_sorted, edges, side="right")
    reference_counts = np.diff(reference_at, prepend=0, append=reference_sorted.shape[0])
    current_counts = np.diff(current_at, prepend=0, append=current_sorted.shape[0])
    block = reference_counts + current_counts
    keep = block > 0
    return block[keep], reference_counts[keep]


def _blocks_of_merged(merged: np.ndarray, from_current: np.ndarray):
    """Pooled blocks of equal values, from the merged sample."""
    size = merged.shape[0]
    ends = np.append(np.flatnonzero(merged[1:] != merged[:-1]) + 1, size)
    reference_seen = np.cumsum(~from_current)[ends - 1]
    return np.diff(ends, prepend=0), np.diff(reference_seen, prepend=0)


def _pooled_blocks(
    reference: NumericSample, current: NumericSample
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of the pooled sample's distinct values (ascending) and the reference's share."""
    ref_values, ref_counts = reference.value_counts
    cur_values, cur_counts = current.value_counts
    n_ref_values = ref_values.shape[0]
    at = np.searchsorted(ref_values, cur_values, side="left")
    match = at < n_ref_values
    match[match] = ref_values[at[match]] == cur_values[match]
    new_at = at[~match]
    # reference value i moves right by the number of new (current-only) values before it
    ref_index = (
        np.arange(n_ref_values)
        + np.cumsum(np.bincount(new_at, minlength=n_ref_values + 1))[:n_ref_values]
    )
    size = n_ref_values + new_at.shape[0]
    block = np.zeros(size, dtype=np.int64)
    from_reference = np.zeros(size, dtype=np.int64)
    block[ref_index] = ref_counts
    from_reference[ref_index] = ref_counts
    cur_index = np.empty(cur_values.shape[0], dtype=np.int64)
    cur_index[match] = ref_index[at[match]]
    cur_index[~match] = new_at + np.arange(new_at.shape[0])
    block[cur_index] += cur_counts
    return block, from_reference


def _ad_with_ties(block: np.ndarray, from_reference: np.ndarray) -> tuple[float, float]:
    """A2akN (scipy's midrank formula) and the KS distance over the pooled blocks."""
    n1 = int(from_reference.sum())
    big_n = int(block.sum())
    n2 = big_n - n1
    ends = np.cumsum(block).astype(np.float64)
    e = big_n * np.cumsum(from_reference).astype(np.float64) - n1 * ends  # E_j at block ends
    s = e.copy()
    s[1:] += e[:-1]
    sizes = block.astype(np.float64)
    middle = ends - sizes / 2
    denominator = middle * (big_n - middle) - big_n * sizes / 4
    valid = denominator > 0
    terms = sizes[valid] * s[valid] ** 2 / denominator[valid]
    statistic = (big_n - 1) / (big_n * n1 * n2) * float(terms.sum()) / 4.0
    return statistic, float(np.abs(e).max()) / (n1 * n2)


def anderson_darling(reference: NumericSample, current: NumericSample) -> CalibratedOutcome:
    """Two-sample Anderson-Darling test (midrank A2akN) and the KS distance as effect size.

    Columns with few distinct values are compared by their value counts; above
    ``BINNED_ABOVE`` pooled values, on ``QUANTILE_BINS`` pooled-quantile bins (O(bins log n));
    otherwise by merging the two sorted arrays once, with a faster formula when no value
    repeats.
    """
    ref_sorted, cur_sorted = reference.sorted_values, current.sorted_values
    exact_counts = getattr(reference, "exact_value_counts", None) is not None
    note = None
    if exact_counts or 2 * reference.n_unique <= reference.n_sample:
        block, from_reference = _pooled_blocks(reference, current)
    elif ref_sorted.shape[0] + cur_sorted.shape[0] > BINNED_ABOVE:
        block, from_reference = _quantile_blocks(ref_sorted, cur_sorted, QUANTILE_BINS)
        note = f"on {QUANTILE_BINS} pooled-quantile bins"
    else:
        merged, from_current = _merged(ref_sorted, cur_sorted)
        if not _has_ties(merged):
            current_seen = np.empty(merged.shape[0] + 1, dtype=np.float64)
            current_seen[0] = 0
            np.cumsum(from_current, out=current_seen[1:])
            statistic, distance = _ad_without_ties(
                current_seen, ref_sorted.shape[0], cur_sorted.shape[0]
            )
            return CalibratedOutcome(statistic, adinf_sf(statistic), distance)
        block, from_reference = _blocks_of_merged(merged, from_current)
    if block.shape[0] < 2:  # one value on both sides
        return CalibratedOutcome(0.0, 1.0, 0.0)
    statistic, distance = _ad_with_ties(block, from_reference)
    if block.shape[0] == 2:  # two values: A2 is (N-1)/N times the 2 x 2 table's chi-square
        n1 = int(from_reference.sum())
        n2 = int(block.sum()) - n1
        a = int(from_reference[0])
        cells = (a, n1 - a, int(block[0]) - a, n2 - (int(block[0]) - a))
        if _exact_support(*cells) <= EXACT_SUPPORT_MAX:
            p_value = fisher_exact_two_sided(*cells)
            return CalibratedOutcome(
                statistic, p_value, distance, note="two values: Fisher's exact test"
            )
    p_value = tied_ad_sf(statistic, grouped_weights(block))
    return CalibratedOutcome(statistic, p_value, distance, note=note)


# --------------------------------------------------------------------------------------------
# chi-square test of homogeneity


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of chi-square with integer ``df`` (closed forms; equals scipy's chdtrc)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if x <= 0:
        return 1.0
    y = x / 2.0
    if df % 2 == 0:  # e^-y sum_{k < df/2} y^k / k!
        log_term, terms = -y, []
        for k in range(df // 2):
            if k:
                log_term += math.log(y) - math.log(k)
            terms.append(log_term)
        return min(1.0, _sum_exp(terms))
    # odd: erfc(sqrt y) + e^-y sum_{k < (df-1)/2} y^(k+1/2) / Gamma(k + 3/2)
    tail = math.erfc(math.sqrt(y))
    terms = [-y + (k + 0.5) * math.log(y) - math.lgamma(k + 1.5) for k in range((df - 1) // 2)]
    return min(1.0, tail + (_sum_exp(terms) if terms else 0.0))


def _sum_exp(logs: list[float]) -> float:
    if not logs:
        return 0.0
    top = max(logs)
    if top == -math.inf:
        return 0.0
    return math.exp(top) * math.fsum(math.exp(v - top) for v in logs)


def pooled_table(
    reference_counts: np.ndarray, current_counts: np.ndarray, min_expected: float = MIN_EXPECTED
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pool levels so every cell expects ``min_expected`` rows; returns the rows and how many
    levels went into the pooled groups."""
    n_ref = int(reference_counts.sum())
    n_cur = int(current_counts.sum())
    total = n_ref + n_cur
    smaller = min(n_ref, n_cur)
    level_totals = reference_counts + current_counts
    keep = level_totals * smaller >= min_expected * total
    n_pooled = int((~keep & (level_totals > 0)).sum())
    ref_rows = [int(v) for v in reference_counts[keep]]
    cur_rows = [int(v) for v in current_counts[keep]]
    if n_pooled:
        ref_rows.append(int(reference_counts[~keep].sum()))
        cur_rows.append(int(current_counts[~keep].sum()))
    while len(ref_rows) >= 2:
        sizes = [r + c for r, c in zip(ref_rows, cur_rows, strict=True)]
        order = sorted(range(len(sizes)), key=sizes.__getitem__)
        if sizes[order[0]] * smaller >= min_expected * total:
            break
        smallest, next_smallest = order[0], order[1]
        ref_rows[next_smallest] += ref_rows[smallest]
        cur_rows[next_smallest] += cur_rows[smallest]
        del ref_rows[smallest], cur_rows[smallest]
        n_pooled += 1
    return np.asarray(ref_rows, dtype=np.int64), np.asarray(cur_rows, dtype=np.int64), n_pooled


def _pearson(ref_rows: np.ndarray, cur_rows: np.ndarray) -> float:
    n_ref, n_cur = float(ref_rows.sum()), float(cur_rows.sum())
    total = n_ref + n_cur
    level_totals = (ref_rows + cur_rows).astype(np.float64)
    expected_ref = level_totals * (n_ref / total)
    expected_cur = level_totals * (n_cur / total)
    return float(
        ((ref_rows - expected_ref) ** 2 / expected_ref).sum()
        + ((cur_rows - expected_cur) ** 2 / expected_cur).sum()
    )


def fisher_exact_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test of [[a, b], [c, d]], two-sided as ``scipy.stats.fisher_exact``:
    the probability of every table with the same margins no likelier than the observed one."""
    row1, col1, total = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (total - row1)), min(row1, col1)
    if high == low:
        return 1.0
    x = np.arange(low, high, dtype=np.float64)
    # log pmf(x + 1) - log pmf(x) of the hypergeometric law, summed from the lowest outcome
    steps = np.log((row1 - x) * (col1 - x)) - np.log((x + 1) * (total - row1 - col1 + x + 1))
    log_pmf = np.empty(high - low + 1)
    log_pmf[0] = (
        _log_choose(row1, low) + _log_choose(total - row1, col1 - low) - _log_choose(total, col1)
    )
    np.cumsum(steps, out=log_pmf[1:])
    log_pmf[1:] += log_pmf[0]
    observed = log_pmf[a - low] + math.log(_FISHER_RELATIVE_TOLERANCE)
    chosen = log_pmf[log_pmf <= observed]
    top = float(log_pmf.max())
    return min(1.0, math.exp(top) * float(np.exp(chosen - top).sum()))


def _exact_support(a: int, b: int, c: int, d: int) -> int:
    return min(a + b, a + c, b + d, c + d) + 1


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def chi2_homogeneity(reference_counts: np.ndarray, current_counts: np.ndarray) -> CalibratedOutcome:
    """Chi-square homogeneity on the pooled table; Fisher's exact test when one group is left.

    The counts are aligned over the union of both sides' levels.
    """
    ref_rows, cur_rows, n_pooled = pooled_table(reference_counts, current_counts)
    n_ref, n_cur = int(reference_counts.sum()), int(current_counts.sum())
    if ref_rows.shape[0] >= 2:
        statistic = _pearson(ref_rows, cur_rows)
        effect = 0.5 * float(np.abs(ref_rows / n_ref - cur_rows / n_cur).sum())
        notes = [f"{n_pooled} level(s) pooled (expected count below 5)"] if n_pooled else []
        cells = (int(ref_rows[0]), int(ref_rows[1]), int(cur_rows[0]), int(cur_rows[1]))
        if ref_rows.shape[0] == 2 and _exact_support(*cells) <= EXACT_SUPPORT_MAX:
            p_value = fisher_exact_two_sided(*cells)
            notes.append("Fisher's exact test (2 x 2 table)")
        else:
            p_value = chi2_sf(statistic, ref_rows.shape[0] - 1)
        return CalibratedOutcome(statistic, p_value, effect, note="; ".join(notes) or None)
    # Too few rows for any chi-square cell: the most common level against all the others.
    top = int(np.argmax(reference_counts + current_counts))
    a, c = int(reference_counts[top]), int(current_counts[top])
    b, d = n_ref - a, n_cur - c
    if b == 0 and d == 0:
        return CalibratedOutcome(0.0, 1.0, 0.0)
    p_value = fisher_exact_two_sided(a, b, c, d)
    effect = abs(a / n_ref - c / n_cur)
    return CalibratedOutcome(
        float("nan"), p_value, effect, note="Fisher's exact test: too few rows for chi-square"
    )


def total_variation(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Total variation distance over the groups the homogeneity test uses."""
    ref_rows, cur_rows, _ = pooled_table(reference_counts, current_counts)
    if ref_rows.shape[0] < 2:
        top = int(np.argmax(reference_counts + current_counts))
        return abs(
            reference_counts[top] / reference_counts.sum()
            - current_counts[top] / current_counts.sum()
        )
    return 0.5 * float(np.abs(ref_rows / ref_rows.sum() - cur_rows / cur_rows.sum()).sum())


def ks_distance(reference: NumericSample, current: NumericSample) -> float:
    """``max |F_ref - F_cur|`` (``scipy.stats.ks_2samp``'s statistic)."""
    block, from_reference = _pooled_blocks(reference, current)
    n1 = int(from_reference.sum())
    n2 = int(block.sum()) - n1
    difference = (
        np.cumsum(from_reference) * n2 - (np.cumsum(block) - np.cumsum(from_reference)) * n1
    )
    return float(np.abs(difference).max()) / (n1 * n2)


__all__ = [
    "AD_GROUPS",
    "BINNED_ABOVE",
    "EXACT_SUPPORT_MAX",
    "MIN_EXPECTED",
    "QUANTILE_BINS",
    "CalibratedOutcome",
    "adinf_sf",
    "anderson_darling",
    "chi2_homogeneity",
    "chi2_sf",
    "fisher_exact_two_sided",
    "grouped_weights",
    "ks_distance",
    "pooled_table",
    "tied_ad_sf",
    "total_variation",
    "weighted_chi2_sf",
]
