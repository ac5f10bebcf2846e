"""Benchmark the drift check, whole process and in process, against a floor, scipy and Evidently.

For each size N it writes a reference and a current Parquet file of N rows x 20 columns
(15 numerical of mixed distributions, 5 categorical with 3-50 levels, a shift injected in 5
columns, a few missing values), then times, round robin so that every contender meets the same
background load, keeping each one's fastest run:

Whole processes (interpreter start-up, imports, reading both files, the verdict; as CI runs it):
  (a) ``drift-check`` with the calibrated preset (its default) and with ``--preset evidently``;
  (b) ``manage.py drift_check`` (the same check behind Django's start-up), calibrated;
  (c) the floor: a process that only reads both files' 20 columns (text ones
      dictionary-encoded, the cheapest way, as drift-check does) and sorts the 15 numerical
      columns of each once (``np.sort``) — any exact check must do at least that;
  (d) a plain per-column scipy loop of the calibrated preset's statistics: pandas reads both
      files, then ``anderson_ksamp(midrank=True)``, ``ks_2samp`` (effect size), a Sturges PSI
      per numerical column and ``chi2_contingency`` on the same pooled table, total variation
      and PSI per categorical column;
  (e) with ``--peer evidently``: Evidently's ``Report([DataDriftPreset()])`` in
      ``benchmarks/.venv-evidently`` (created on first use), one run.
In process (imports excluded): ours split into the one-off profile build and the per-run
compare (saved profile -> verdicts) for each preset, the scipy loop, the floor, Evidently.

Prints figures only; targets are printed beside them for comparison.

    python benchmarks/drift_engine.py --rows 10000,100000,1000000 --peer evidently
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = HERE / ".venv-evidently"
PEER_SCRIPT = HERE / "evidently_peer.py"
PEER_REQUIREMENTS = ["evidently==0.7.*", "pandas==2.3.3", "pyarrow"]

NUMERICAL = [
    *(f"normal_{i}" for i in range(3)),
    *(f"lognormal_{i}" for i in range(3)),
    *(f"uniform_{i}" for i in range(3)),
    *(f"exponential_{i}" for i in range(3)),
    *(f"integer_{i}" for i in range(3)),
]
CATEGORICAL = ["cat_3", "cat_5", "cat_10", "cat_20", "cat_50"]
SHIFTED = ["normal_0", "lognormal_0", "exponential_0", "integer_1", "cat_10"]

TARGET_VS_EVIDENTLY = 30.0
TARGET_CLI_VS_FLOOR = 2.0
TARGET_SCIPY_VS_CLI = 5.0
TARGET_MEMORY_MB = 1024.0
PRESETS = ("calibrated", "evidently")


# ------------------------------------------------------------------------------------------
# data


def generate(rows: int, seed: int, shifted: bool) -> Any:
    """One dataset; ``shifted`` moves the SHIFTED columns."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    s = 1.0 if shifted else 0.0
    columns: dict[str, Any] = {
        "normal_0": rng.normal(0.15 * s, 1.0, rows),
        "normal_1": rng.normal(5.0, 2.0, rows),
        "normal_2": rng.normal(-3.0, 0.5, rows),
        "lognormal_0": rng.lognormal(0.0, 1.0 + 0.25 * s, rows),
        "lognormal_1": rng.lognormal(1.0, 0.5, rows),
        "lognormal_2": rng.lognormal(-1.0, 0.8, rows),
        "uniform_0": rng.uniform(0.0, 1.0, rows),
        "uniform_1": rng.uniform(-10.0, 10.0, rows),
        "uniform_2": rng.uniform(100.0, 200.0, rows),
        "exponential_0": rng.exponential(1.0 + 0.3 * s, rows),
        "exponential_1": rng.exponential(3.0, rows),
        "exponential_2": rng.exponential(0.2, rows),
        "integer_0": rng.poisson(3.0, rows),  # ~12 distinct values
        "integer_1": rng.binomial(4, 0.3 + 0.1 * s, rows),  # 5 distinct values
        "integer_2": rng.integers(0, 21, rows),  # 21 distinct values: integer 'sturges' bins
    }
    for name in ("normal_1", "lognormal_1", "uniform_2"):  # ~1% missing values
        values = columns[name]
        values[rng.random(rows) < 0.01] = np.nan
    for levels in (3, 5, 10, 20, 50):
        name = f"cat_{levels}"
        weights = 1.0 / np.arange(1, levels + 1)
        if shifted and name in SHIFTED:
            weights = weights[::-1]
        labels = np.array([f"{name}_level_{i}" for i in range(levels)], dtype=object)
        values = labels[rng.choice(levels, rows, p=weights / weights.sum())]
        if levels == 20:
            values[rng.random(rows) < 0.01] = None
        columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def write_data(rows: int, directory: Path) -> tuple[Path, Path]:
    import pyarrow.parquet as pq

    reference, current = directory / "reference.parquet", directory / "current.parquet"
    pq.write_table(generate(rows, 1, shifted=False), reference)
    pq.write_table(generate(rows, 2, shifted=True), current)
    return reference, current


