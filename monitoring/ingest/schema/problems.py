"""Which rows of an input are bad and why, named the way people find them in what they sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_portal.errors import ValidationFailed

MAX_EXAMPLES = 20
_NO_VALUE = object()


def record_label(index: int) -> str:
    return f"records[{index}]"


def file_row_label(index: int) -> str:
    return f"row {index + 1}"


def csv_line_label(index: int) -> str:
    return f"line {index + 2}"


@dataclass
class RowProblems:
    """Which rows are bad and why (first reason per row; counts per reason).

    ``row_label`` names a row for people: ``records[3]`` for JSON, ``row 4`` (1-based, header
    not counted) for files. Rows a CSV reader could not even split are counted as ``dropped``.
    """

    n_rows: int
    row_label: Callable[[int], str] = record_label
    first_reason: dict[int, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, tuple[str, Any]] = field(default_factory=dict)
    type_mismatches: Counter = field(default_factory=Counter)
    dropped: int = 0
    _first_dropped: str | None = None
    _mask: np.ndarray | None = None

    def add(
        self,
        rows: Iterable[int],
        reason: str,
        *,
        values: Sequence[Any] | None = None,
        mismatch_column: str | None = None,
    ) -> None:
        rows = [int(row) for row in rows]
        if not rows:
            return
        self._mask = None
        for row in rows:
            self.first_reason.setdefault(row, reason)
        self.counts[reason] += len(rows)
        if reason not in self.examples:
            value = values[0] if values else _NO_VALUE
            self.examples[reason] = (self.row_label(rows[0]), value)
        if mismatch_column is not None:
            self.type_mismatches[mismatch_column] += len(rows)

    def drop(self, labels: Sequence[str], reason: str) -> None:
        """Rows that never made it into the table (a CSV line with the wrong field count)."""
        if not labels:
            return
        self.dropped += len(labels)
        self.counts[reason] += len(labels)
        self.examples.setdefault(reason, (labels[0], _NO_VALUE))
        self._first_dropped = self._first_dropped or reason

    @property
    def bad_count(self) -> int:
        return len(self.first_reason) + self.dropped

    def bad_mask(self) -> np.ndarray:
        if self._mask is None:
            mask = np.zeros(self.n_rows, dtype=bool)
            if self.first_reason:
                mask[np.fromiter(self.first_reason, dtype=np.int64)] = True
            self._mask = mask
        return self._mask

    def describe(self, reason: str) -> str:
        label, value = self.examples[reason]
        shown = "" if value is _NO_VALUE else f" (got {_short(value)})"
        return f"{label}: {reason}{shown}"

    def first_problem(self) -> tuple[str, str]:
        """(message, row label) of the first bad row."""
        if self.first_reason:
            first_row = min(self.first_reason)
            reason = self.first_reason[first_row]
        else:
            reason = self._first_dropped or ""
        return self.describe(reason), self.examples[reason][0]

    def summary(self) -> list[dict]:
        """Reasons, most frequent first, each with its count and first bad row."""
        return [
            {"reason": reason, "count": count, "first_row": self.examples[reason][0]}
            for reason, count in self.counts.most_common(MAX_EXAMPLES)
        ]

    def reject(self) -> ValidationFailed:
        total = self.bad_count
        message, label = self.first_problem()
        more = f" ({total} bad rows in all)" if total > 1 else ""
        return ValidationFailed(
            f"{message}{more}. Nothing was stored; fix the data or send skip_bad_rows=true "
            "to store only the good rows.",
            field=label if label.startswith("records[") else "file",
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
