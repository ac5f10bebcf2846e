"""manage.py drift_check passes its arguments through and exits with the check's code."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitoring.management.commands.drift_check import Command, _without_django_options


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    reference = tmp_path / "reference.parquet"
    current = tmp_path / "current.parquet"
    pq.write_table(pa.table({"x": rng.normal(size=2000)}), reference)
    pq.write_table(pa.table({"x": rng.normal(3, 1, 500)}), current)
    return reference, current


def test_command_needs_no_database_or_system_checks():
    assert Command.requires_system_checks == []
    assert Command.requires_migrations_checks is False


def test_run_from_argv_exits_with_the_drift_check_code(files, capsys):
    reference, current = files
    with pytest.raises(SystemExit) as drift:
        Command().run_from_argv(
            ["manage.py", "drift_check", "--json", str(reference), str(current)]
        )
    assert drift.value.code == 1
    assert '"dataset_drift": true' in capsys.readouterr().out
    with pytest.raises(SystemExit) as same:
        Command().run_from_argv(["manage.py", "drift_check", str(reference), str(reference)])
    assert same.value.code == 0
    with pytest.raises(SystemExit) as bad:
        Command().run_from_argv(["manage.py", "drift_check", str(reference), "missing.csv"])
    assert bad.value.code == 2
    assert "missing.csv" in capsys.readouterr().err


def test_django_global_options_are_not_passed_on():
    args = ["--settings=x.y", "a.csv", "--pythonpath", "/p", "b.csv", "--traceback", "--json"]
    assert _without_django_options(args) == ["a.csv", "b.csv", "--json"]


def test_call_command_passes_arguments_through(files, capsys):
    from django.core.management import call_command

    reference, current = files
    with pytest.raises(SystemExit) as drift:
        call_command("drift_check", str(reference), str(current), "--json")
    assert drift.value.code == 1
    assert '"dataset_drift": true' in capsys.readouterr().out