# ------------------------------------------------------------------------------------------
# contenders, each run in a child process: ``--child NAME --dir DIR``


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_profile(directory: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from drift import build_reference_profile, read_columns

    types = {**dict.fromkeys(NUMERICAL, "numerical"), **dict.fromkeys(CATEGORICAL, "categorical")}
    started = time.perf_counter()
    table = read_columns(
        [directory / "reference.parquet"], list(types), dictionary_columns=CATEGORICAL
    )
    profile = build_reference_profile(table, types)
    profile.save(directory / "profile.npz")
    return {"seconds": time.perf_counter() - started}


def child_compare(directory: Path, preset: str = "evidently") -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from drift import DriftConfig, ReferenceProfile, compute_drift, read_columns

    if preset == "evidently":  # its tests import scipy on first use: keep imports out
        import scipy.spatial.distance
        import scipy.stats  # noqa: F401

    started = time.perf_counter()
    profile = ReferenceProfile.load(directory / "profile.npz")
    current = read_columns(
        [directory / "current.parquet"], list(profile.columns), dictionary_columns=CATEGORICAL
    )
    result = compute_drift(profile, current, DriftConfig(preset=preset))
    document = result.to_dict()
    seconds = time.perf_counter() - started
    verdicts = {
        f["column"]: {"method": f["method"], "drifted": f["drifted"]} for f in document["features"]
    }
    return {"seconds": seconds, "verdicts": verdicts, "dataset_drift": result.dataset_drift}


def child_scipy_evidently(directory: Path) -> dict[str, Any]:
    """The evidently preset's statistics as a plain scipy loop."""
    import numpy as np
    import pandas as pd
    from scipy import stats
    from scipy.spatial import distance

    def shares(ref: Any, cur: Any, numeric: bool) -> tuple[Any, Any]:
        if numeric and ref.nunique() > 20:
            edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
            return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)
        keys = list(set(ref.unique()) | set(cur.unique()))
        ref_counts, cur_counts = ref.value_counts(), cur.value_counts()
        return (
            np.array([ref_counts.get(k, 0) for k in keys]) / len(ref),
            np.array([cur_counts.get(k, 0) for k in keys]) / len(cur),
        )

    def psi(ref_shares: Any, cur_shares: Any) -> float:
        ref_shares, cur_shares = ref_shares.copy(), cur_shares.copy()
        for values in (ref_shares, cur_shares):
            smallest = values[values != 0].min()
            values[values == 0] = smallest / 1e6 if smallest <= 0.0001 else 0.0001
        return float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))

    started = time.perf_counter()
    reference = pd.read_parquet(directory / "reference.parquet")
    current = pd.read_parquet(directory / "current.parquet")
    verdicts = {}
    for column in NUMERICAL + CATEGORICAL:
        numeric = column in NUMERICAL
        ref = reference[column].replace([np.inf, -np.inf], np.nan).dropna()
        cur = current[column].replace([np.inf, -np.inf], np.nan).dropna()
        n_unique = pd.concat([ref, cur]).nunique()
        if len(ref) <= 1000:
            method = "ks" if numeric and n_unique > 5 else ("chisquare" if n_unique > 2 else "z")
        else:
            method = "wasserstein" if numeric and n_unique > 5 else "jensenshannon"
        ref_shares, cur_shares = shares(ref, cur, numeric)
        psi(ref_shares, cur_shares)
        if method == "wasserstein":
            score = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
            drifted = score >= 0.1
        elif method == "jensenshannon":
            drifted = distance.jensenshannon(ref_shares, cur_shares) >= 0.1
        elif method == "ks":
            drifted = stats.ks_2samp(ref, cur).pvalue <= 0.05
        else:  # small references only; not reached at the benchmark's sizes
            raise NotImplementedError(method)
        verdicts[column] = {"method": method, "drifted": bool(drifted)}
    return {"seconds": time.perf_counter() - started, "verdicts": verdicts}


