"""Verdicts equal Evidently's own, when its benchmark virtualenv is present (else skipped).

Create it with ``python benchmarks/drift_engine.py --peer evidently --rows 1000``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drift import DriftConfig, build_reference_profile, compute_drift, read_columns
from drift.cli import run_drift_check

ROOT = Path(__file__).resolve().parents[2]
PEER_PYTHON = ROOT / "benchmarks" / ".venv-evidently" / "bin" / "python"
PEER_SCRIPT = ROOT / "benchmarks" / "evidently_peer.py"

pytestmark = pytest.mark.skipif(
    not PEER_PYTHON.exists(), reason="Evidently's virtualenv (benchmarks/.venv-evidently) is absent"
)

NUMERICAL = ["normal", "lognormal_nulls", "binary", "few", "ints", "rounded", "constant"]
CATEGORICAL = ["three", "two", "many_with_new"]


def columns(rng: np.random.Generator, n: int, shift: int) -> dict:
    lognormal = rng.lognormal(0, 1, n)
    lognormal[rng.random(n) < 0.05] = np.nan
    many = rng.choice([f"L{i}" for i in range(30 + 5 * shift)], n).astype(object)
    many[rng.random(n) < 0.02] = None
    return {
        "normal": rng.normal(0.1 * shift, 1, n),
        "lognormal_nulls": lognormal,
        "binary": rng.integers(0, 2, n),
        "few": rng.binomial(3, 0.5 + 0.05 * shift, n),
        "ints": rng.poisson(8 + shift, n),
        "rounded": np.round(rng.normal(0, 1 + 0.1 * shift, n), 1),
        "constant": np.full(n, 3.0),
        "three": rng.choice(
            ["a", "b", "c"], n, p=[0.5, 0.3, 0.2] if not shift else [0.4, 0.3, 0.3]
        ),
        "two": rng.choice(["yes", "no"], n),
        "many_with_new": many,
    }


@pytest.mark.parametrize(("seed", "n_reference", "n_current"), [(1, 800, 600), (2, 6000, 3000)])
def test_methods_scores_and_verdicts_equal_evidentlys(tmp_path, seed, n_reference, n_current):
    rng = np.random.default_rng(seed)
    reference_path, current_path = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    pq.write_table(pa.table(columns(rng, n_reference, 0)), reference_path)
    pq.write_table(pa.table(columns(rng, n_current, 1)), current_path)
    completed = subprocess.run(
        [
            str(PEER_PYTHON),
            str(PEER_SCRIPT),
            str(reference_path),
            str(current_path),
            "--numerical",
            ",".join(NUMERICAL),
            "--categorical",
            ",".join(CATEGORICAL),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DO_NOT_TRACK": "1"},
        timeout=600,
    )
    evidently = json.loads(completed.stdout)
    types = {**dict.fromkeys(NUMERICAL, "numerical"), **dict.fromkeys(CATEGORICAL, "categorical")}
    profile = build_reference_profile(read_columns([reference_path], list(types)), types)
    current = read_columns([current_path], list(types))
    ours = compute_drift(profile, current, DriftConfig(preset="evidently"))
    assert compute_drift(profile, current).to_dict() == ours.to_dict()  # still the default
    for feature in ours.features:
        theirs = evidently["features"][feature.column]
        score = feature.p_value if feature.p_value is not None else feature.statistic
        assert (feature.column, feature.method, feature.drifted) == (
            feature.column,
            theirs["method"],
            theirs["drifted"],
        )
        assert score == pytest.approx(theirs["score"], rel=1e-9, abs=1e-12)
    assert ours.n_drifted == evidently["n_drifted"]
    assert ours.dataset_drift == evidently["dataset_drift"]
    # and through the CI gate, whose default is the calibrated preset
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [str(reference_path), str(current_path), "--preset", "evidently", "--json"]
    argv += ["--numerical", ",".join(NUMERICAL), "--categorical", ",".join(CATEGORICAL)]
    code = run_drift_check(argv, stdout, stderr)
    document = json.loads(stdout.getvalue())
    assert code == (1 if evidently["dataset_drift"] else 0), stderr.getvalue()
    for feature in document["features"]:
        theirs = evidently["features"][feature["column"]]
        assert (feature["method"], feature["drifted"]) == (theirs["method"], theirs["drifted"])
