"""Default method and threshold per column are Evidently 0.7's DataDriftPreset choices."""

from __future__ import annotations

import numpy as np
import pytest

from drift import DriftConfig, build_reference_profile, compute_drift, default_method


def chosen(reference, current, column_type: str):
    profile = build_reference_profile({"x": reference}, {"x": column_type})
    return compute_drift(profile, {"x": current}).feature("x")


rng = np.random.default_rng(7)


@pytest.mark.parametrize(
    ("reference", "current", "column_type", "method", "threshold"),
    [
        # reference of at most 1000 values: p-value tests
        (rng.normal(size=1000), rng.normal(size=300), "numerical", "ks", 0.05),
        (rng.integers(0, 5, 800), rng.integers(0, 5, 300), "numerical", "chisquare", 0.05),
        (rng.integers(0, 3, 800), rng.integers(0, 3, 300), "numerical", "chisquare", 0.05),
        (rng.integers(0, 2, 800), rng.integers(0, 2, 300), "numerical", "z", 0.05),
        (rng.integers(0, 6, 800), rng.integers(0, 6, 300), "numerical", "ks", 0.05),
        (
            rng.choice(list("abc"), 500),
            rng.choice(list("abc"), 90),
            "categorical",
            "chisquare",
            0.05,
        ),
        (rng.choice(list("ab"), 500), rng.choice(list("ab"), 90), "categorical", "z", 0.05),
        # more than 1000 reference values: distances
        (rng.normal(size=1001), rng.normal(size=300), "numerical", "wasserstein", 0.1),
        (rng.integers(0, 5, 5000), rng.integers(0, 5, 300), "numerical", "jensenshannon", 0.1),
        (rng.integers(0, 2, 5000), rng.integers(0, 2, 300), "numerical", "jensenshannon", 0.1),
        (rng.integers(0, 6, 5000), rng.integers(0, 6, 300), "numerical", "wasserstein", 0.1),
        (
            rng.choice(list("ab"), 5000),
            rng.choice(list("ab"), 90),
            "categorical",
            "jensenshannon",
            0.1,
        ),
        (
            rng.choice(list("abcdefg"), 5000),
            rng.choice(list("abc"), 90),
            "categorical",
            "jensenshannon",
            0.1,
        ),
    ],
)
def test_default_method_and_threshold(reference, current, column_type, method, threshold):
    result = chosen(reference, current, column_type)
    assert (result.method, result.threshold) == (method, threshold)


def test_distinct_values_are_counted_over_reference_and_current_together():
    """Binary in the reference, a third value in the current: chi-square, not the Z-test."""
    result = chosen(np.array([0, 1] * 200), np.array([0, 1, 2] * 50), "numerical")
    assert result.method == "chisquare"
    result = chosen(np.array(["a", "b"] * 200, dtype=object), np.array(["c"] * 5), "categorical")
    assert result.method == "chisquare"


def test_reference_size_counts_only_present_finite_values():
    """1005 rows of which 10 are missing or infinite: 995 values, so still a 'small' reference."""
    reference = rng.normal(size=1005)
    reference[:6] = np.nan
    reference[6:10] = np.inf
    assert chosen(reference, rng.normal(size=200), "numerical").method == "ks"
    assert chosen(rng.normal(size=1001), rng.normal(size=200), "numerical").method == "wasserstein"


def test_default_method_rules_table():
    assert default_method("numerical", 1000, 6) == "ks"
    assert default_method("numerical", 1000, 5) == "chisquare"
    assert default_method("numerical", 1000, 2) == "z"
    assert default_method("categorical", 1000, 3) == "chisquare"
    assert default_method("categorical", 1000, 2) == "z"
    assert default_method("numerical", 1001, 6) == "wasserstein"
    assert default_method("numerical", 1001, 5) == "jensenshannon"
    assert default_method("categorical", 1001, 2) == "jensenshannon"
    assert default_method("categorical", 1001, 200) == "jensenshannon"


def test_type_wide_default_and_per_column_overrides_win_over_evidently_defaults():
    profile = build_reference_profile(
        {
            "a": rng.normal(size=2000),
            "b": rng.normal(size=2000),
            "c": rng.choice(list("xyz"), 2000),
        },
        {"a": "numerical", "b": "numerical", "c": "categorical"},
    )
    current = {
        "a": rng.normal(size=500),
        "b": rng.normal(size=500),
        "c": rng.choice(list("xyz"), 500),
    }
    config = DriftConfig(
        method_overrides={"b": "psi"},
        threshold_overrides={"a": 0.01},
        default_method_numerical="ks",
        default_method_categorical="chisquare",
    )
    result = compute_drift(profile, current, config)
    assert [(f.method, f.threshold) for f in result.features] == [
        ("ks", 0.01),
        ("psi", 0.1),
        ("chisquare", 0.05),
    ]
