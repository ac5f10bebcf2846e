"""The calibrated preset's statistics equal scipy's to 1e-9; its null laws are checked apart."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from drift.calibrated import (
    AD_GROUPS,
    QUANTILE_BINS,
    _ad_with_ties,
    _ad_without_ties,
    _blocks_of_merged,
    _merged,
    _pooled_blocks,
    _pooled_order_statistics,
    _quantile_blocks,
    adinf_sf,
    anderson_darling,
    chi2_homogeneity,
    chi2_sf,
    fisher_exact_two_sided,
    grouped_weights,
    ks_distance,
    pooled_table,
    tied_ad_sf,
    weighted_chi2_sf,
)
from drift.profile import build_numeric_profile
from drift.samples import numeric_sample
from drift.stattests import anderson_darling_test, chi2_homogeneity_test, effect_size

TOLERANCE = 1e-9
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
tie_heavy = st.integers(-4, 4).map(float)
samples = st.one_of(
    st.lists(finite_floats, min_size=2, max_size=80),
    st.lists(tie_heavy, min_size=2, max_size=80),
)


def scholz_stephens_variance(n1: int, n2: int) -> float:
    """Var(A2kN) for k = 2 under H0 (Scholz & Stephens 1987), as scipy computes it."""
    big_n, k = n1 + n2, 2
    h_sum = 1 / n1 + 1 / n2
    hs_cs = (1.0 / np.arange(big_n - 1, 1, -1)).cumsum()
    h = hs_cs[-1] + 1
    g = (hs_cs / np.arange(2, big_n)).sum()
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * h_sum
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * h_sum - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * h_sum + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    return (a * big_n**3 + b * big_n**2 + c * big_n + d) / (
        (big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0)
    )


def scipy_ad(reference: np.ndarray, current: np.ndarray) -> float:
    """scipy's standardised statistic turned back into A2akN (mean 1 under H0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.anderson_ksamp([reference, current], midrank=True)
    return result.statistic * math.sqrt(scholz_stephens_variance(len(reference), len(current))) + 1


@SETTINGS
@given(reference=samples, current=samples)
def test_anderson_darling_statistic_and_ks_distance_equal_scipys(reference, current):
    reference, current = np.array(reference), np.array(current)
    if len(np.unique(np.concatenate([reference, current]))) < 2:
        outcome = anderson_darling(numeric_sample(reference), numeric_sample(current))
        assert (outcome.statistic, outcome.p_value, outcome.effect_size) == (0.0, 1.0, 0.0)
        return
    outcome = anderson_darling_test(build_numeric_profile("x", reference), numeric_sample(current))
    assert outcome.statistic == pytest.approx(scipy_ad(reference, current), rel=TOLERANCE)
    assert outcome.effect_size == pytest.approx(
        stats.ks_2samp(reference, current).statistic, rel=TOLERANCE, abs=1e-15
    )
    assert 0 <= outcome.p_value <= 1


@SETTINGS
@given(
    reference=st.lists(finite_floats, min_size=2, max_size=200, unique=True),
    current=st.lists(finite_floats, min_size=2, max_size=200, unique=True),
)
def test_the_no_ties_path_equals_the_general_one(reference, current):
    reference_sorted, current_sorted = np.sort(reference), np.sort(current)
    if np.intersect1d(reference_sorted, current_sorted).size:
        return
    merged, from_current = _merged(reference_sorted, current_sorted)
    seen = np.concatenate([[0], np.cumsum(from_current)])
    fast = _ad_without_ties(seen, len(reference), len(current))
    general = _ad_with_ties(
        *_pooled_blocks(numeric_sample(reference_sorted), numeric_sample(current_sorted))
    )
    assert fast == pytest.approx(general, rel=TOLERANCE)
    by_merge = _ad_with_ties(*_blocks_of_merged(merged, from_current))
    assert by_merge == pytest.approx(general, rel=TOLERANCE)


def test_a_subsampled_reference_with_exact_counts_uses_them():
    rng = np.random.default_rng(3)
    reference = rng.poisson(3, 5000).astype(float)
    current = rng.poisson(3.2, 800).astype(float)
    profile = build_numeric_profile("x", reference, sample_cap=1000)
    assert profile.is_subsampled and profile.exact_value_counts is not None
    outcome = anderson_darling(profile, numeric_sample(current))
    assert outcome.statistic == pytest.approx(scipy_ad(reference, current), rel=TOLERANCE)


