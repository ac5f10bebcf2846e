"""False-alarm rate and power of the drift presets, by simulation, so anyone can check the claims.

For every regime (a distribution of a numerical or categorical column) and every pair of sizes
(reference rows, current rows) it draws both sides afresh, many times, and runs the engine's
per-column comparison exactly as a drift run does (profile the reference, test the current):

* **false alarms** — both sides from the same distribution. Columns: the calibrated preset's test
  alone (``p <= alpha``), the calibrated verdict (``p <= alpha`` and effect size >= 0.1), and
  the evidently preset (Evidently 0.7's DataDriftPreset defaults). A cell is marked ``!`` when
  its false-alarm count is above the 99.9% point of Binomial(reps, alpha) — a calibrated test
  should almost never be marked; ``(k)`` marks cells where the calibrated preset called the
  column insufficient_data k% of the time (never below 30 rows on each side).
* **power** — the current side shifted. Columns: the calibrated test alone and its verdict,
  evidently's verdict, and evidently's power at the *same* false-alarm rate (its score's
  threshold moved to the alpha-quantile of its null scores in the matching no-drift cell,
  randomised at ties), where the method is one and the same across that cell's runs. Shifts
  whose effect size is below the 0.1 threshold are labelled: the calibrated verdict is meant
  not to flag them once the sample is large.

Every draw is seeded (``--seed``), so a run reproduces to the digit.

    python benchmarks/drift_calibration.py              # full table (~15 min on one core)
    python benchmarks/drift_calibration.py --quick      # small sizes, fewer runs (~3 min)
    python benchmarks/drift_calibration.py --jobs 2 --json results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ALPHA = 0.05
EFFECT_THRESHOLD = 0.1


# ------------------------------------------------------------------------------------------
# regimes


@dataclass(frozen=True)
class Regime:
    name: str
    kind: str  # "numerical" or "categorical"
    description: str
    draw: Callable[[np.random.Generator, int, float], Any]
    """draw(rng, n, shift) -> column; shift 0 is the no-drift distribution."""


def _normal(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    return rng.normal(shift, 1.0, n)


def _lognormal(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    sd = math.sqrt((math.e - 1) * math.e)  # of LogNormal(0, 1)
    return rng.lognormal(0.0, 1.0, n) + shift * sd


def _cauchy(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    return rng.standard_cauchy(n) + shift  # in units of its scale (no SD exists)


def _poisson(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    return rng.poisson(3.0 + shift * math.sqrt(3.0), n).astype(np.float64)


def _rounded(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    return np.round(rng.normal(shift, 1.0, n), 1)


def _zero_inflated(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    values = rng.exponential(1.0, n) + shift
    values[rng.random(n) < 0.5] = 0.0
    return values


def _binary(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    return (rng.random(n) < 0.3 + shift * math.sqrt(0.21)).astype(np.float64)


def _levels(probabilities: np.ndarray) -> Callable[[np.random.Generator, int, float], Any]:
    base = probabilities / probabilities.sum()
    labels = None

    def draw(rng: np.random.Generator, n: int, shift: float) -> Any:
        import pyarrow as pa

        nonlocal labels
        if labels is None:
            labels = pa.array([f"level_{i}" for i in range(base.shape[0])], pa.string())
        p = base.copy()
        if shift:  # move `shift` of the mass from the most common level to the 5th
            p[0] -= shift
            p[4] += shift
        codes = rng.choice(p.shape[0], n, p=p).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(codes), labels)

    return draw


REGIMES = {
    regime.name: regime
    for regime in (
        Regime("normal", "numerical", "N(0, 1)", _normal),
        Regime("lognormal", "numerical", "LogNormal(0, 1): heavy right tail", _lognormal),
        Regime("cauchy", "numerical", "Cauchy: no mean, extreme tails", _cauchy),
        Regime("poisson3", "numerical", "Poisson(3): ~12 values, heavy ties", _poisson),
        Regime("rounded", "numerical", "N(0, 1) rounded to 0.1: ~70 values", _rounded),
        Regime("zero_inflated", "numerical", "half exact zeros, half Exp(1)", _zero_inflated),
        Regime("binary", "numerical", "0/1 with P(1) = 0.3", _binary),
        Regime(
            "cat5",
            "categorical",
            "5 levels (40/25/15/12/8%)",
            _levels(np.array([0.40, 0.25, 0.15, 0.12, 0.08])),
        ),
        Regime(
            "rare_levels",
            "categorical",
            "5 common + 25 rare levels (0.6% each): rare and unseen levels",
            _levels(np.concatenate([np.full(5, 0.17), np.full(25, 0.006)])),
        ),
        Regime(
            "long_tail",
            "categorical",
            "200 levels, Zipf(1) shares",
            _levels(1.0 / np.arange(1, 201)),
        ),
        Regime(
            "two_level_rare", "categorical", "2 levels, 97% / 3%", _levels(np.array([0.97, 0.03]))
        ),
    )
}

EQUAL_SIZES = [30, 100, 200, 1_000, 10_000, 100_000, 1_000_000]
UNEQUAL_SIZES = [
    (1_000, 30),
    (30, 1_000),
    (1_001, 100),
    (5_000, 200),
    (100_000, 1_000),
    (1_000_000, 30),
    (30, 1_000_000),
]
POWER_CASES = [
    # regime, shift, label
    ("normal", 0.5, "normal +0.5 SD"),
    ("normal", 0.2, "normal +0.2 SD (KS distance 0.08: below the 0.1 effect threshold)"),
    ("lognormal", 0.5, "lognormal +0.5 SD"),
    ("poisson3", 0.1, "Poisson(3) +0.1 SD (KS distance 0.04: below the threshold)"),
    ("poisson3", 0.5, "Poisson(3) +0.5 SD"),
    ("cat5", 0.15, "5 levels, 15% of rows move level"),
    ("rare_levels", 0.15, "5 common + 25 rare, 15% of rows move level"),
]
POWER_SIZES = [
    (30, 30),
    (100, 100),
    (200, 200),
    (1_000, 1_000),
    (10_000, 10_000),
    (100_000, 100_000),
    (1_000_000, 1_000_000),
    (1_001, 100),
    (5_000, 200),
]
QUICK_SIZES = [(30, 30), (200, 200), (1_000, 1_000), (1_001, 100), (5_000, 200), (1_000, 30)]


def null_reps(n_ref: int, n_cur: int, quick: bool) -> int:
    total = n_ref + n_cur
    if quick:
        return 400 if total <= 3_000 else 200
    if total <= 3_000:
        return 2_000
    if total <= 30_000:
        return 1_000
    return 300


def power_reps(n_ref: int, n_cur: int, quick: bool) -> int:
    total = n_ref + n_cur
    if quick:
        return 200
    if total <= 30_000:
        return 500
    if total <= 300_000:
        return 200
    return 100


# ------------------------------------------------------------------------------------------
# one cell


def _seed(*parts: Any) -> int:
    return zlib.crc32(repr(parts).encode())


def run_cell(task: tuple[str, float, int, int, int, int]) -> dict[str, Any]:
    """``reps`` draws of one (regime, shift, sizes): verdicts and Evidently's scores."""
    from drift.engine import DriftConfig, compare_column
    from drift.profile import build_categorical_profile, build_numeric_profile
    from drift.samples import category_counts, numeric_sample

    name, shift, n_ref, n_cur, reps, base_seed = task
    regime = REGIMES[name]
    rng = np.random.default_rng(_seed(base_seed, name, shift, n_ref, n_cur))
    calibrated = DriftConfig(preset="calibrated")
    evidently = DriftConfig(preset="evidently")
    counts = {"significant": 0, "calibrated": 0, "evidently": 0, "insufficient": 0}
    evidence: list[float] = []
    methods: set[str] = set()
    started = time.perf_counter()
    for _ in range(reps):
        reference_values = regime.draw(rng, n_ref, 0.0)
        current_values = regime.draw(rng, n_cur, shift)
        if regime.kind == "numerical":
            reference = build_numeric_profile("x", reference_values)
            current: Any = numeric_sample(current_values)
        else:
            reference = build_categorical_profile("x", reference_values)
            current = category_counts(current_values)
        ours = compare_column("x", reference, current, calibrated)
        theirs = compare_column("x", reference, current, evidently)
        if ours.status == "insufficient_data":
            counts["insufficient"] += 1
        counts["significant"] += bool(ours.significant)
        counts["calibrated"] += bool(ours.drifted)
        counts["evidently"] += bool(theirs.drifted)
        methods.add(theirs.method or "-")
        # Evidently's evidence of drift: small p-values / large distances
        score = theirs.p_value if theirs.p_value is not None else theirs.statistic
        if score is None or math.isnan(score):
            evidence.append(-math.inf)
        else:
            evidence.append(-score if theirs.p_value is not None else score)
    return {
        "regime": name,
        "shift": shift,
        "n_reference": n_ref,
        "n_current": n_cur,
        "reps": reps,
        **counts,
        "evidently_methods": sorted(methods),
        "evidently_evidence": evidence,
        "seconds": time.perf_counter() - started,
    }


