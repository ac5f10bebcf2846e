"""compute_drift: dataset verdict, corrections, configuration errors, I/O helpers, one sort."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drift import (
    DataReadError,
    DriftConfig,
    DriftConfigError,
    build_reference_profile,
    compute_drift,
    infer_column_types,
    read_columns,
    samples,
)
from drift.engine import adjust_p_values

# Seeds whose N(0,1) reference (400) vs N(0.2,1) current (200) give KS p-values of 0.025-0.03:
# drifted at 0.05, but not after a Bonferroni correction over three tests.
BORDERLINE_SEEDS = (17, 38, 49)


def borderline_columns() -> tuple[dict, dict]:
    reference, current = {}, {}
    for seed in BORDERLINE_SEEDS:
        rng = np.random.default_rng(seed)
        reference[f"f{seed}"] = rng.normal(size=400)
        current[f"f{seed}"] = rng.normal(0.2, 1, 200)
    return reference, current


def test_dataset_drift_is_share_of_drifted_features_against_drift_share():
    rng = np.random.default_rng(1)
    names = [f"f{i}" for i in range(4)]
    reference = {name: rng.normal(size=3000) for name in names}
    current = {name: rng.normal(size=1000) for name in names}
    current["f0"] = current["f0"] + 1.0
    current["f1"] = current["f1"] + 1.0
    profile = build_reference_profile(reference, dict.fromkeys(names, "numerical"))
    half = compute_drift(profile, current)
    assert [f.drifted for f in half.features] == [True, True, False, False]
    assert (half.n_drifted, half.n_features, half.drift_share, half.dataset_drift) == (
        2,
        4,
        0.5,
        True,
    )
    stricter = compute_drift(profile, current, DriftConfig(drift_share=0.75))
    assert (stricter.drift_share, stricter.dataset_drift) == (0.5, False)


def test_bonferroni_and_benjamini_hochberg_adjust_only_p_value_tests():
    reference, current = borderline_columns()
    rng = np.random.default_rng(0)
    reference["dist"] = rng.normal(size=5000)
    current["dist"] = rng.normal(0.5, 1, 500)
    profile = build_reference_profile(reference, dict.fromkeys(reference, "numerical"))
    plain = compute_drift(profile, current)
    assert [f.method for f in plain.features] == ["ks", "ks", "ks", "wasserstein"]
    assert all(f.drifted for f in plain.features)
    bonferroni = compute_drift(profile, current, DriftConfig(correction="bonferroni"))
    for before, after in zip(plain.features[:3], bonferroni.features[:3], strict=True):
        assert after.p_value == before.p_value
        assert after.p_value_adjusted == pytest.approx(3 * before.p_value)
        assert not after.drifted
    assert bonferroni.features[3].drifted and bonferroni.features[3].p_value_adjusted is None
    assert bonferroni.dataset_drift is False  # 1 of 4
    bh = compute_drift(profile, current, DriftConfig(correction="benjamini-hochberg"))
    expected = adjust_p_values([f.p_value for f in plain.features[:3]], "benjamini-hochberg")
    assert [f.p_value_adjusted for f in bh.features[:3]] == pytest.approx(expected)
    assert [f.drifted for f in bh.features] == [True, True, True, True]


def test_benjamini_hochberg_adjustment_values():
    adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005], "benjamini-hochberg")
    assert adjusted == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_p_values([0.3, 0.6], "bonferroni") == [0.6, 1.0]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (lambda: DriftConfig(method_overrides={"x": "kolmogorov"}), "unknown drift method"),
        (lambda: DriftConfig(default_method_categorical="ks"), "cannot test categorical"),
        (lambda: DriftConfig(drift_share=0), "drift_share"),
        (lambda: DriftConfig(correction="holm"), "unknown correction"),
        (lambda: DriftConfig(threshold_overrides={"x": float("nan")}), "finite"),
    ],
)
def test_invalid_configuration_is_rejected_up_front(config, message):
    with pytest.raises(DriftConfigError, match=message):
        config()


def test_overrides_must_fit_the_profile():
    profile = build_reference_profile(
        {"x": np.arange(10.0), "c": np.array(list("aabbccddee"))},
        {"x": "numerical", "c": "categorical"},
    )
    with pytest.raises(DriftConfigError, match="'c': 'wasserstein' cannot test categorical"):
        compute_drift(profile, {}, DriftConfig(method_overrides={"c": "wasserstein"}))
    with pytest.raises(DriftConfigError, match="unknown column 'y'"):
        compute_drift(profile, {}, DriftConfig(threshold_overrides={"y": 0.2}))


def test_results_serialise_to_strict_json_with_histograms():
    rng = np.random.default_rng(2)
    profile = build_reference_profile(
        {"x": rng.normal(size=5000), "c": rng.choice(list("abc"), 5000)},
        {"x": "numerical", "c": "categorical"},
    )
    result = compute_drift(profile, {"x": rng.normal(size=800), "c": rng.choice(list("abd"), 800)})
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    x, c = document["features"]
    assert x["p_value"] is None and x["method"] == "wasserstein"
    assert x["psi_band"] in {"none", "moderate", "major"}
    edges = x["reference_histogram"]["edges"]
    assert len(edges) == len(x["reference_histogram"]["counts"]) + 1
    assert sum(x["reference_histogram"]["counts"]) == 5000
    assert sum(x["current_histogram"]["counts"]) == 800
    assert c["current_histogram"]["values"] == ["a", "b", "c", "d"]
    assert c["unseen_categories"] == ["d"]
    assert document["n_tested"] == 2


def test_each_current_numeric_column_is_sorted_exactly_once(monkeypatch):
    """KS (asymptotic), Wasserstein, PSI and histograms all share one sort per column."""
    rng = np.random.default_rng(4)
    names = ["a", "b", "c"]
    profile = build_reference_profile(
        {name: rng.normal(size=20_000) for name in names}, dict.fromkeys(names, "numerical")
    )
    current = {name: rng.normal(size=30_000) for name in names}
    sorts: list[int] = []
    real_sort_finite = samples.sort_finite
    monkeypatch.setattr(
        samples, "sort_finite", lambda values: sorts.append(len(values)) or real_sort_finite(values)
    )
    other_sorts: list[str] = []
    for name in ("sort", "argsort", "unique", "lexsort", "partition"):
        real = getattr(np, name)
        monkeypatch.setattr(
            np,
            name,
            lambda *a, _real=real, _name=name, **k: other_sorts.append(_name) or _real(*a, **k),
        )
    result = compute_drift(profile, current, DriftConfig(method_overrides={"a": "ks"}))
    assert [f.method for f in result.features] == ["ks", "wasserstein", "wasserstein"]
    assert sorted(sorts) == [30_000, 30_000, 30_000]
    assert other_sorts == []


def test_parallel_and_serial_runs_agree():
    rng = np.random.default_rng(8)
    names = [f"f{i}" for i in range(6)]
    profile = build_reference_profile(
        {name: rng.lognormal(size=4000) for name in names}, dict.fromkeys(names, "numerical")
    )
    current = {name: rng.lognormal(size=3000) for name in names}
    serial = compute_drift(profile, current, max_workers=1).to_dict()
    assert compute_drift(profile, current, max_workers=4).to_dict() == serial


def test_read_columns_reads_only_requested_columns_from_parquet_and_csv(tmp_path):
    table = pa.table({"x": [1.5, 2.5, None], "k": [1, 2, 3], "c": ["a", "b", "a"], "t": ["u"] * 3})
    pq.write_table(table, tmp_path / "part1.parquet")
    (tmp_path / "part2.csv").write_text("x,k,c,t\n3.5,4,c,u\n")
    combined = read_columns(
        [tmp_path / "part1.parquet", tmp_path / "part2.csv"], ["x", "c"], dictionary_columns=["c"]
    )
    assert combined.column_names == ["x", "c"]
    assert combined.column("x").to_pylist() == [1.5, 2.5, None, 3.5]
    assert combined.column("c").to_pylist() == ["a", "b", "a", "c"]
    with pytest.raises(DataReadError, match="no column"):
        read_columns([tmp_path / "part1.parquet"], ["x", "missing"])
    with pytest.raises(FileNotFoundError):
        read_columns([tmp_path / "nope.parquet"], ["x"])
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataReadError, match="cannot read"):
        read_columns([tmp_path / "broken.parquet"], ["x"])


def test_infer_column_types():
    table = pa.table(
        {
            "f": [0.1, 0.2],
            "i": [1, 2],
            "s": ["a", "b"],
            "b": [True, False],
            "d": pa.array(["x", "y"]).dictionary_encode(),
            "ts": pa.array([1, 2], pa.timestamp("s")),
        }
    )
    assert infer_column_types(table) == {
        "f": "numerical",
        "i": "numerical",
        "s": "categorical",
        "b": "categorical",
        "d": "categorical",
    }
    assert infer_column_types(table, integer_cardinality_limit=10)["i"] == "categorical"


def test_histograms_stay_small_enough_to_plot():
    rng = np.random.default_rng(12)
    levels = np.array([f"level_{i:03d}" for i in range(300)], dtype=object)
    profile = build_reference_profile(
        {"c": levels[rng.integers(0, 200, 20_000)], "k": rng.integers(0, 3, 20_000)},
        {"c": "categorical", "k": "numerical"},
    )
    current = {"c": levels[rng.integers(0, 300, 5_000)], "k": rng.normal(size=5_000)}
    result = compute_drift(profile, current, DriftConfig(method_overrides={"k": "jensenshannon"}))
    c, k = result.features
    assert len(c.current_histogram.values) == 50
    assert sum(c.current_histogram.counts) + c.current_histogram.other_count == 5_000
    assert sum(c.reference_histogram.counts) + c.reference_histogram.other_count == 20_000
    assert c.n_unseen_categories == 100 and len(c.unseen_categories) == 100
    assert c.n_current_unseen == sum(
        1 for value in current["c"] if int(value.removeprefix("level_")) >= 200
    )
    # three reference values, a continuous current column: value counts, binned for plotting
    assert k.method == "jensenshannon" and k.current_histogram.values is None
    assert sum(k.current_histogram.counts) == 5_000
    assert len(k.current_histogram.edges) == len(k.current_histogram.counts) + 1
