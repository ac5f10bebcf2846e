"""Each statistic equals scipy's (and Evidently's formula around it) to 1e-9."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial import distance

from drift.profile import build_categorical_profile, build_numeric_profile
from drift.samples import category_counts, numeric_sample
from drift.stattests import (
    KS_EXACT_MAX_N,
    chisquare_test,
    jensenshannon_test,
    ks_asymptotic,
    ks_test,
    psi_test,
    wasserstein_test,
    z_test,
)

TOLERANCE = 1e-9
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
tie_heavy = st.integers(-4, 4).map(float)
samples = st.one_of(
    st.lists(finite_floats, min_size=1, max_size=80),
    st.lists(tie_heavy, min_size=1, max_size=80),
)
categories = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=120)


def close(ours: float, theirs: float) -> bool:
    if math.isnan(theirs):
        return math.isnan(ours)
    return math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def generated(seed: int, size: int, kind: str, shift: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(shift, 1.0, size)
    if kind == "lognormal":
        return rng.lognormal(shift, 1.0, size)
    if kind == "rounded":  # many ties
        return np.round(rng.normal(shift, 1.0, size), 1)
    return rng.integers(0, 30, size).astype(float) + round(shift * 10)


@SETTINGS
@given(reference=samples, current=samples)
def test_ks_small_samples_match_scipy_exact_regime(reference, current):
    ours = ks_test(build_numeric_profile("x", np.array(reference)), np.array(current))
    theirs = stats.ks_2samp(reference, current)
    assert close(ours.statistic, theirs.statistic)
    assert close(ours.p_value, theirs.pvalue)


@SETTINGS
@given(reference=samples, current=samples)
def test_ks_statistic_and_asymptotic_p_value_match_scipy_on_any_data(reference, current):
    """Our ECDF-at-current-values statistic must equal scipy's on ties, gaps and overlaps."""
    ours = ks_asymptotic(
        build_numeric_profile("x", np.array(reference)), numeric_sample(np.array(current))
    )
    theirs = stats.ks_2samp(reference, current, method="asymp")
    assert ours.statistic == theirs.statistic
    assert close(ours.p_value, theirs.pvalue)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    # sizes on both sides of scipy's switch from exact to asymptotic at 10000
    n_reference=st.one_of(
        st.integers(KS_EXACT_MAX_N - 20, KS_EXACT_MAX_N + 20),
        st.integers(1_001, 3 * KS_EXACT_MAX_N),
    ),
    n_current=st.one_of(st.integers(50, KS_EXACT_MAX_N), st.integers(50, 3 * KS_EXACT_MAX_N)),
    kind=st.sampled_from(["normal", "lognormal", "rounded", "integers"]),
    shift=st.sampled_from([0.0, 0.01, 0.05, 0.3]),
)
def test_ks_large_samples_match_scipy_auto_either_regime(seed, n_reference, n_current, kind, shift):
    reference = generated(seed, n_reference, kind, 0.0)
    current = generated(seed + 1, n_current, kind, shift)
    ours = ks_test(build_numeric_profile("x", reference), current)
    theirs = stats.ks_2samp(reference, current)
    assert close(ours.statistic, theirs.statistic)
    assert close(ours.p_value, theirs.pvalue)


@SETTINGS
@given(reference=samples, current=samples)
def test_normed_wasserstein_matches_scipy(reference, current):
    ours = wasserstein_test(build_numeric_profile("x", np.array(reference)), np.array(current))
    theirs = stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001)
    assert close(ours.statistic, theirs)
    assert ours.p_value is None


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_reference=st.integers(1, 200_000),
    n_current=st.integers(1, 200_000),
    kind=st.sampled_from(["normal", "lognormal", "rounded", "integers"]),
)
def test_normed_wasserstein_matches_scipy_on_large_unequal_samples(
    seed, n_reference, n_current, kind
):
    reference = generated(seed, n_reference, kind, 0.0)
    current = generated(seed + 1, n_current, kind, 0.1)
    ours = wasserstein_test(build_numeric_profile("x", reference), current)
    theirs = stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001)
    assert close(ours.statistic, theirs)


def evidently_counts(reference: list, current: list) -> tuple[np.ndarray, np.ndarray]:
    keys = sorted(set(reference) | set(current), key=str)
    ref, cur = Counter(reference), Counter(current)
    return np.array([ref[k] for k in keys]), np.array([cur[k] for k in keys])


@SETTINGS
@given(reference=categories, current=categories)
def test_chisquare_matches_scipy_with_evidently_expected_scaling(reference, current):
    ref_counts, cur_counts = evidently_counts(reference, current)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # categories unseen in the reference
        theirs = stats.chisquare(cur_counts, ref_counts * (len(current) / len(reference)))
    ours = chisquare_test(
        build_categorical_profile("c", np.array(reference, dtype=object)), current
    )
    assert close(ours.statistic, float(theirs.statistic))
    assert close(ours.p_value, float(theirs.pvalue))


