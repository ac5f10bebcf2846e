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
        "drifted",
        "status",
    ]
    assert [line.split()[0] for line in lines[2:5]] == ["age", "income", "plan"]
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule are aligned
    assert "Dataset: no drift - 0 of 3 tested columns drifted" in out


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
    assert set(document) == {"dataset_drift", "drift_share", "features"}
    assert document["dataset_drift"] is True and document["drift_share"] == 1.0
    assert [set(f) for f in document["features"]] == [
        {"column", "type", "method", "statistic", "p_value", "threshold", "drifted"}
    ] * 3
    age, income, plan = document["features"]
    assert (age["type"], age["method"], age["threshold"]) == ("numerical", "ks", 0.05)
    assert 0 <= age["p_value"] <= 0.05
    assert (income["method"], income["p_value"]) == ("wasserstein", None)
    assert (plan["type"], plan["method"], plan["p_value"]) == ("categorical", "jensenshannon", None)


def test_only_the_named_columns_are_checked(files):
    code, out, _ = check(files["reference"], files["shifted"], "--categorical", "plan", "--json")
    assert [f["column"] for f in json.loads(out)["features"]] == ["plan"]
    assert code == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--numerical", "salary"], "'salary'"),
        (["--method", "age=kolmogorov"], "unknown drift method 'kolmogorov'"),
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


def test_empty_current_file_is_not_drift_and_warns(files, tmp_path):
    empty = write(tmp_path / "empty.parquet", {"age": pa.array([], pa.float64())})
    code, out, err = check(files["reference"], empty, "--numerical", "age")
    assert code == 0
    assert "not tested: empty_current" in err
    assert "empty_current" in out


def test_help_exits_0(files):
    code, out, _ = check("--help")
    assert code == 0 and "usage: drift_check" in out


def test_console_script_runs_without_django(tmp_path):
    """`drift-check` is the engine's own entry point: it must not start or even import Django."""
    import subprocess
    import sys

    rng = np.random.default_rng(1)
    reference, current = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(pa.table({"x": rng.normal(size=500)}), reference)
    pq.write_table(pa.table({"x": rng.normal(4, 1, 300)}), current)
    probe = (
        "import sys\n"
        "from drift.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    assert 'django' not in sys.modules, 'django imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(reference), str(current)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "django imported" not in done.stderr
