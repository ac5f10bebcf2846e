"""``manage.py drift_check REFERENCE CURRENT [...]``: the CI drift gate (no database needed)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from drift.cli import run_drift_check

# Options manage.py itself understands; they are not the drift check's.
_DJANGO_OPTIONS_WITH_VALUE = ("--settings", "--pythonpath")
_DJANGO_FLAGS = ("--traceback", "--no-color", "--force-color")


def _without_django_options(args: list[str]) -> list[str]:
    kept: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in _DJANGO_OPTIONS_WITH_VALUE:
            skip_next = True
        elif arg.startswith(tuple(f"{option}=" for option in _DJANGO_OPTIONS_WITH_VALUE)):
            continue
        elif arg not in _DJANGO_FLAGS:
            kept.append(arg)
    return kept


class Command(BaseCommand):
    help = (
        "Compare CURRENT with REFERENCE data (CSV or Parquet) for drift. Exit code 0: no "
        "dataset drift, 1: drift, 2: bad input. Run with --help for the options."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("drift_args", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv: list[str]) -> None:
        # Hand the raw arguments to the drift check so its own options and --help apply.
        sys.exit(run_drift_check(_without_django_options(argv[2:]), sys.stdout, sys.stderr))

    def handle(self, *args: Any, **options: Any) -> None:
        drift_args = list(options.get("drift_args") or args)
        sys.exit(run_drift_check(drift_args, self.stdout, self.stderr))