@SETTINGS
@given(reference=categories, current=categories)
def test_jensenshannon_on_categories_matches_scipy(reference, current):
    ref_counts, cur_counts = evidently_counts(reference, current)
    theirs = distance.jensenshannon(ref_counts / len(reference), cur_counts / len(current))
    ours = jensenshannon_test(
        build_categorical_profile("c", np.array(reference, dtype=object)), current
    )
    assert close(ours.statistic, float(theirs))


def evidently_binned(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A direct transcription of Evidently's ``get_binned_data`` for numeric columns."""
    if len(np.unique(reference)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        return (
            np.histogram(reference, bins)[0] / len(reference),
            np.histogram(current, bins)[0] / len(current),
        )
    ref_counts, cur_counts = evidently_counts(reference.tolist(), current.tolist())
    return ref_counts / len(reference), cur_counts / len(current)


def fill_zeroes(shares: np.ndarray) -> np.ndarray:
    shares = shares.copy()
    smallest = min(shares[shares != 0])
    np.place(shares, shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return shares


@SETTINGS
@given(reference=samples, current=samples)
def test_jensenshannon_and_psi_on_numbers_match_evidently_binning(reference, current):
    reference, current = np.array(reference), np.array(current)
    ref_shares, cur_shares = evidently_binned(reference, current)
    profile = build_numeric_profile("x", reference)
    js = jensenshannon_test(profile, current)
    assert close(js.statistic, float(distance.jensenshannon(ref_shares, cur_shares)))
    ref_filled, cur_filled = fill_zeroes(ref_shares), fill_zeroes(cur_shares)
    psi = float(np.sum((ref_filled - cur_filled) * np.log(ref_filled / cur_filled)))
    assert close(psi_test(profile, current).statistic, psi)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(21, 50_000),
    integers=st.booleans(),
)
def test_sturges_binning_matches_numpy_including_integer_width_floor(seed, n, integers):
    """Integer columns get numpy's width floor of 1 — only when both sides are integers."""
    rng = np.random.default_rng(seed)
    if integers:
        reference = rng.integers(0, 22, n)
        current = rng.integers(0, 23, n // 2 + 1)
    else:
        reference = rng.normal(0, 1, n)
        current = rng.normal(0.1, 1, n // 2 + 1)
    ref_shares, cur_shares = evidently_binned(reference, current)
    profile = build_numeric_profile("x", reference)
    expected = float(distance.jensenshannon(ref_shares, cur_shares))
    assert close(jensenshannon_test(profile, current).statistic, expected)


def evidently_z(reference: list, current: list) -> float:
    ref_values, cur_values = set(reference), set(current)
    if len(ref_values) == 1 and len(cur_values) == 1 and ref_values == cur_values:
        return 1.0
    first = sorted(ref_values | cur_values)[0]
    n1, n2 = len(reference), len(current)
    p1 = sum(0 if x == first else 1 for x in reference) / n1
    p2 = sum(0 if x == first else 1 for x in current) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - stats.norm.cdf(np.abs(z))))


binary = st.lists(st.sampled_from(["no", "yes"]), min_size=1, max_size=200)


@SETTINGS
@given(reference=binary, current=binary)
def test_z_test_matches_evidently_formula(reference, current):
    ours = z_test(build_categorical_profile("c", np.array(reference, dtype=object)), current)
    assert close(ours.p_value, evidently_z(reference, current))


def test_z_test_compares_the_first_sorted_value():
    reference = ["b"] * 50 + ["a"] * 50
    current = ["b"] * 80 + ["a"] * 20
    ours = z_test(build_categorical_profile("c", np.array(reference, dtype=object)), current)
    assert ours.p_value == pytest.approx(evidently_z(reference, current), abs=1e-12)
    assert ours.statistic < 0  # the share of values other than "a" grew from 0.5 to 0.8


def test_tests_accept_a_prepared_current_sample_or_raw_values_alike():
    rng = np.random.default_rng(3)
    reference = build_numeric_profile("x", rng.normal(size=5000))
    current = rng.normal(0.2, 1, 4000)
    prepared = numeric_sample(current)
    for test in (ks_test, wasserstein_test, psi_test, jensenshannon_test):
        assert test(reference, prepared) == test(reference, current)
    categorical = build_categorical_profile("c", np.array(list("aabbc"), dtype=object))
    counted = category_counts(np.array(list("abcc"), dtype=object))
    assert chisquare_test(categorical, counted) == chisquare_test(categorical, list("abcc"))


def test_wasserstein_int64_grid_path_matches_scipy(monkeypatch):
    """Beyond 2**52 grid cells the quantile grid switches to int64; force that path here."""
    from drift import stattests

    monkeypatch.setattr(stattests, "FLOAT_GRID_LIMIT", 0)
    rng = np.random.default_rng(9)
    reference, current = rng.lognormal(size=70_001), rng.lognormal(0.1, 1, size=30_017)
    ours = wasserstein_test(build_numeric_profile("x", reference), current)
    theirs = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert close(ours.statistic, theirs)