def child_scipy_calibrated(directory: Path) -> dict[str, Any]:
    """The calibrated preset's statistics as a plain per-column scipy loop."""
    import warnings

    import numpy as np
    import pandas as pd
    from scipy import stats

    warnings.filterwarnings("ignore")  # anderson_ksamp warns when it caps its p-value

    def psi(ref: Any, cur: Any) -> float:
        if ref.dtype.kind == "f" and ref.nunique() > 20:
            edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
            ref_shares = np.histogram(ref, edges)[0] / len(ref)
            cur_shares = np.histogram(cur, edges)[0] / len(cur)
        else:
            both = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0)
            ref_shares, cur_shares = (
                both.iloc[:, i].to_numpy() / both.iloc[:, i].sum() for i in (0, 1)
            )
        for values in (ref_shares, cur_shares):
            smallest = values[values != 0].min()
            values[values == 0] = smallest / 1e6 if smallest <= 0.0001 else 0.0001
        return float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))

    def pooled(ref_counts: Any, cur_counts: Any) -> tuple[Any, Any]:
        """Levels with expected < 5 rows in the smaller side go to 'other' (Cochran)."""
        total = ref_counts + cur_counts
        smaller, size = min(ref_counts.sum(), cur_counts.sum()), total.sum()
        keep = total * smaller >= 5 * size
        ref_rows = list(ref_counts[keep]) + ([ref_counts[~keep].sum()] if (~keep).any() else [])
        cur_rows = list(cur_counts[keep]) + ([cur_counts[~keep].sum()] if (~keep).any() else [])
        while len(ref_rows) > 1:
            sizes = [r + c for r, c in zip(ref_rows, cur_rows, strict=True)]
            order = np.argsort(sizes, kind="stable")
            if sizes[order[0]] * smaller >= 5 * size:
                break
            ref_rows[order[1]] += ref_rows[order[0]]
            cur_rows[order[1]] += cur_rows[order[0]]
            del ref_rows[order[0]], cur_rows[order[0]]
        return np.array(ref_rows, dtype=float), np.array(cur_rows, dtype=float)

    started = time.perf_counter()
    reference = pd.read_parquet(directory / "reference.parquet")
    current = pd.read_parquet(directory / "current.parquet")
    verdicts = {}
    for column in NUMERICAL + CATEGORICAL:
        ref = reference[column].replace([np.inf, -np.inf], np.nan).dropna()
        cur = current[column].replace([np.inf, -np.inf], np.nan).dropna()
        psi(ref, cur)
        if column in NUMERICAL:
            method = "anderson_darling"
            p_value = stats.anderson_ksamp([ref.to_numpy(), cur.to_numpy()], midrank=True).pvalue
            effect = stats.ks_2samp(ref, cur).statistic
        else:
            method = "chi2_homogeneity"
            both = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0)
            ref_rows, cur_rows = pooled(both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy())
            table = np.array([ref_rows, cur_rows])
            p_value = stats.chi2_contingency(table, correction=False).pvalue
            effect = 0.5 * np.abs(ref_rows / ref_rows.sum() - cur_rows / cur_rows.sum()).sum()
        verdicts[column] = {"method": method, "drifted": bool(p_value <= 0.05 and effect >= 0.1)}
    return {"seconds": time.perf_counter() - started, "verdicts": verdicts}


