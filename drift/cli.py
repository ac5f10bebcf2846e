"""``drift_check REFERENCE CURRENT``: the CI gate, as a plain function so it runs without Django.

Exit codes: 0 no dataset drift, 1 dataset drift, 2 bad input (missing file, unknown column,
unreadable data, unknown method name, bad option) with a message naming the problem on stderr.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from .engine import (
    CORRECTIONS,
    STATUS_TYPE_MISMATCH,
    DataReadError,
    DatasetDriftResult,
    DriftConfig,
    DriftConfigError,
    FeatureDriftResult,
    compute_drift,
    infer_column_types,
    read_columns,
)
from .profile import build_reference_profile
from .stattests import CATEGORICAL, METHODS, NUMERICAL

EXIT_NO_DRIFT = 0
EXIT_DRIFT = 1
EXIT_BAD_INPUT = 2
PROG = "drift_check"


class BadInput(Exception):
    """Anything that makes the check impossible; reported on stderr with exit code 2."""


class _HelpShown(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports instead of exiting, and prints help to the given stream."""

    def __init__(self, stdout: TextIO, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stdout = stdout

    def error(self, message: str) -> NoReturn:
        raise BadInput(f"{message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise BadInput(message.strip())
        raise _HelpShown

    def print_help(self, file: TextIO | None = None) -> None:
        self._stdout.write(self.format_help())


def _parser(stdout: TextIO) -> _Parser:
    parser = _Parser(
        stdout,
        prog=PROG,
        description="Compare CURRENT data with REFERENCE data column by column and decide drift "
        "(Evidently DataDriftPreset defaults). Reads CSV or Parquet.",
    )
    parser.add_argument("reference", help="reference data file (CSV or Parquet)")
    parser.add_argument("current", help="current data file (CSV or Parquet)")
    parser.add_argument(
        "--numerical", action="append", default=[], metavar="A,B", help="numerical columns"
    )
    parser.add_argument(
        "--categorical", action="append", default=[], metavar="C,D", help="categorical columns"
    )
    parser.add_argument(
        "--method",
        action="append",
        default=[],
        metavar="COLUMN=METHOD",
        help=f"drift method for a column, one of: {', '.join(METHODS)}",
    )
    parser.add_argument(
        "--threshold", action="append", default=[], metavar="COLUMN=VALUE", help="drift threshold"
    )
    parser.add_argument(
        "--drift-share",
        type=float,
        default=0.5,
        help="dataset drift when this share of columns drifts (default 0.5)",
    )
    parser.add_argument(
        "--correction",
        choices=[c for c in CORRECTIONS if c],
        default=None,
        help="multiple-testing correction for p-value tests",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _names(values: Sequence[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        column, sep, setting = value.rpartition("=")
        if not sep or not column.strip() or not setting.strip():
            raise BadInput(f"{option} expects COLUMN=VALUE, got {value!r}")
        pairs[column.strip()] = setting.strip()
    return pairs


def _config(args: argparse.Namespace) -> DriftConfig:
    thresholds: dict[str, float] = {}
    for column, raw in _pairs(args.threshold, "--threshold").items():
        try:
            thresholds[column] = float(raw)
        except ValueError:
            raise BadInput(f"--threshold for {column!r}: not a number: {raw!r}") from None
    return DriftConfig(
        method_overrides=_pairs(args.method, "--method"),
        threshold_overrides=thresholds,
        drift_share=args.drift_share,
        correction=args.correction,
    )


def _column_types(args: argparse.Namespace) -> dict[str, str] | None:
    numerical = _names(args.numerical)
    categorical = _names(args.categorical)
    both = sorted(set(numerical) & set(categorical))
    if both:
        raise BadInput(f"column(s) given as both numerical and categorical: {', '.join(both)}")
    if not numerical and not categorical:
        return None
    return {**dict.fromkeys(numerical, NUMERICAL), **dict.fromkeys(categorical, CATEGORICAL)}


def check(args: argparse.Namespace) -> DatasetDriftResult:
    """Read both files, profile the reference and compare; raises BadInput on bad input."""
    config = _config(args)
    column_types = _column_types(args)
    try:
        if column_types is None:
            reference = read_columns([args.reference], None)
            column_types = infer_column_types(reference)
            if not column_types:
                raise BadInput(f"{args.reference}: no numerical or categorical columns found")
            reference = reference.select(list(column_types))
        else:
            categorical = [c for c, t in column_types.items() if t == CATEGORICAL]
            reference = read_columns(
                [args.reference], list(column_types), dictionary_columns=categorical
            )
        categorical = [c for c, t in column_types.items() if t == CATEGORICAL]
        current = read_columns([args.current], list(column_types), dictionary_columns=categorical)
        profile = build_reference_profile(reference, column_types)
    except FileNotFoundError as exc:
        raise BadInput(str(exc).removeprefix("[Errno 2] ")) from exc
    except KeyError as exc:  # str(KeyError) would add quotes around the message
        raise BadInput(str(exc.args[0]) if exc.args else repr(exc)) from exc
    except (DataReadError, ValueError) as exc:
        raise BadInput(str(exc)) from exc
    result = compute_drift(profile, current, config)
    mismatched = [f for f in result.features if f.status == STATUS_TYPE_MISMATCH]
    if mismatched:
        raise BadInput(
            "; ".join(f"{args.current}: column {f.column!r}: {f.message}" for f in mismatched)
        )
    return result


def _json_document(result: DatasetDriftResult) -> dict[str, Any]:
    def feature(f: FeatureDriftResult) -> dict[str, Any]:
        full = f.to_dict()
        return {
            "column": f.column,
            "type": f.column_type,
            "method": f.method,
            "statistic": full["statistic"],
            "p_value": full["p_value"],
            "threshold": full["threshold"],
            "drifted": bool(f.drifted),
        }

    return {
        "dataset_drift": bool(result.dataset_drift),
        "drift_share": float(result.drift_share),
        "features": [feature(f) for f in result.features],
    }


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: DatasetDriftResult) -> str:
    """An aligned, human-readable table followed by the dataset verdict."""
    header = ("column", "type", "method", "statistic", "p_value", "threshold", "drifted", "status")
    rows = [
        (
            f.column,
            f.column_type,
            f.method or "-",
            _number(f.statistic, ".6g"),
            _number(f.p_value, ".4g"),
            _number(f.threshold, "g"),
            "YES" if f.drifted else "no",
            f.status,
        )
        for f in result.features
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric_columns = {3, 4, 5}

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric_columns else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    verdict = "DRIFT" if result.dataset_drift else "no drift"
    lines.append("")
    lines.append(
        f"Dataset: {verdict} - {result.n_drifted} of {result.n_tested} tested columns drifted "
        f"(share {result.drift_share:.3f}, threshold {result.drift_share_threshold:g})"
    )
    return "\n".join(lines) + "\n"


def run_drift_check(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the check on ``argv`` (without the program name); returns the exit code."""
    try:
        args = _parser(stdout).parse_args(list(argv))
        result = check(args)
    except _HelpShown:
        return EXIT_NO_DRIFT
    except BadInput as exc:
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except DriftConfigError as exc:
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_BAD_INPUT
    for feature in result.features:
        if not feature.tested:
            stderr.write(
                f"{PROG}: warning: column {feature.column!r} not tested: {feature.status}\n"
            )
    if args.json:
        stdout.write(json.dumps(_json_document(result), allow_nan=False) + "\n")
    else:
        stdout.write(format_table(result))
    return EXIT_DRIFT if result.dataset_drift else EXIT_NO_DRIFT


def main() -> None:  # pragma: no cover - thin process wrapper
    import sys

    sys.exit(run_drift_check(sys.argv[1:], sys.stdout, sys.stderr))


if __name__ == "__main__":  # pragma: no cover
    main()