@SETTINGS
@given(
    counts=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=2, max_size=12
    ).filter(lambda rows: sum(r for r, _ in rows) > 0 and sum(c for _, c in rows) > 0)
)
def test_chi2_homogeneity_equals_scipys_chi2_contingency_on_the_pooled_table(counts):
    reference = np.array([r for r, _ in counts])
    current = np.array([c for _, c in counts])
    outcome = chi2_homogeneity(reference, current)
    ref_rows, cur_rows, _ = pooled_table(reference, current)
    if ref_rows.shape[0] >= 2:
        expected = stats.chi2_contingency(np.array([ref_rows, cur_rows]), correction=False)
        assert outcome.statistic == pytest.approx(expected.statistic, rel=TOLERANCE, abs=1e-12)
        if ref_rows.shape[0] == 2:  # a 2 x 2 table this small gets Fisher's exact test
            expected_p = stats.fisher_exact(np.array([ref_rows, cur_rows])).pvalue
        else:
            expected_p = expected.pvalue
        assert outcome.p_value == pytest.approx(expected_p, rel=TOLERANCE, abs=1e-300)
        tested = np.array([ref_rows, cur_rows], dtype=float)
        expected_cells = tested.sum(1, keepdims=True) * tested.sum(0) / tested.sum()
        assert expected_cells.min() >= 5
    n_ref, n_cur = reference.sum(), current.sum()
    unpooled = 0.5 * np.abs(reference / n_ref - current / n_cur).sum()
    assert 0 <= outcome.effect_size <= unpooled + 1e-12  # pooling can only hide differences
    assert outcome.effect_size == effect_size_of_counts(reference, current)


def effect_size_of_counts(reference: np.ndarray, current: np.ndarray) -> float:
    from drift.samples import CategoryCounts

    def counts(values: np.ndarray) -> CategoryCounts:  # same levels, same order on both sides
        return CategoryCounts(
            values=tuple(str(i) for i in range(len(values))),
            counts=values,
            n_rows=int(values.sum()),
            n_null=0,
        )

    return effect_size(counts(reference), counts(current))


def test_rare_and_unseen_levels_are_pooled_but_a_large_new_level_is_not():
    reference = np.array([500, 300, 150, 3, 2, 0])
    current = np.array([400, 250, 100, 1, 0, 200])  # the last level is new and large
    ref_rows, cur_rows, n_pooled = pooled_table(reference, current)
    # the two rare levels (expected < 5) form "other", still too small: it joins the next
    # smallest group, the new level, which keeps its weight in the test
    assert n_pooled == 3
    assert ref_rows.tolist() == [500, 300, 150, 5]
    assert cur_rows.tolist() == [400, 250, 100, 201]
    outcome = chi2_homogeneity_test_counts(reference, current)
    assert outcome.p_value < 1e-30 and outcome.effect_size > 0.2
    assert outcome.note == "3 level(s) pooled (expected count below 5)"


def chi2_homogeneity_test_counts(reference: np.ndarray, current: np.ndarray):
    from drift.samples import CategoryCounts

    def counts(values: np.ndarray) -> CategoryCounts:
        return CategoryCounts(
            values=tuple(f"level{i}" for i in range(len(values))),
            counts=values,
            n_rows=int(values.sum()),
            n_null=0,
        )

    return chi2_homogeneity_test(counts(reference), counts(current))


def test_two_values_get_fishers_exact_test_below_the_support_limit():
    rng = np.random.default_rng(8)
    reference = (rng.random(100_000) < 0.3).astype(float)
    current = (rng.random(30) < 0.5).astype(float)
    outcome = anderson_darling(numeric_sample(reference), numeric_sample(current))
    table = [
        [int((reference == 0).sum()), int((reference == 1).sum())],
        [int((current == 0).sum()), int((current == 1).sum())],
    ]
    assert outcome.note == "two values: Fisher's exact test"
    assert outcome.p_value == pytest.approx(stats.fisher_exact(table).pvalue, rel=TOLERANCE)
    assert outcome.statistic == pytest.approx(scipy_ad(reference, current), rel=TOLERANCE)
    big = anderson_darling(
        numeric_sample((rng.random(20_000) < 0.5).astype(float)),
        numeric_sample((rng.random(20_000) < 0.5).astype(float)),
    )
    assert big.note is None  # 10,000 possible outcomes: the chi-square law


