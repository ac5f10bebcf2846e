"""Presets: evidently stays Evidently's; calibrated gates on effect size and needs enough data."""

from __future__ import annotations

import numpy as np
import pytest

from drift import (
    DriftConfig,
    DriftConfigError,
    build_reference_profile,
    compute_drift,
)

TYPES = {"num": "numerical", "cat": "categorical"}
rng = np.random.default_rng(7)
PROFILE = build_reference_profile(
    {"num": rng.normal(size=3000), "cat": rng.choice(list("abcde"), 3000).astype(object)}, TYPES
)
CALIBRATED = DriftConfig(preset="calibrated")


def window(n: int, shift: float = 0.0) -> dict:
    levels = np.array(list("abcde"), dtype=object)
    weights = np.array([1, 1, 1, 1, 1 + 4 * shift])
    return {
        "num": rng.normal(shift, 1, n),
        "cat": levels[rng.choice(5, n, p=weights / weights.sum())],
    }


def test_the_engine_default_is_still_the_evidently_preset():
    current = window(500, 0.2)
    default = compute_drift(PROFILE, current)
    explicit = compute_drift(PROFILE, current, DriftConfig(preset="evidently"))
    assert default.to_dict() == explicit.to_dict()
    assert default.preset == "evidently"
    assert [f.method for f in default.features] == ["wasserstein", "jensenshannon"]
    for feature in default.features:
        assert (feature.preset, feature.effect_size, feature.significant) == (
            "evidently",
            None,
            None,
        )


def test_calibrated_reports_p_value_and_effect_size_and_needs_both():
    result = compute_drift(PROFILE, window(800, 0.5), CALIBRATED)
    num, cat = result.features
    assert (num.method, num.effect_measure) == ("anderson_darling", "ks_distance")
    assert (cat.method, cat.effect_measure) == ("chi2_homogeneity", "total_variation")
    for feature in (num, cat):
        assert feature.preset == "calibrated" and feature.status == "ok"
        assert feature.p_value < 1e-6 and feature.significant
        assert feature.effect_size >= 0.1 and feature.effect_threshold == 0.1
        assert feature.drifted
    document = num.to_dict()
    assert {"preset", "effect_size", "effect_measure", "effect_threshold", "significant"} <= set(
        document
    )


def test_a_tiny_but_significant_shift_in_a_large_window_is_not_drift():
    profile = build_reference_profile({"num": rng.normal(size=200_000)}, {"num": "numerical"})
    current = {"num": rng.normal(0.05, 1, 200_000)}  # 0.05 SD: KS distance ~0.02
    feature = compute_drift(profile, current, CALIBRATED).features[0]
    assert feature.significant and feature.p_value < 1e-10
    assert feature.effect_size < 0.05
    assert not feature.drifted
    lower = DriftConfig(preset="calibrated", effect_threshold_overrides={"num": 0.01})
    assert compute_drift(profile, current, lower).features[0].drifted
    no_gate = DriftConfig(preset="calibrated", effect_threshold=0)
    assert compute_drift(profile, current, no_gate).features[0].drifted


def test_too_few_values_is_insufficient_data_not_a_verdict():
    current = window(29, 2.0)
    current["num"] = np.concatenate([current["num"], [np.nan] * 50])
    result = compute_drift(PROFILE, current, CALIBRATED)
    assert [(f.status, f.drifted, f.tested) for f in result.features] == [
        ("insufficient_data", False, False)
    ] * 2
    assert "29 current values" in result.features[0].message
    assert (result.n_tested, result.dataset_drift, len(result.untested)) == (0, False, 2)
    smaller = compute_drift(PROFILE, current, DriftConfig(preset="calibrated", min_sample_size=10))
    assert [f.status for f in smaller.features] == ["ok", "ok"]
    # the evidently preset has no minimum: it tests (and here flags) 29 values
    assert all(f.tested for f in compute_drift(PROFILE, current).features)


def test_presets_per_feature():
    config = DriftConfig(preset="calibrated", preset_overrides={"cat": "evidently"})
    num, cat = compute_drift(PROFILE, window(300), config).features
    assert (num.preset, num.method) == ("calibrated", "anderson_darling")
    assert (cat.preset, cat.method, cat.effect_size) == ("evidently", "jensenshannon", None)
    reverse = DriftConfig(preset_overrides={"num": "calibrated"})
    assert [f.preset for f in compute_drift(PROFILE, window(300), reverse).features] == [
        "calibrated",
        "evidently",
    ]


def test_a_method_override_under_calibrated_keeps_the_effect_gate():
    config = DriftConfig(preset="calibrated", method_overrides={"num": "ks", "cat": "psi"})
    num, cat = compute_drift(PROFILE, window(800, 0.5), config).features
    assert (num.method, cat.method) == ("ks", "psi")
    assert num.effect_size == pytest.approx(num.statistic)  # KS distance is KS's statistic
    assert cat.effect_size > 0.1 and num.drifted and cat.drifted


def test_multiple_testing_correction_applies_to_calibrated_p_values():
    profile = build_reference_profile(
        {f"x{i}": rng.normal(size=400) for i in range(10)},
        dict.fromkeys([f"x{i}" for i in range(10)], "numerical"),
    )
    current = {f"x{i}": rng.normal(0.22 if i == 0 else 0, 1, 400) for i in range(10)}
    plain = compute_drift(profile, current, CALIBRATED)
    corrected = compute_drift(
        profile, current, DriftConfig(preset="calibrated", correction="bonferroni")
    )
    for before, after in zip(plain.features, corrected.features, strict=True):
        assert after.p_value_adjusted == pytest.approx(min(1.0, before.p_value * 10))
        assert after.significant == (after.p_value_adjusted <= 0.05)
        assert after.drifted == (after.significant and after.effect_size >= 0.1)
    assert sum(f.significant for f in corrected.features) <= sum(
        f.significant for f in plain.features
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "strict"}, "unknown preset 'strict'"),
        ({"preset_overrides": {"num": "fast"}}, "column 'num': unknown preset 'fast'"),
        ({"effect_threshold": -0.1}, "effect threshold must be a number in [0, 1]"),
        ({"effect_threshold": float("nan")}, "effect threshold"),
        ({"effect_threshold_overrides": {"num": "big"}}, "column 'num': effect threshold"),
        ({"min_sample_size": 0}, "min_sample_size must be a positive integer"),
        ({"min_sample_size": 2.5}, "min_sample_size"),
    ],
)
def test_bad_preset_settings_are_refused(kwargs, message):
    with pytest.raises(DriftConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DriftConfig(**kwargs)


def test_overrides_must_name_profiled_columns():
    for config in (
        DriftConfig(preset_overrides={"nope": "calibrated"}),
        DriftConfig(effect_threshold_overrides={"nope": 0.2}),
    ):
        with pytest.raises(DriftConfigError, match="override for unknown column 'nope'"):
            compute_drift(PROFILE, window(100), config)


def test_drift_share_counts_tested_features_only_and_lists_the_rest():
    current = window(300, 1.0)
    current["cat"] = np.array([None] * 300, dtype=object)
    result = compute_drift(PROFILE, current, CALIBRATED)
    assert [f.column for f in result.untested] == ["cat"]
    assert (result.n_tested, result.n_drifted, result.drift_share) == (1, 1, 1.0)
    document = result.to_dict()
    assert (document["n_untested"], document["preset"]) == (1, "calibrated")
