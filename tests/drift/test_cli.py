"""drift_check: exit codes 0/1/2, the JSON contract and the readable table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from drift.cli import run_drift_check

rng = np.random.default_rng(21)


def write(path: Path, columns: dict) -> Path:
    table = pa.table(columns)
    if path.suffix == ".csv":
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def dataset(n: int, shift: float = 0.0) -> dict:
    return {
        "age": rng.normal(40 + shift * 10, 10, n),
        "income": rng.lognormal(10 + shift, 1, n),
        "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6 - shift / 2, 0.3, 0.1 + shift / 2]),
    }


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "reference": write(tmp_path / "reference.parquet", dataset(3000)),
        "same": write(tmp_path / "same.csv", dataset(1000)),
        "shifted": write(tmp_path / "shifted.parquet", dataset(1000, shift=0.5)),
    }


def check(*argv: str | Path) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_drift_check([str(arg) for arg in argv], stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_no_drift_exits_0_with_a_table(files):
    code, out, err = check(files["reference"], files["same"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "column",
        "type",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "effect",
        "min_effect",
        "drifted",
        "status",
        "missing",
    ]
    assert [line.split()[:3] for line in lines[2:5]] == [
        ["age", "numerical", "anderson_darling"],
        ["income", "numerical", "anderson_darling"],
        ["plan", "categorical", "chi2_homogeneity"],
    ]
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule are aligned
    assert "Dataset: no drift - 0 of 3 tested columns drifted" in out
    assert "preset calibrated" in out
    assert "p-value <= threshold (alpha) and its effect size" in out


def test_drift_exits_1(files):
    code, out, _ = check(files["reference"], files["shifted"])
    assert code == 1
    assert "Dataset: DRIFT" in out


def test_json_output_shape(files):
    code, out, _ = check(
        files["reference"],
        files["shifted"],
        "--numerical",
        "age,income",
        "--categorical",
        "plan",
        "--method",
        "age=ks",
        "--json",
    )
    document = json.loads(out)
    assert code == 1
    assert set(document) == {
        "dataset_drift",
        "drift_share",
        "drift_share_threshold",
        "preset",
        "n_tested",
        "n_drifted",
        "untested",
        "features",
    }
    assert document["dataset_drift"] is True and document["drift_share"] == 1.0
    assert (document["preset"], document["untested"]) == ("calibrated", [])
    assert [set(f) for f in document["features"]] == [
        {
            "column",
            "type",
            "preset",
            "method",
            "statistic",
            "p_value",
            "p_value_adjusted",
            "threshold",
            "effect_size",
            "effect_measure",
            "effect_threshold",
            "significant",
            "drifted",
            "status",
            "message",
            "n_reference",
            "n_current",
            "n_current_null",
        }
    ] * 3
    age, income, plan = document["features"]
    assert (age["type"], age["method"], age["threshold"]) == ("numerical", "ks", 0.05)
    assert 0 <= age["p_value"] <= 0.05 and age["effect_size"] == age["statistic"]
    assert (income["method"], income["effect_measure"]) == ("anderson_darling", "ks_distance")
    assert (plan["type"], plan["method"]) == ("categorical", "chi2_homogeneity")
    assert plan["effect_measure"] == "total_variation" and plan["significant"] is True


def test_the_evidently_preset_reproduces_evidentlys_choices(files):
    code, out, _ = check(files["reference"], files["shifted"], "--preset", "evidently", "--json")
    document = json.loads(out)
    assert code == 1 and document["preset"] == "evidently"
    assert [(f["method"], f["effect_size"]) for f in document["features"]] == [
        ("wasserstein", None),
        ("wasserstein", None),
        ("jensenshannon", None),
    ]
    code, out, _ = check(
        files["reference"], files["shifted"], "--column-preset", "plan=evidently", "--json"
    )
    assert [f["preset"] for f in json.loads(out)["features"]] == [
        "calibrated",
        "calibrated",
        "evidently",
    ]


def test_effect_threshold_and_minimum_sample_size_options(files):
    code, out, _ = check(
        files["reference"], files["shifted"], "--effect-threshold", "0.9", "--json"
    )
    document = json.loads(out)
    assert code == 0  # significant everywhere, but no shift that large
    assert all(f["significant"] and not f["drifted"] for f in document["features"])
    code, out, _ = check(
        files["reference"],
        files["shifted"],
        "--effect-threshold",
        "0.9",
        "--effect-threshold",
        "age=0.05",
        "--json",
    )
    assert [f["drifted"] for f in json.loads(out)["features"]] == [True, False, False]
    code, out, err = check(files["reference"], files["shifted"], "--min-sample-size", "5000")
    assert code == 2 and "nothing was tested" in err
    assert "insufficient_data (3000 reference and 1000 current values" in err


def test_only_the_named_columns_are_checked(files):
    code, out, _ = check(files["reference"], files["shifted"], "--categorical", "plan", "--json")
    assert [f["column"] for f in json.loads(out)["features"]] == ["plan"]
    assert code == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--numerical", "salary"], "'salary'"),
        (["--method", "age=kolmogorov"], "unknown drift method 'kolmogorov'"),
        (["--preset", "strict"], "invalid choice: 'strict'"),
        (["--column-preset", "age=strict"], "column 'age': unknown preset 'strict'"),
        (["--effect-threshold", "2"], "effect threshold must be a number in [0, 1]"),
        (["--effect-threshold", "big"], "--effect-threshold: not a number"),
        (["--min-sample-size", "0"], "min_sample_size must be a positive integer"),
        (["--delimiter", ";;"], "--delimiter must be one character"),
        (["--method", "plan=wasserstein"], "'plan': 'wasserstein' cannot test categorical"),
        (["--method", "age"], "--method expects COLUMN=VALUE"),
        (["--threshold", "age=high"], "not a number"),
        (["--numerical", "plan"], "'plan' is declared numerical"),
        (["--numerical", "age", "--categorical", "age"], "both numerical and categorical"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(files, extra, message):
    code, out, err = check(files["reference"], files["same"], *extra)
    assert code == 2
    assert out == ""
    assert message in err


def test_missing_or_unreadable_files_exit_2(files, tmp_path):
    code, _, err = check(tmp_path / "absent.parquet", files["same"])
    assert code == 2 and "absent.parquet" in err
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"\x00\x01 definitely not parquet")
    code, _, err = check(files["reference"], garbage, "--numerical", "age")
    assert code == 2 and "garbage.parquet" in err and "cannot read" in err


def test_text_in_a_numerical_current_column_exits_2(files, tmp_path):
    current = write(tmp_path / "text.csv", {"age": ["young", "old"]})
    code, _, err = check(files["reference"], current, "--numerical", "age")
    assert code == 2 and "'age'" in err


def test_empty_current_file_exits_2_with_the_reason(files, tmp_path):
    empty = write(tmp_path / "empty.parquet", {"age": pa.array([], pa.float64())})
    code, out, err = check(files["reference"], empty, "--numerical", "age")
    assert code == 2
    assert "column 'age' not tested: empty_current (no rows in the current data)" in err
    assert "nothing was tested, so there is no verdict" in err
    assert "empty_current" in out


def test_all_missing_current_columns_exit_2(files, tmp_path):
    nulls = write(
        tmp_path / "nulls.csv",
        {"age": pa.array([None] * 50, pa.float64()), "plan": pa.array([None] * 50, pa.string())},
    )
    assert nulls.read_text().splitlines()[1] == ","  # missing values are empty cells in CSV
    code, _, err = check(files["reference"], nulls, "--numerical", "age", "--categorical", "plan")
    assert code == 2
    assert "'age' not tested: all_null" in err and "'plan' not tested: all_null" in err


def test_untested_columns_are_listed_and_can_be_required(files, tmp_path):
    current = dataset(500, shift=0.5)
    current["plan"] = pa.array([None] * 500, pa.string())
    partial = write(tmp_path / "partial.parquet", current)
    code, out, err = check(files["reference"], partial)
    assert code == 1
    assert "column 'plan' not tested: all_null" in err
    assert "Not tested, so not in the share (drifted / tested columns): 1 column(s): plan" in out
    assert "2 of 2 tested columns drifted" in out
    code, out, err = check(files["reference"], partial, "--require-all-tested", "--json")
    assert code == 2 and "--require-all-tested" in err
    assert json.loads(out)["untested"] == [
        {
            "column": "plan",
            "status": "all_null",
            "reason": "all_null (every current value is missing)",
        }
    ]


def test_missing_values_are_missing_in_csv_and_parquet_alike(tmp_path):
    """Regression: an empty CSV cell in a text column was read as the category ""."""
    generator = np.random.default_rng(4)
    plan = generator.choice(["basic", "pro", "team"], 2000).astype(object)
    plan[generator.random(2000) < 0.3] = None  # many missing values in the current window
    reference = {
        "plan": generator.choice(["basic", "pro", "team"], 3000),
        "x": generator.normal(size=3000),
    }
    current = {"plan": pa.array(plan, pa.string()), "x": generator.normal(size=2000)}
    outputs = {}
    for suffix in (".csv", ".parquet"):
        ref = write(tmp_path / f"reference{suffix}", reference)
        cur = write(tmp_path / f"current{suffix}", current)
        for preset in ("calibrated", "evidently"):
            code, out, _ = check(ref, cur, "--preset", preset, "--json")
            outputs[suffix, preset] = (code, json.loads(out))
    for preset in ("calibrated", "evidently"):
        assert outputs[".csv", preset] == outputs[".parquet", preset]
        code, document = outputs[".csv", preset]
        plan_result = document["features"][0]
        assert code == 0 and not plan_result["drifted"]
        assert plan_result["n_current_null"] == int(pd_null_count(plan))
        assert plan_result["n_current"] == 2000 - plan_result["n_current_null"]


def pd_null_count(values: np.ndarray) -> int:
    return sum(value is None for value in values)


def test_a_quoted_empty_string_stays_a_value(tmp_path):
    reference = tmp_path / "reference.csv"
    reference.write_text("plan\n" + "a\n" * 40 + '""\n' * 40)
    current = tmp_path / "current.csv"
    current.write_text("plan\n" + "a\n" * 40 + "\n" * 40)
    _, out, _ = check(reference, current, "--categorical", "plan", "--json")
    feature = json.loads(out)["features"][0]
    assert (feature["n_reference"], feature["n_current"], feature["n_current_null"]) == (80, 40, 0)


def test_duplicate_column_names_exit_2(tmp_path, files):
    csv = tmp_path / "dup.csv"
    csv.write_text("age,age,plan\n1,2,a\n3,4,b\n")
    code, _, err = check(files["reference"], csv, "--numerical", "age")
    assert code == 2 and "duplicate column name(s) 'age'" in err
    parquet = tmp_path / "dup.parquet"
    pq.write_table(
        pa.Table.from_arrays([pa.array([1.0]), pa.array([2.0])], names=["age", "age"]), parquet
    )
    code, _, err = check(parquet, files["same"])
    assert code == 2 and "duplicate column name(s) 'age'" in err


@pytest.mark.parametrize(("separator", "named"), [(";", "';'"), ("\t", "'\\t' (tab)")])
def test_a_csv_split_by_another_delimiter_exits_2_and_delimiter_fixes_it(
    tmp_path, separator, named
):
    generator = np.random.default_rng(5)
    for name, n in (("reference", 400), ("current", 300)):
        rows = [
            f"{x:.6f}{separator}{c}"
            for x, c in zip(generator.normal(size=n), generator.choice(list("ab"), n), strict=True)
        ]
        (tmp_path / f"{name}.csv").write_text(f"x{separator}plan\n" + "\n".join(rows) + "\n")
    reference, current = tmp_path / "reference.csv", tmp_path / "current.csv"
    code, out, err = check(reference, current)
    assert code == 2 and out == ""
    assert f"one column, named {f'x{separator}plan'!r}; it looks {named}-separated" in err
    assert "pass --delimiter" in err
    option = "tab" if separator == "\t" else separator
    code, out, err = check(reference, current, "--delimiter", option, "--json")
    assert code == 0, err
    assert [f["column"] for f in json.loads(out)["features"]] == ["x", "plan"]


def test_a_utf8_byte_order_mark_is_skipped(tmp_path, files):
    current = tmp_path / "bom.csv"
    rows = "\n".join(
        f"{x},{y},basic"
        for x, y in zip(rng.normal(40, 10, 300), rng.lognormal(10, 1, 300), strict=True)
    )
    current.write_bytes("\ufeffage,income,plan\n".encode() + rows.encode() + b"\n")
    code, out, err = check(files["reference"], current, "--numerical", "age,income", "--json")
    assert [f["column"] for f in json.loads(out)["features"]] == ["age", "income"]
    assert code == 0, err


def test_a_numeric_column_given_as_categorical_with_mostly_unique_values_exits_2(files):
    code, _, err = check(files["reference"], files["same"], "--categorical", "age")
    assert code == 2
    assert "column 'age' has 3000 distinct values in 3000 rows" in err
    assert "pass it with --numerical" in err


def test_an_identifier_like_text_column_warns(tmp_path, files):
    ids = {"user": [f"u{i}" for i in range(500)]}
    code, _, err = check(
        write(tmp_path / "ids.parquet", ids),
        write(tmp_path / "ids2.parquet", ids),
        "--categorical",
        "user",
    )
    assert (
        "warning: " in err and "'user' has 500 distinct values in 500 rows (an identifier?)" in err
    )
    assert code == 0


def test_help_exits_0(files):
    code, out, _ = check("--help")
    assert code == 0 and "usage: drift_check" in out


def test_console_script_runs_without_django(tmp_path):
    """`drift-check` is the engine's own entry point: it must not start or even import Django,
    nor (with the calibrated preset, on Parquet files) scipy.stats, pyarrow.dataset, pandas or
    pyarrow.compute: each costs 0.05-1 s of start-up."""
    import subprocess
    import sys

    rng = np.random.default_rng(1)
    reference, current = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(
        pa.table({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)}), reference
    )
    pq.write_table(
        pa.table({"x": rng.normal(4, 1, 300), "c": rng.choice(["a", "b"], 300)}), current
    )
    probe = (
        "import sys\n"
        "from drift.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    assert 'django' not in sys.modules, 'django imported'\n"
        "    assert 'scipy.stats' not in sys.modules, 'scipy.stats imported'\n"
        "    assert 'pyarrow.dataset' not in sys.modules, 'pyarrow.dataset imported'\n"
        "    assert 'pandas' not in sys.modules, 'pandas imported'\n"
        "    assert 'pyarrow.compute' not in sys.modules, 'pyarrow.compute imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(reference), str(current)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "imported" not in done.stderr