def child_sort(directory: Path) -> dict[str, Any]:
    """The floor, in process: read both files' columns, sort the numerical ones once."""
    import numpy as np
    import pyarrow.parquet as pq

    started = time.perf_counter()
    arrays = []
    for name in ("reference", "current"):
        parquet = pq.ParquetFile(
            directory / f"{name}.parquet", memory_map=True, read_dictionary=CATEGORICAL
        )
        table = parquet.read(columns=NUMERICAL + CATEGORICAL)
        arrays += [numpy_of(table.column(column)) for column in NUMERICAL]
    read_done = time.perf_counter()
    for values in arrays:
        np.sort(values)
    finished = time.perf_counter()
    return {"seconds": finished - started, "sort_seconds": finished - read_done}


CHILDREN = {
    "profile": child_profile,
    "compare-calibrated": lambda directory: child_compare(directory, "calibrated"),
    "compare-evidently": lambda directory: child_compare(directory, "evidently"),
    "scipy-calibrated": child_scipy_calibrated,
    "scipy-evidently": child_scipy_evidently,
    "sort": child_sort,
}


def numpy_of(column: Any) -> Any:
    """An arrow numeric column as numpy from its data buffers (``to_numpy`` imports pandas)."""
    import numpy as np

    parts = []
    for chunk in column.chunks:
        dtype = np.float64 if str(chunk.type) == "double" else np.int64
        data = np.frombuffer(chunk.buffers()[1], dtype=dtype, count=chunk.offset + len(chunk))
        parts.append(data[chunk.offset :])
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


FLOOR_SCRIPT = """
import sys
import numpy as np
import pyarrow.parquet as pq
numerical, categorical = sys.argv[3].split(","), sys.argv[4].split(",")
for path in sys.argv[1:3]:
    parquet = pq.ParquetFile(path, memory_map=True, read_dictionary=categorical)
    table = parquet.read(columns=numerical + categorical)
    for name in numerical:
        parts = []
        for chunk in table.column(name).chunks:
            dtype = np.float64 if str(chunk.type) == "double" else np.int64
            data = np.frombuffer(chunk.buffers()[1], dtype=dtype, count=chunk.offset + len(chunk))
            parts.append(data[chunk.offset :])
        np.sort(np.concatenate(parts))
"""


