"""Reference profiles: built once, stored without pickle, loaded (memory-mapped) unchanged."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from drift import ReferenceProfile, build_reference_profile, compute_drift
from drift.profile import NumericColumnProfile
from drift.stattests import ks_test

rng = np.random.default_rng(5)
TYPES = {"x": "numerical", "k": "numerical", "c": "categorical", "b": "categorical"}


def reference_table(n: int = 20_000) -> pa.Table:
    x = rng.lognormal(size=n)
    x[::97] = np.nan
    return pa.table(
        {
            "x": x,
            "k": rng.integers(0, 4, n),
            "c": pa.array(rng.choice(["red", "green", "blue"], n)).dictionary_encode(),
            "b": rng.random(n) < 0.3,
        }
    )


def current_columns(n: int = 5_000) -> dict:
    return {
        "x": rng.lognormal(0.1, 1, n),
        "k": rng.integers(0, 5, n),
        "c": rng.choice(["red", "green", "teal"], n),
        "b": rng.random(n) < 0.5,
    }


def test_profile_summarises_the_reference():
    table = reference_table()
    profile = build_reference_profile(table, TYPES)
    x = profile["x"]
    assert isinstance(x, NumericColumnProfile)
    values = table.column("x").to_numpy(zero_copy_only=False)
    assert (x.n_rows, x.n_null, x.n) == (20_000, 207, 19_793)
    assert np.all(np.diff(x.sorted_values) >= 0)
    assert profile["k"].n_unique == 4 and profile["k"].is_integer
    assert profile["c"].column_type == "categorical"
    assert dict(zip(profile["b"].values, profile["b"].counts.tolist(), strict=True)).keys() == {
        True,
        False,
    }
    summary = profile.to_summary_dict()
    json.dumps(summary, allow_nan=False)
    assert summary["columns"]["x"]["null_rate"] == pytest.approx(207 / 20_000)
    assert summary["columns"]["x"]["quantiles"][5]["value"] == pytest.approx(np.nanmedian(values))
    assert summary["columns"]["c"]["top_categories"][0]["value"] in {"red", "green", "blue"}


@pytest.mark.parametrize("mmap", [True, False])
def test_save_and_load_give_identical_results(tmp_path, mmap):
    profile = build_reference_profile(reference_table(), TYPES)
    path = tmp_path / "profile.npz"
    profile.save(path)
    loaded = ReferenceProfile.load(path, mmap=mmap)
    current = current_columns()
    assert compute_drift(loaded, current).to_dict() == compute_drift(profile, current).to_dict()
    assert loaded.to_summary_dict() == profile.to_summary_dict()
    assert loaded.column_types == TYPES
    assert list(tmp_path.iterdir()) == [path]  # the temporary file was renamed into place


def test_saved_profile_is_a_plain_npz_without_pickle_and_mapped_arrays_are_aligned(tmp_path):
    profile = build_reference_profile(reference_table(), TYPES)
    path = tmp_path / "profile.npz"
    profile.save(path)
    with np.load(path, allow_pickle=False) as archive:
        assert np.array_equal(archive["c0_values"], profile["x"].sorted_values)
        meta = json.loads(bytes(archive["meta"]))
    assert meta["columns"][2]["categories"] == list(profile["c"].values)
    loaded = ReferenceProfile.load(path)
    values = loaded["x"].sorted_values
    assert not values.flags.writeable  # memory-mapped, read-only
    assert values.ctypes.data % 64 == 0


def test_bytes_round_trip():
    profile = build_reference_profile(reference_table(), TYPES)
    again = ReferenceProfile.from_bytes(profile.to_bytes())
    current = current_columns()
    assert compute_drift(again, current).to_dict() == compute_drift(profile, current).to_dict()


def test_loading_something_else_fails_clearly(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, meta=np.frombuffer(b'{"format": "x"}', dtype=np.uint8))
    with pytest.raises(ValueError, match="not a drift reference profile"):
        ReferenceProfile.load(path)


def test_large_reference_keeps_a_quantile_sample_with_exact_extremes_and_counts():
    n = 200_000
    values = rng.normal(size=n)
    discrete = rng.integers(0, 5, n)
    profile = build_reference_profile(
        {"x": values, "k": discrete}, {"x": "numerical", "k": "numerical"}, sample_cap=5_000
    )
    x, k = profile["x"], profile["k"]
    assert (x.n_sample, x.n, x.is_subsampled) == (5_000, n, True)
    assert (x.min, x.max) == (values.min(), values.max())
    assert x.std == np.std(values) and x.n_unique == n
    assert np.array_equal(k.value_counts[1], np.bincount(discrete))
    current = rng.normal(0.05, 1, 50_000)
    result = compute_drift(profile, {"x": current, "k": rng.integers(0, 5, 999)})
    assert result.feature("k").method == "jensenshannon"
    wasserstein = result.feature("x")
    assert wasserstein.method == "wasserstein"
    full = stats.wasserstein_distance(values, current) / np.std(values)
    assert wasserstein.statistic == pytest.approx(full, rel=0.02)
    exact_ks = stats.ks_2samp(values, current).statistic
    assert ks_test(x, current).statistic == pytest.approx(exact_ks, abs=2 / 5_000)


def test_numerical_column_with_text_is_rejected_at_profile_time():
    with pytest.raises(ValueError, match="'name' is declared numerical"):
        build_reference_profile({"name": np.array(["a", "b"])}, {"name": "numerical"})
    with pytest.raises(KeyError, match="absent"):
        build_reference_profile({"x": np.arange(3)}, {"absent": "numerical"})
    with pytest.raises(ValueError, match="unknown column type"):
        build_reference_profile({"x": np.arange(3)}, {"x": "text"})
