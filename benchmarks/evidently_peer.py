"""Evidently's DataDriftPreset on the benchmark's Parquet files, as a comparison point.

Runs inside ``benchmarks/.venv-evidently`` (created by ``drift_engine.py --peer evidently``).
Prints one JSON document: the time from reading Parquet to per-column verdicts (imports
excluded), this process's peak RSS, and Evidently's own verdict for every column.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings

os.environ.setdefault("DO_NOT_TRACK", "1")

METHOD_NAMES = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
    "PSI": "psi",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("reference")
    parser.add_argument("current")
    parser.add_argument("--numerical", default="")
    parser.add_argument("--categorical", default="")
    args = parser.parse_args()
    numerical = [c for c in args.numerical.split(",") if c]
    categorical = [c for c in args.categorical.split(",") if c]

    warnings.filterwarnings("ignore")
    import evidently
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    started = time.perf_counter()
    reference = pd.read_parquet(args.reference, columns=numerical + categorical)
    current = pd.read_parquet(args.current, columns=numerical + categorical)
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    document = snapshot.dict()
    seconds = time.perf_counter() - started

    features: dict[str, dict] = {}
    scores = {m["id"]: m for m in document["metrics"]}
    dataset: dict = {}
    for metric in document["metrics"]:
        if metric["config"]["type"].endswith("DriftedColumnsCount"):
            dataset = {
                "n_drifted": int(metric["value"]["count"]),
                "drift_share": metric["value"]["share"],
            }
    for test in document["tests"]:
        params = test["metric_config"]["params"]
        if not params["type"].endswith("ValueDrift"):
            continue
        metric = scores[test["metric_config"]["metric_id"]]
        features[params["column"]] = {
            "method": METHOD_NAMES.get(params["method"], params["method"]),
            "score": metric["value"],
            "threshold": params["threshold"],
            "drifted": test["status"] == "FAIL",
        }
    dataset["dataset_drift"] = dataset.get("drift_share", 0.0) >= 0.5
    print(
        json.dumps(
            {
                "evidently_version": evidently.__version__,
                "seconds": seconds,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                **dataset,
                "features": features,
            }
        )
    )


if __name__ == "__main__":
    main()