def run_child(name: str, directory: Path) -> None:
    outcome = CHILDREN[name](directory)
    outcome["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(outcome))


# ------------------------------------------------------------------------------------------
# parent


def run_once(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_process(
    command: list[str], ok_codes: tuple[int, ...] = (0, 1), cwd: Path | None = None
) -> dict[str, Any]:
    """Wall time and peak RSS of a whole process, from fork to exit; its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-3000:]}")
    return {"seconds": seconds, "max_rss_mb": usage.ru_maxrss / 1024, "stdout": stdout}


def drift_check_command() -> list[str]:
    script = Path(sys.executable).with_name("drift-check")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from drift.cli import main; main()"]


def keep_best(best: dict[str, Any] | None, outcome: dict[str, Any]) -> dict[str, Any]:
    """Fastest time per figure over the runs; the largest peak memory seen."""
    if best is None:
        return dict(outcome)
    merged = dict(best)
    if outcome["seconds"] < best["seconds"] and "stdout" in outcome:
        merged["stdout"] = outcome["stdout"]
    for key in ("seconds", "sort_seconds", "seconds_in_process"):
        if key in outcome:
            merged[key] = min(best[key], outcome[key])
    merged["max_rss_mb"] = max(best["max_rss_mb"], outcome["max_rss_mb"])
    return merged


def ensure_peer() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV.relative_to(ROOT)} (pip install {' '.join(PEER_REQUIREMENTS)})")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS],
            check=True,
            env={**os.environ, "DO_NOT_TRACK": "1"},
        )
    return python


def verdict_agreement(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[int, list[str]]:
    same, different = 0, []
    for column, verdict in ours.items():
        other = theirs.get(column)
        if (
            other
            and other["method"] == verdict["method"]
            and other["drifted"] == verdict["drifted"]
        ):
            same += 1
        else:
            different.append(f"{column}: ours {verdict} vs {other}")
    return same, different


def status(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def cli_verdicts(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)
    return {
        f["column"]: {"method": f["method"], "drifted": f["drifted"]} for f in document["features"]
    }


def ratio_line(label: str, value: float, target: str, ok: bool) -> str:
    return f"{label:52} {value:9.2f}x   {target:8} {status(ok)}"


def benchmark(rows: int, repeat: int, scipy_repeat: int, peer: bool, keep: bool) -> None:
    directory = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    try:
        reference, current = write_data(rows, directory)
        me = [sys.executable, str(Path(__file__).resolve()), "--dir", str(directory), "--child"]
        cli = [*drift_check_command(), str(reference), str(current), "--json"]
        processes: dict[str, list[str]] = {
            "cli-calibrated": cli,
            "cli-evidently": [*cli, "--preset", "evidently"],
            "manage.py": [
                sys.executable,
                str(ROOT / "manage.py"),
                "drift_check",
                str(reference),
                str(current),
                "--json",
            ],
            "floor": [
                sys.executable,
                "-c",
                FLOOR_SCRIPT,
                str(reference),
                str(current),
                ",".join(NUMERICAL),
                ",".join(CATEGORICAL),
            ],
            "scipy-process": [*me, "scipy-calibrated"],
        }
        best: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        # Round robin, so that every contender meets the same background load.
        for round_number in range(repeat):
            for name in ("profile", "compare-calibrated", "compare-evidently", "sort"):
                best[name] = keep_best(best.get(name), run_once([*me, name]))
            for name, command in processes.items():
                if name in failed or (name == "scipy-process" and round_number >= scipy_repeat):
                    continue
                try:
                    outcome = run_process(command, cwd=ROOT)
                except RuntimeError as exc:  # e.g. manage.py while the portal is broken
                    failed[name] = str(exc).splitlines()[-1][:200]
                    continue
                if name == "scipy-process":
                    child = json.loads(outcome["stdout"].strip().splitlines()[-1])
                    outcome["seconds_in_process"] = child["seconds"]
                    outcome["verdicts"] = child["verdicts"]
                best[name] = keep_best(best.get(name), outcome)
        evidently = None
        if peer:
            command = [
                str(ensure_peer()),
                str(PEER_SCRIPT),
                str(reference),
                str(current),
                "--numerical",
                ",".join(NUMERICAL),
                "--categorical",
                ",".join(CATEGORICAL),
            ]
            started = time.perf_counter()
            evidently = run_once(command, env={**os.environ, "DO_NOT_TRACK": "1"})
            evidently["process_seconds"] = time.perf_counter() - started
    finally:
        if keep:
            print(f"data kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)

    print(f"\n=== {rows:,} rows x 20 columns (15 numerical, 5 categorical; shift in 5 columns) ===")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"cpus: {os.cpu_count()} (load average now {load}); fastest of {repeat} round-robin runs "
        f"(scipy loop: {min(repeat, scipy_repeat)}, Evidently: 1)"
    )
    heading = "whole process (start-up, imports, read, verdict)"
    print(f"\n{heading:52} {'time [s]':>10} {'peak RSS [MB]':>14}")
    labels = {
        "cli-calibrated": "drift-check (calibrated, the default)",
        "cli-evidently": "drift-check --preset evidently",
        "manage.py": "manage.py drift_check (calibrated)",
        "floor": "floor: read both files, np.sort numerical columns",
        "scipy-process": "plain scipy loop, calibrated statistics",
    }
    for name, label in labels.items():
        if name in best:
            figures = best[name]
            print(f"{label:52} {figures['seconds']:10.3f} {figures['max_rss_mb']:14.0f}")
        else:
            print(f"{label:52} {'n/a':>10}   ({failed.get(name, 'not run')})")
    if evidently is not None:
        print(
            f"{'Evidently ' + evidently['evidently_version'] + ' DataDriftPreset':52} "
            f"{evidently['process_seconds']:10.3f} {evidently['max_rss_mb']:14.0f}"
        )

    print(f"\n{'in process (imports excluded)':52} {'time [s]':>10} {'peak RSS [MB]':>14}")
    lines = [
        ("ours: profile build (one-off)", best["profile"]),
        ("ours: compare per run, calibrated", best["compare-calibrated"]),
        ("ours: compare per run, evidently", best["compare-evidently"]),
        ("np.sort of the 30 numerical columns", {"seconds": best["sort"]["sort_seconds"]}),
        ("  the same, with the Parquet reads", best["sort"]),
    ]
    if "scipy-process" in best:
        lines.append(
            (
                "plain scipy loop, calibrated statistics",
                {"seconds": best["scipy-process"]["seconds_in_process"]},
            )
        )
    if evidently is not None:
        lines.append((f"Evidently {evidently['evidently_version']} DataDriftPreset", evidently))
    for label, figures in lines:
        rss = f"{figures['max_rss_mb']:14.0f}" if "max_rss_mb" in figures else f"{'':14}"
        print(f"{label:52} {figures['seconds']:10.3f} {rss}")

    print(f"\n{'ratio / check':52} {'value':>10}   target")
    cli_seconds = best["cli-calibrated"]["seconds"]
    floor = best["floor"]["seconds"]
    print(
        ratio_line(
            "drift-check / floor (whole processes)",
            cli_seconds / floor,
            f"<= {TARGET_CLI_VS_FLOOR:g}x",
            cli_seconds <= TARGET_CLI_VS_FLOOR * floor,
        )
    )
    if "scipy-process" in best:
        ratio = best["scipy-process"]["seconds"] / cli_seconds
        print(
            ratio_line(
                "scipy loop / drift-check (whole processes)",
                ratio,
                f">= {TARGET_SCIPY_VS_CLI:g}x",
                ratio >= TARGET_SCIPY_VS_CLI,
            )
        )
    if "manage.py" in best:
        print(
            f"{'Django start-up in manage.py drift_check':52} "
            f"{best['manage.py']['seconds'] - cli_seconds:9.2f}s"
        )
    if evidently is not None:
        ratio = evidently["process_seconds"] / cli_seconds
        print(f"{'Evidently / drift-check (whole processes)':52} {ratio:9.1f}x")
        ratio = evidently["seconds"] / best["compare-evidently"]["seconds"]
        print(
            f"{'Evidently / ours, evidently preset (in process)':52} {ratio:9.1f}x   "
            f">= {TARGET_VS_EVIDENTLY:g}x   {status(ratio >= TARGET_VS_EVIDENTLY)}"
        )
    for label, figures in (
        ("compare, calibrated", best["compare-calibrated"]),
        ("profile build", best["profile"]),
        ("drift-check process", best["cli-calibrated"]),
    ):
        peak = figures["max_rss_mb"]
        print(
            f"{'peak memory, ' + label:52} {peak:8.0f}MB   < {TARGET_MEMORY_MB:g}MB "
            f"{status(peak < TARGET_MEMORY_MB)}"
        )
    ours_calibrated = cli_verdicts(best["cli-calibrated"]["stdout"])
    ours_evidently = cli_verdicts(best["cli-evidently"]["stdout"])
    different: list[str] = []
    if "scipy-process" in best:
        same, different = verdict_agreement(ours_calibrated, best["scipy-process"]["verdicts"])
        print(f"{'verdicts, calibrated, equal to the scipy loop':52} {same:>7}/20")
    same, more = verdict_agreement(ours_evidently, best["compare-evidently"]["verdicts"])
    different += more
    print(f"{'verdicts, evidently preset: CLI = in-process engine':52} {same:>7}/20")
    if evidently is not None:
        same, more = verdict_agreement(ours_evidently, evidently["features"])
        different += more
        print(
            f"{'verdicts (method + drifted), evidently = Evidently':52} {same:>7}/20   all     "
            f"{status(not more)}"
        )
    for line in different:
        print(f"  differs: {line}")
    for preset, verdicts in (("calibrated", ours_calibrated), ("evidently", ours_evidently)):
        drifted = sorted(c for c, v in verdicts.items() if v["drifted"])
        print(f"drifted columns ({preset}): {', '.join(drifted) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000000", help="comma-separated sizes")
    parser.add_argument("--peer", choices=["evidently"], help="also run Evidently")
    parser.add_argument("--repeat", type=int, default=5, help="runs per contender (best kept)")
    parser.add_argument(
        "--scipy-repeat", type=int, default=2, help="runs of the (slow) scipy loop (default 2)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.dir)
        return
    for rows in (int(size.replace("_", "")) for size in args.rows.split(",")):
        benchmark(rows, args.repeat, args.scipy_repeat, args.peer == "evidently", args.keep)


if __name__ == "__main__":
    main()