def test_one_level_everywhere_but_a_few_new_rows_falls_back_to_fishers_exact_test():
    # Reference: all "a"; current: 30 rows, 20 of them a level never seen. Cochran's rule
    # leaves one group, so Fisher's exact test compares "a" with the rest.
    outcome = chi2_homogeneity(np.array([1000, 0]), np.array([10, 20]))
    assert outcome.note.startswith("Fisher's exact test")
    assert outcome.p_value == pytest.approx(
        stats.fisher_exact([[1000, 0], [10, 20]]).pvalue, rel=TOLERANCE
    )
    assert outcome.effect_size == pytest.approx(20 / 30)
    constant = chi2_homogeneity(np.array([1000]), np.array([40]))
    assert (constant.p_value, constant.effect_size) == (1.0, 0.0)


@SETTINGS
@given(a=st.integers(0, 60), b=st.integers(0, 60), c=st.integers(0, 60), d=st.integers(0, 60))
def test_fisher_exact_equals_scipys(a, b, c, d):
    expected = stats.fisher_exact([[a, b], [c, d]]).pvalue
    assert fisher_exact_two_sided(a, b, c, d) == pytest.approx(expected, rel=TOLERANCE)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 31, 100, 999])
def test_chi2_tail_equals_scipys(df):
    for x in (0.0, 1e-3, 0.5, df / 2, df, df + 3 * math.sqrt(2 * df), 5 * df + 50, 2000.0):
        assert chi2_sf(x, df) == pytest.approx(special.chdtrc(df, x), rel=TOLERANCE, abs=1e-300)


def imhof_sf(x: float, weights: np.ndarray) -> float:
    """P(sum w chi2_1 > x) by Imhof's (1961) inversion formula: the reference for the tests."""

    def integrand(u: float) -> float:
        theta = 0.5 * np.arctan(weights * u).sum() - 0.5 * x * u
        rho = np.exp(0.25 * np.log1p((weights * u) ** 2).sum())
        return math.sin(theta) / (u * rho)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, _ = integrate.quad(integrand, 0, np.inf, limit=2000, epsabs=1e-13, epsrel=1e-10)
    return 0.5 + value / math.pi


def test_adinf_tail_is_within_two_percent_of_the_exact_law_where_it_decides():
    weights = 1.0 / (np.arange(1, 4001) * np.arange(2, 4002.0))
    for x in (1.933, 2.492, 3.070, 3.857, 5.0):
        exact = imhof_sf(x - 1 / 4001, weights)
        assert adinf_sf(x) == pytest.approx(exact, rel=0.03)
    assert adinf_sf(2.492) == pytest.approx(0.05, rel=0.005)  # Stephens' 5% point


def test_two_blocks_give_the_chi_square_law_of_a_two_by_two_table():
    for x in (1.0, 2.706, 3.841, 6.635, 10.83):
        assert tied_ad_sf(x, np.array([0.3, 0.7])) == pytest.approx(stats.chi2.sf(x, 1), rel=0.04)


def test_tied_null_law_matches_its_eigenvalues():
    rng = np.random.default_rng(5)
    for size in (3, 12, 60):
        weights = rng.dirichlet(np.ones(size))
        eigenvalues = brute_force_eigenvalues(weights)
        assert eigenvalues.sum() == pytest.approx(1.0)  # the statistic's mean is exactly 1
        for x in (1.5, 2.5, 4.0, 7.0):
            assert tied_ad_sf(x, weights) == pytest.approx(
                weighted_chi2_sf(x, eigenvalues), rel=1e-9
            )
            assert tied_ad_sf(x, weights) == pytest.approx(imhof_sf(x, eigenvalues), rel=0.06)


def brute_force_eigenvalues(weights: np.ndarray) -> np.ndarray:
    ends = np.cumsum(weights)[:-1]
    covariance = np.minimum.outer(ends, ends) - np.outer(ends, ends)  # Brownian bridge
    size = weights.shape[0]
    averaging = np.zeros((size, size - 1))
    averaging[np.arange(size - 1), np.arange(size - 1)] = 0.5
    averaging[np.arange(1, size), np.arange(size - 1)] = 0.5
    middle = np.cumsum(weights) - weights / 2
    scale = np.sqrt(weights / (middle * (1 - middle) - weights / 4))
    matrix = scale[:, None] * (averaging @ covariance @ averaging.T) * scale[None, :]
    eigenvalues = np.linalg.eigvalsh(matrix)
    return eigenvalues[eigenvalues > 1e-14]


