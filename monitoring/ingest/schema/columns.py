"""The columns a model version's signature declares, and the layout every stored file has.

Stored layout (every batch file): one column per signature input, one per signature output,
``__prediction_id`` (string, may be null) and ``__timestamp`` (UTC microseconds). Clients name
the last two ``prediction_id`` and ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from mlops_portal.errors import ValidationFailed

PREDICTION_ID = "__prediction_id"
TIMESTAMP = "__timestamp"
FILE_PREDICTION_ID = "prediction_id"
FILE_TIMESTAMP = "timestamp"
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
    "category": pa.string(),
    "datetime": TIMESTAMP_TYPE,
}


class ColumnRole(StrEnum):
    INPUT = "input"  # a feature the model reads
    OUTPUT = "output"  # what the model predicts
    META = "meta"  # what the row carries besides: its prediction id, its timestamp, a label


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    role: ColumnRole

    @property
    def label(self) -> str:
        noun = {ColumnRole.INPUT: "feature", ColumnRole.OUTPUT: "prediction"}.get(self.role)
        return f"{noun or 'field'} {self.name!r}"


def signature_columns(signature: dict | None) -> list[Column]:
    signature = signature or {}
    columns = [Column(c["name"], c["type"], ColumnRole.INPUT) for c in signature.get("inputs", [])]
    columns += [
        Column(c["name"], c["type"], ColumnRole.OUTPUT) for c in signature.get("outputs", [])
    ]
    return columns


def prediction_column(signature: dict | None) -> Column | None:
    """The signature's first output: the prediction that performance is measured on."""
    return next((c for c in signature_columns(signature) if c.role == ColumnRole.OUTPUT), None)


def input_columns_or_refuse(version) -> list[Column]:
    """The version's signature columns, refused when it declares no input to check data by."""
    columns = signature_columns(version.signature)
    if not any(c.role == ColumnRole.INPUT for c in columns):
        raise ValidationFailed(
            f"model_version: {version} declares no input columns in its signature; "
            "add them before sending data.",
            field="model_version",
        )
    return columns


def stored_schema(columns: Sequence[Column]) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.kind]) for c in columns]
    fields += [pa.field(PREDICTION_ID, pa.string()), pa.field(TIMESTAMP, TIMESTAMP_TYPE)]
    return pa.schema(fields)
