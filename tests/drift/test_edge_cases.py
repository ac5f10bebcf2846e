"""Awkward data gives a defined per-feature result and status, never an exception."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift import DriftConfig, build_reference_profile, compute_drift

TYPES = {"num": "numerical", "cat": "categorical"}
rng = np.random.default_rng(11)
PROFILE = build_reference_profile(
    {
        "num": np.concatenate([rng.normal(size=3000), [np.nan] * 30, [np.inf]]),
        "cat": np.array(list(rng.choice(list("abc"), 3000)) + [None] * 10, dtype=object),
    },
    TYPES,
)


def run(current, profile=PROFILE, config=None):
    result = compute_drift(profile, current, config)
    json.dumps(result.to_dict(), allow_nan=False)  # always JSON-safe
    return result


def test_empty_current_window():
    result = run({"num": np.array([], dtype=float), "cat": np.array([], dtype=object)})
    assert [(f.status, f.drifted, f.statistic) for f in result.features] == [
        ("empty_current", False, None),
        ("empty_current", False, None),
    ]
    assert (result.dataset_drift, result.n_tested, result.drift_share) == (False, 0, 0.0)


def test_all_null_and_all_infinite_current_columns_are_counted_not_tested():
    result = run({"num": np.array([np.nan, np.inf, -np.inf, np.nan]), "cat": [None, None]})
    num, cat = result.features
    assert (num.status, num.n_current_rows, num.n_current_null, num.n_current_inf) == (
        "all_null",
        4,
        2,
        2,
    )
    assert (cat.status, cat.n_current_null, cat.drifted) == ("all_null", 2, False)


def test_missing_values_are_left_out_and_reported():
    current = rng.normal(size=1000)
    current[:100] = np.nan
    current[100:105] = np.inf
    cat = np.array(list(rng.choice(list("abc"), 1000)), dtype=object)
    cat[:50] = None
    result = run({"num": current, "cat": cat})
    num, categorical = result.features
    assert (num.status, num.n_current, num.n_current_null, num.n_current_inf) == ("ok", 895, 100, 5)
    assert num.to_dict()["current_null_rate"] == 0.1
    assert (categorical.n_current, categorical.n_current_null) == (950, 50)
    clean = run({"num": current[105:], "cat": cat[50:]})
    assert clean.features[0].statistic == num.statistic  # the missing values changed nothing
    assert clean.features[1].statistic == categorical.statistic


def test_constant_columns():
    profile = build_reference_profile(
        {"num": np.full(2000, 4.0), "cat": np.array(["same"] * 2000, dtype=object)}, TYPES
    )
    same = run({"num": np.full(50, 4.0), "cat": ["same"] * 50}, profile)
    assert [(f.status, f.drifted) for f in same.features] == [
        ("constant", False),
        ("constant", False),
    ]
    moved = run({"num": np.full(50, 5.0), "cat": ["other"] * 50}, profile)
    assert [(f.status, f.drifted) for f in moved.features] == [("ok", True), ("ok", True)]


def test_constant_reference_uses_the_wasserstein_norm_floor():
    profile = build_reference_profile({"num": np.full(2000, 1.0)}, {"num": "numerical"})
    current = np.concatenate([np.full(5, 1.0), np.arange(2.0, 9.0)])
    feature = run({"num": current}, profile).features[0]
    assert feature.method == "wasserstein"
    expected = np.mean(np.abs(np.sort(current) - 1.0)) / 0.001
    assert np.isclose(feature.statistic, expected)


def test_categories_never_seen_in_the_reference_are_listed_and_counted():
    current = ["a"] * 40 + ["z"] * 7 + ["y"] * 3
    feature = run({"num": rng.normal(size=50), "cat": current}).feature("cat")
    assert sorted(feature.unseen_categories) == ["y", "z"]
    assert feature.n_current_unseen == 10
    assert feature.drifted
    assert feature.current_histogram.values == ["a", "b", "c", "y", "z"]
    assert feature.reference_histogram.counts[3:] == [0, 0]


def test_missing_column_and_wrong_type_become_statuses():
    result = run({"num": np.array(["x", "y"], dtype=object)})
    assert [(f.column, f.status, f.drifted) for f in result.features] == [
        ("num", "type_mismatch", False),
        ("cat", "missing_column", False),
    ]


def test_empty_reference_column():
    profile = build_reference_profile(
        {"num": np.array([np.nan, np.nan]), "cat": np.array([None, None], dtype=object)}, TYPES
    )
    result = run({"num": rng.normal(size=10), "cat": ["a"] * 10}, profile)
    assert [f.status for f in result.features] == ["empty_reference", "empty_reference"]


def test_floating_point_categories_treat_nan_as_missing_and_inf_apart():
    profile = build_reference_profile(
        {"c": np.array([1.0, 2.0, 2.0, np.nan])}, {"c": "categorical"}
    )
    feature = run({"c": np.array([1.0, 2.0, np.nan, np.inf, 3.0])}, profile).features[0]
    assert (feature.n_current, feature.n_current_null, feature.n_current_inf) == (3, 1, 1)
    assert feature.unseen_categories == [3.0]


def test_accepts_numpy_pyarrow_and_pandas_inputs_alike():
    num = rng.normal(size=500)
    cat = rng.choice(list("abc"), 500)
    expected = run({"num": num, "cat": cat.astype(object)}).to_dict()
    for current in (
        pa.table({"num": num, "cat": cat}),
        pa.table({"num": num, "cat": pa.array(cat).dictionary_encode()}),
        pd.DataFrame({"num": num, "cat": cat}),
        {"num": pd.Series(num), "cat": pd.Series(cat, dtype="category")},
        {"num": pa.chunked_array([num[:200], num[200:]]), "cat": list(cat)},
    ):
        assert run(current).to_dict() == expected


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-3, 3).map(float),
    st.none(),
)
labels = st.one_of(st.sampled_from(["a", "b", "c", "new", ""]), st.none())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reference_numbers=st.lists(numbers, max_size=40),
    current_numbers=st.lists(numbers, max_size=40),
    reference_labels=st.lists(labels, max_size=40),
    current_labels=st.lists(labels, max_size=40),
    method=st.sampled_from(
        [None, "ks", "wasserstein", "psi", "jensenshannon", "chisquare", "z", "anderson_darling"]
    ),
    preset=st.sampled_from(["evidently", "calibrated"]),
    min_sample_size=st.sampled_from([1, 30]),
)
def test_any_small_or_dirty_data_gives_a_result(
    reference_numbers,
    current_numbers,
    reference_labels,
    current_labels,
    method,
    preset,
    min_sample_size,
):
    profile = build_reference_profile(
        {
            "num": np.array(reference_numbers, dtype=object),
            "cat": np.array(reference_labels, dtype=object),
        },
        TYPES,
    )
    config = DriftConfig(
        default_method_numerical=method, preset=preset, min_sample_size=min_sample_size
    )
    result = run(
        {
            "num": np.array(current_numbers, dtype=object),
            "cat": np.array(current_labels, dtype=object),
        },
        profile,
        config,
    )
    allowed = {"ok", "constant", "empty_current", "all_null", "empty_reference"}
    if preset == "calibrated":
        allowed.add("insufficient_data")
    assert {f.status for f in result.features} <= allowed
    for feature in result.features:
        assert feature.tested == (feature.statistic is not None)
        if feature.tested and preset == "calibrated":
            assert 0 <= feature.effect_size <= 1
            if feature.method in ("anderson_darling", "chi2_homogeneity"):
                assert 0 <= feature.p_value <= 1
            assert feature.drifted == (
                feature.significant and feature.effect_size >= feature.effect_threshold
            )


def test_mixed_type_categories_are_counted():
    profile = build_reference_profile(
        {"c": np.array(["a", 1, 1, None, 2.5], dtype=object)}, {"c": "categorical"}
    )
    assert profile["c"].n == 4 and profile["c"].n_null == 1
    feature = run({"c": np.array(["a", 1, "b", float("nan")], dtype=object)}, profile).features[0]
    assert (feature.status, feature.n_current, feature.n_current_null) == ("ok", 3, 1)
    assert feature.unseen_categories == ["b"]