# ------------------------------------------------------------------------------------------
# tables


def binomial_upper(reps: int, alpha: float, level: float = 0.999) -> int:
    """Smallest k with P(Binomial(reps, alpha) <= k) >= level."""
    total, k = 0.0, 0
    log_q = math.log1p(-alpha)
    while True:
        log_term = (
            math.lgamma(reps + 1)
            - math.lgamma(k + 1)
            - math.lgamma(reps - k + 1)
            + k * math.log(alpha)
            + (reps - k) * log_q
        )
        total += math.exp(log_term)
        if total >= level or k >= reps:
            return k
        k += 1


def size_label(n_ref: int, n_cur: int) -> str:
    def short(n: int) -> str:
        if n >= 1_000_000 and n % 1_000_000 == 0:
            return f"{n // 1_000_000}M"
        if n >= 10_000 and n % 1_000 == 0:
            return f"{n // 1_000}k"
        return f"{n:,}"

    return f"{short(n_ref)} / {short(n_cur)}"


def percent(count: int, reps: int) -> str:
    return f"{100.0 * count / reps:.1f}%"


def far_table(cells: list[dict[str, Any]], alpha: float) -> tuple[str, int, int]:
    lines = [
        "| regime | reference / current | runs | calibrated: test alone | calibrated: verdict"
        " | evidently | Evidently's method |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    flagged = total = 0
    for cell in cells:
        bound = binomial_upper(cell["reps"], alpha)
        marks = []
        for key in ("significant", "calibrated", "evidently"):
            mark = percent(cell[key], cell["reps"])
            if cell[key] > bound:
                mark += " !"
                if key != "evidently":
                    flagged += 1
            if key == "significant" and cell["insufficient"]:
                mark += f" ({round(100 * cell['insufficient'] / cell['reps'])})"
            marks.append(mark)
        total += 1
        lines.append(
            f"| {cell['regime']} | {size_label(cell['n_reference'], cell['n_current'])} | "
            f"{cell['reps']} | {marks[0]} | {marks[1]} | {marks[2]} | "
            f"{', '.join(cell['evidently_methods'])} |"
        )
    return "\n".join(lines), flagged, total


def size_adjusted_power(alt: dict[str, Any], null: dict[str, Any] | None, alpha: float) -> str:
    """Evidently's power with its threshold moved so that its false-alarm rate is alpha.

    Its score is discrete at times (p = 0 whenever a level is missing from the reference), so
    the test is randomised at the threshold, as Neyman-Pearson prescribes: scores equal to it
    count with the probability that makes the no-drift rate exactly alpha.
    """
    if null is None or alt["evidently_methods"] != null["evidently_methods"]:
        return "-"
    if len(alt["evidently_methods"]) != 1:
        return "-"
    null_evidence = np.asarray(null["evidently_evidence"])
    alt_evidence = np.asarray(alt["evidently_evidence"])
    threshold = float(np.quantile(null_evidence, 1 - alpha, method="higher"))
    above = float(np.mean(null_evidence > threshold))
    at = float(np.mean(null_evidence == threshold))
    share_at = min(1.0, max(0.0, (alpha - above) / at)) if at else 0.0
    power = np.mean(alt_evidence > threshold) + share_at * np.mean(alt_evidence == threshold)
    return f"{100.0 * power:.1f}%"


def power_table(
    cells: list[dict[str, Any]], nulls: dict[tuple[str, int, int], dict[str, Any]], alpha: float
) -> str:
    labels = {(name, shift): label for name, shift, label in POWER_CASES}
    lines = [
        "| shift | reference / current | runs | calibrated: test alone | calibrated: verdict"
        " | evidently | evidently at the same false-alarm rate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        null = nulls.get((cell["regime"], cell["n_reference"], cell["n_current"]))
        lines.append(
            f"| {labels[cell['regime'], cell['shift']]} | "
            f"{size_label(cell['n_reference'], cell['n_current'])} | {cell['reps']} | "
            f"{percent(cell['significant'], cell['reps'])} | "
            f"{percent(cell['calibrated'], cell['reps'])} | "
            f"{percent(cell['evidently'], cell['reps'])} | "
            f"{size_adjusted_power(cell, null, alpha)} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and fewer runs")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--regimes", default=",".join(REGIMES), help="comma-separated names")
    parser.add_argument("--max-rows", type=int, default=None, help="skip larger sizes")
    parser.add_argument("--json", type=Path, help="also write every cell's counts here")
    args = parser.parse_args()

    names = [name.strip() for name in args.regimes.split(",") if name.strip()]
    unknown = sorted(set(names) - set(REGIMES))
    if unknown:
        parser.error(f"unknown regime(s): {', '.join(unknown)}")
    sizes = QUICK_SIZES if args.quick else [(n, n) for n in EQUAL_SIZES] + UNEQUAL_SIZES
    power_sizes = QUICK_SIZES[:5] if args.quick else POWER_SIZES
    if args.max_rows:
        sizes = [s for s in sizes if max(s) <= args.max_rows]
        power_sizes = [s for s in power_sizes if max(s) <= args.max_rows]
    null_tasks = [
        (name, 0.0, n_ref, n_cur, null_reps(n_ref, n_cur, args.quick), args.seed)
        for name in names
        for n_ref, n_cur in sizes
    ]
    power_tasks = [
        (name, shift, n_ref, n_cur, power_reps(n_ref, n_cur, args.quick), args.seed)
        for name, shift, _ in POWER_CASES
        if name in names
        for n_ref, n_cur in power_sizes
    ]
    # power sizes need their no-drift cell for the size-adjusted column
    missing_nulls = {(t[0], t[2], t[3]) for t in power_tasks} - {
        (t[0], t[2], t[3]) for t in null_tasks
    }
    null_tasks += [
        (name, 0.0, n_ref, n_cur, null_reps(n_ref, n_cur, args.quick), args.seed)
        for name, n_ref, n_cur in sorted(missing_nulls)
    ]
    tasks = null_tasks + power_tasks
    # the largest first, so that parallel workers finish together
    order = sorted(range(len(tasks)), key=lambda i: -(tasks[i][2] + tasks[i][3]) * tasks[i][4])
    started = time.perf_counter()
    results: dict[int, dict[str, Any]] = {}

    def report(i: int, cell: dict[str, Any]) -> None:
        results[i] = cell
        print(
            f"[{len(results)}/{len(tasks)}] {cell['regime']} shift {cell['shift']} "
            f"{size_label(cell['n_reference'], cell['n_current'])}: {cell['seconds']:.1f}s",
            file=sys.stderr,
            flush=True,
        )

    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(run_cell, tasks[i]): i for i in order}
            for future in futures:
                report(futures[future], future.result())
    else:
        for i in order:
            report(i, run_cell(tasks[i]))
    null_cells = [results[i] for i in range(len(null_tasks))]
    power_cells = [results[i] for i in range(len(null_tasks), len(tasks))]
    nulls = {(c["regime"], c["n_reference"], c["n_current"]): c for c in null_cells}

    print(
        f"# Drift presets: false alarms and power (alpha = {ALPHA}, effect threshold "
        f"{EFFECT_THRESHOLD}, seed {args.seed})\n"
    )
    print(f"cpus: {os.cpu_count()}; {time.perf_counter() - started:.0f} s\n")
    print("## False alarms (no drift: both sides from the same distribution)\n")
    table, flagged, total = far_table(null_cells, ALPHA)
    print(table)
    print(
        f"\n{flagged} of {2 * total} calibrated figures above the 99.9% binomial bound "
        "('!' marks them; Evidently's are marked too)."
    )
    for regime in (REGIMES[name] for name in names):
        print(f"- {regime.name}: {regime.description}")
    if power_cells:
        print("\n## Power (drift: the current side shifted)\n")
        print(power_table(power_cells, nulls, ALPHA))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seed": args.seed,
                    "alpha": ALPHA,
                    "null": [
                        {k: v for k, v in c.items() if k != "evidently_evidence"}
                        for c in null_cells
                    ],
                    "power": [
                        {k: v for k, v in c.items() if k != "evidently_evidence"}
                        for c in power_cells
                    ],
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
