"""``drift_check REFERENCE CURRENT``: the CI gate, as a plain function so it runs without Django.

Exit codes: 0 no dataset drift, 1 dataset drift, 2 no verdict — bad input (missing file,
unknown column, unreadable data, a column named twice in a header, a CSV that looks split by
another delimiter, a numeric column given as categorical, unknown method or preset, bad option)
or nothing tested (every column empty, all missing or with too few values; with
``--require-all-tested``, any column untested). The reason goes to stderr.

The default preset is ``calibrated`` (``--preset evidently`` reproduces Evidently 0.7's
DataDriftPreset). See docs/drift.md.

Only numpy and pyarrow are imported to run the calibrated preset; scipy (for the evidently
preset's tests) and pyarrow's Parquet, CSV and dataset readers load when they are needed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

import pyarrow as pa

from .engine import (
    CORRECTIONS,
    PRESET_CALIBRATED,
    PRESETS,
    STATUS_TYPE_MISMATCH,
    DataReadError,
    DatasetDriftResult,
    DelimiterError,
    DriftConfig,
    DriftConfigError,
    FeatureDriftResult,
    compute_drift,
    infer_column_types,
    read_columns,
)
from .profile import ReferenceProfile, build_reference_profile
from .stattests import CATEGORICAL, METHODS, NUMERICAL

EXIT_NO_DRIFT = 0
EXIT_DRIFT = 1
EXIT_BAD_INPUT = 2
PROG = "drift_check"
DEFAULT_PRESET = PRESET_CALIBRATED
MOSTLY_UNIQUE_SHARE = 0.5
MOSTLY_UNIQUE_MIN = 20
"""A categorical column whose reference has more than this many distinct values, and more than
this share of its rows distinct, is an identifier or a measurement, not a category."""
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


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
        description="Compare CURRENT data with REFERENCE data column by column and decide drift. "
        "Reads CSV or Parquet. Exit code 0: no dataset drift, 1: dataset drift, 2: no verdict "
        "(bad input, or nothing could be tested). See docs/drift.md.",
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
        "--preset",
        choices=PRESETS,
        default=DEFAULT_PRESET,
        help="calibrated (default): Anderson-Darling / chi-square homogeneity, drift needs "
        "p <= alpha and effect size >= --effect-threshold; evidently: Evidently 0.7's "
        "DataDriftPreset",
    )
    parser.add_argument(
        "--column-preset",
        action="append",
        default=[],
        metavar="COLUMN=PRESET",
        help="preset for one column",
    )
    parser.add_argument(
        "--method",
        action="append",
        default=[],
        metavar="COLUMN=METHOD",
        help=f"drift method for a column, one of: {', '.join(METHODS)}",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="alpha of a p-value method (default 0.05) or a distance's threshold, per column",
    )
    parser.add_argument(
        "--effect-threshold",
        action="append",
        default=[],
        metavar="VALUE|COLUMN=VALUE",
        help="calibrated: smallest effect size (KS distance / total variation) that is drift "
        "(default 0.1), for all columns or one",
    )
    parser.add_argument(
        "--min-sample-size",
        type=int,
        default=30,
        metavar="N",
        help="calibrated: fewer values than this on either side is insufficient_data (default 30)",
    )
    parser.add_argument(
        "--drift-share",
        type=float,
        default=0.5,
        help="dataset drift when this share of the tested columns drifts (default 0.5)",
    )
    parser.add_argument(
        "--correction",
        choices=[c for c in CORRECTIONS if c],
        default=None,
        help="multiple-testing correction of the p-values across columns",
    )
    parser.add_argument(
        "--delimiter",
        default=None,
        metavar="CHAR",
        help="CSV delimiter (default: tab for .tsv/.tab, else comma); 'tab' or '\\t' for a tab",
    )
    parser.add_argument(
        "--require-all-tested",
        action="store_true",
        help="exit 2 when any column could not be tested (by default such columns are listed "
        "and left out of the drift share)",
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


def _number(raw: str, what: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise BadInput(f"{what}: not a number: {raw!r}") from None


def _delimiter(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = DELIMITER_NAMES.get(raw.lower(), raw)
    if len(value) != 1:
        raise BadInput(f"--delimiter must be one character (or 'tab'), got {raw!r}")
    return value


def _config(args: argparse.Namespace) -> DriftConfig:
    thresholds = {
        column: _number(raw, f"--threshold for {column!r}")
        for column, raw in _pairs(args.threshold, "--threshold").items()
    }
    effect_threshold: float | None = None
    per_column: list[str] = []
    for value in args.effect_threshold:
        if "=" in value:
            per_column.append(value)
        else:
            effect_threshold = _number(value, "--effect-threshold")
    effect_overrides = {
        column: _number(raw, f"--effect-threshold for {column!r}")
        for column, raw in _pairs(per_column, "--effect-threshold").items()
    }
    extra: dict[str, Any] = {}
    if effect_threshold is not None:
        extra["effect_threshold"] = effect_threshold
    return DriftConfig(
        method_overrides=_pairs(args.method, "--method"),
        threshold_overrides=thresholds,
        drift_share=args.drift_share,
        correction=args.correction,
        preset=args.preset,
        preset_overrides=_pairs(args.column_preset, "--column-preset"),
        effect_threshold_overrides=effect_overrides,
        min_sample_size=args.min_sample_size,
        **extra,
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


def _categorical_problems(reference: pa.Table, profile: ReferenceProfile, path: str) -> list[str]:
    """Categorical columns with mostly distinct values: numbers refuse, text warns."""
    warnings: list[str] = []
    for name, column in profile.columns.items():
        if column.column_type != CATEGORICAL or column.n <= MOSTLY_UNIQUE_MIN:
            continue
        distinct = column.n_unique
        if distinct <= max(MOSTLY_UNIQUE_MIN, MOSTLY_UNIQUE_SHARE * column.n):
            continue
        value_type = reference.schema.field(name).type
        if pa.types.is_dictionary(value_type):
            value_type = value_type.value_type
        numeric = (
            pa.types.is_integer(value_type)
            or pa.types.is_floating(value_type)
            or pa.types.is_decimal(value_type)
        )
        described = f"{path}: column {name!r} has {distinct} distinct values in {column.n} rows"
        if numeric:
            raise BadInput(
                f"{described}: a numeric column given as categorical would make every value its "
                "own level; pass it with --numerical"
            )
        warnings.append(
            f"{described} (an identifier?): as a categorical column almost every value is a "
            "level of its own, so its test can say little"
        )
    return warnings


def check(args: argparse.Namespace, stderr: TextIO | None = None) -> DatasetDriftResult:
    """Read both files, profile the reference and compare; raises BadInput on bad input."""
    config = _config(args)
    column_types = _column_types(args)
    delimiter = _delimiter(args.delimiter)
    try:
        if column_types is None:
            reference = read_columns(
                [args.reference], None, delimiter=delimiter, dictionary_strings=True
            )
            column_types = infer_column_types(reference)
            if not column_types:
                raise BadInput(f"{args.reference}: no numerical or categorical columns found")
            reference = reference.select(list(column_types))
        else:
            categorical = [c for c, t in column_types.items() if t == CATEGORICAL]
            reference = read_columns(
                [args.reference],
                list(column_types),
                dictionary_columns=categorical,
                delimiter=delimiter,
            )
        profile = build_reference_profile(reference, column_types)
        for warning in _categorical_problems(reference, profile, args.reference):
            if stderr is not None:
                stderr.write(f"{PROG}: warning: {warning}\n")
        categorical = [c for c, t in column_types.items() if t == CATEGORICAL]
        current = read_columns(
            [args.current], list(column_types), dictionary_columns=categorical, delimiter=delimiter
        )
    except FileNotFoundError as exc:
        raise BadInput(str(exc).removeprefix("[Errno 2] ")) from exc
    except KeyError as exc:  # str(KeyError) would add quotes around the message
        raise BadInput(str(exc.args[0]) if exc.args else repr(exc)) from exc
    except DelimiterError as exc:
        option = "tab" if exc.suggested == "\t" else exc.suggested
        raise BadInput(f"{exc}; pass --delimiter {option!r} (or the right one)") from exc
    except (DataReadError, ValueError) as exc:
        raise BadInput(str(exc)) from exc
    result = compute_drift(profile, current, config)
    mismatched = [f for f in result.features if f.status == STATUS_TYPE_MISMATCH]
    if mismatched:
        raise BadInput(
            "; ".join(f"{args.current}: column {f.column!r}: {f.message}" for f in mismatched)
        )
    return result


def _untested_reason(feature: FeatureDriftResult) -> str:
    reasons = {
        "empty_current": "no rows in the current data",
        "all_null": "every current value is missing",
        "empty_reference": "every reference value is missing",
        "missing_column": "absent from the current data",
        "insufficient_data": feature.message or "too few values",
        "error": feature.message or "could not be computed",
    }
    return f"{feature.status} ({reasons.get(feature.status, feature.message or '')})"


def _json_document(result: DatasetDriftResult) -> dict[str, Any]:
    def feature(f: FeatureDriftResult) -> dict[str, Any]:
        full = f.to_dict()
        return {
            "column": f.column,
            "type": f.column_type,
            "preset": f.preset,
            "method": f.method,
            "statistic": full["statistic"],
            "p_value": full["p_value"],
            "p_value_adjusted": full["p_value_adjusted"],
            "threshold": full["threshold"],
            "effect_size": full["effect_size"],
            "effect_measure": f.effect_measure,
            "effect_threshold": full["effect_threshold"],
            "significant": full["significant"],
            "drifted": bool(f.drifted),
            "status": f.status,
            "message": f.message,
            "n_reference": f.n_reference,
            "n_current": f.n_current,
            "n_current_null": f.n_current_null,
        }

    return {
        "dataset_drift": bool(result.dataset_drift),
        "drift_share": float(result.drift_share),
        "drift_share_threshold": float(result.drift_share_threshold),
        "preset": result.preset,
        "n_tested": result.n_tested,
        "n_drifted": result.n_drifted,
        "untested": [
            {"column": f.column, "status": f.status, "reason": _untested_reason(f)}
            for f in result.untested
        ],
        "features": [feature(f) for f in result.features],
    }


def _format(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: DatasetDriftResult) -> str:
    """An aligned, human-readable table, the dataset verdict and the rule behind it."""
    header = (
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
    )
    rows = []
    for f in result.features:
        p_value = f.p_value_adjusted if f.p_value_adjusted is not None else f.p_value
        missing = f.current_null_rate
        rows.append(
            (
                f.column,
                f.column_type,
                f.method or "-",
                _format(f.statistic, ".6g"),
                _format(p_value, ".4g"),
                _format(f.threshold, "g"),
                _format(f.effect_size, ".4f"),
                _format(f.effect_threshold, "g"),
                "YES" if f.drifted else ("-" if not f.tested else "no"),
                f.status,
                "-" if missing is None else f"{missing:.1%}",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric_columns = {3, 4, 5, 6, 7, 10}

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric_columns else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    verdict = "DRIFT" if result.dataset_drift else "no drift"
    comparison = ">=" if result.dataset_drift else "<"
    lines.append("")
    lines.append(
        f"Dataset: {verdict} - {result.n_drifted} of {result.n_tested} tested columns drifted "
        f"(share {result.drift_share:.3f} {comparison} threshold "
        f"{result.drift_share_threshold:g}); preset {result.preset}"
    )
    untested = result.untested
    if untested:
        lines.append(
            f"Not tested, so not in the share (drifted / tested columns): {len(untested)} "
            f"column(s): " + "; ".join(f"{f.column}: {_untested_reason(f)}" for f in untested)
        )
    if any(f.preset == PRESET_CALIBRATED for f in result.features):
        lines.append(
            "Rule (calibrated): a column drifts when its p-value <= threshold (alpha) and its "
            "effect size (KS distance, total variation) >= min_effect."
        )
    return "\n".join(lines) + "\n"


def run_drift_check(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the check on ``argv`` (without the program name); returns the exit code."""
    try:
        args = _parser(stdout).parse_args(list(argv))
        result = check(args, stderr)
    except _HelpShown:
        return EXIT_NO_DRIFT
    except BadInput as exc:
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except DriftConfigError as exc:  # unknown method or preset, a bad setting
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_BAD_INPUT
    for feature in result.untested:
        stderr.write(
            f"{PROG}: warning: column {feature.column!r} not tested: {_untested_reason(feature)}\n"
        )
    if result.n_tested == 0:
        stderr.write(
            f"{PROG}: error: nothing was tested, so there is no verdict "
            f"({len(result.features)} column(s), none testable; see the warnings above)\n"
        )
    elif args.require_all_tested and result.untested:
        stderr.write(
            f"{PROG}: error: {len(result.untested)} column(s) not tested and "
            "--require-all-tested is set\n"
        )
    if args.json:
        stdout.write(json.dumps(_json_document(result), allow_nan=False) + "\n")
    else:
        stdout.write(format_table(result))
    if result.n_tested == 0 or (args.require_all_tested and result.untested):
        return EXIT_BAD_INPUT
    return EXIT_DRIFT if result.dataset_drift else EXIT_NO_DRIFT


def main() -> None:  # pragma: no cover - thin process wrapper
    import sys

    sys.exit(run_drift_check(sys.argv[1:], sys.stdout, sys.stderr))


if __name__ == "__main__":  # pragma: no cover
    main()