def test_merging_light_blocks_errs_on_the_conservative_side():
    weights = grouped_weights(np.ones(100_000, dtype=np.int64))
    assert weights.shape[0] == AD_GROUPS
    for x in (2.492, 3.857, 6.0):
        assert tied_ad_sf(x, weights) >= adinf_sf(x)
        assert tied_ad_sf(x, weights) <= adinf_sf(x) * 1.05
    heavy = grouped_weights(np.array([50_000] + [1] * 50_000))
    assert heavy[0] == pytest.approx(0.5)  # a heavy block is never merged


def test_pooled_blocks_and_ks_distance_on_ties():
    reference = numeric_sample(np.array([1.0, 1.0, 2.0, 5.0]))
    current = numeric_sample(np.array([0.0, 2.0, 2.0, 2.0, 7.0]))
    block, from_reference = _pooled_blocks(reference, current)
    assert block.tolist() == [1, 2, 4, 1, 1]
    assert from_reference.tolist() == [0, 2, 1, 1, 0]
    merged_blocks = _blocks_of_merged(*_merged(reference.sorted_values, current.sorted_values))
    assert [part.tolist() for part in merged_blocks] == [block.tolist(), from_reference.tolist()]
    assert ks_distance(reference, current) == pytest.approx(
        stats.ks_2samp([1, 1, 2, 5], [0, 2, 2, 2, 7]).statistic
    )


@SETTINGS
@given(
    reference=st.lists(tie_heavy | finite_floats, min_size=1, max_size=60),
    current=st.lists(tie_heavy | finite_floats, min_size=1, max_size=60),
)
def test_pooled_order_statistics_need_no_merge(reference, current):
    reference_sorted, current_sorted = np.sort(reference), np.sort(current)
    ranks = np.arange(1, len(reference) + len(current) + 1)
    expected = np.sort(np.concatenate([reference_sorted, current_sorted]))
    assert np.array_equal(
        _pooled_order_statistics(reference_sorted, current_sorted, ranks), expected
    )


def test_large_columns_are_tested_on_pooled_quantile_bins_as_scipy_would_on_the_bins():
    rng = np.random.default_rng(9)
    reference, current = np.sort(rng.normal(size=3_000)), np.sort(rng.normal(0.1, 1, 2_000))
    block, from_reference = _quantile_blocks(reference, current, bins=64)
    assert block.shape[0] == 64 and abs(block - 5_000 / 64).max() <= 1
    # the binned statistic is scipy's on the values replaced by their bin's number
    ranks = np.round(np.arange(1, 64) * (5_000 / 64)).astype(int)
    edges = np.unique(np.sort(np.concatenate([reference, current]))[ranks - 1])
    statistic, distance = _ad_with_ties(block, from_reference)
    by_bin = [np.searchsorted(edges, values, side="left") for values in (reference, current)]
    assert statistic == pytest.approx(scipy_ad(*by_bin), rel=TOLERANCE)
    # the cuts are the pooled sample's: moving values between the sides changes nothing
    pooled = np.concatenate([reference, current])
    rng.shuffle(pooled)
    swapped = _quantile_blocks(np.sort(pooled[:3_000]), np.sort(pooled[3_000:]), bins=64)[0]
    assert np.array_equal(swapped, block)
    exact = stats.ks_2samp(reference, current).statistic
    assert exact - 2 / 64 <= distance <= exact


def test_a_million_rows_are_binned_and_the_ks_distance_stays_within_two_bins():
    rng = np.random.default_rng(10)
    reference = numeric_sample(rng.lognormal(size=600_000))
    current = numeric_sample(rng.lognormal(0.02, 1, 400_000))
    outcome = anderson_darling(reference, current)
    assert outcome.note == f"on {QUANTILE_BINS} pooled-quantile bins"
    exact = stats.ks_2samp(reference.sorted_values, current.sorted_values).statistic
    assert exact - 2 / QUANTILE_BINS <= outcome.effect_size <= exact
    assert outcome.p_value < 1e-6  # a 0.02 SD shift of the log is found at this size
