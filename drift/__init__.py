"""Drift engine: profile a reference dataset once, then compare current windows against it.

Pure numpy/scipy/pyarrow (no Django), so the portal, Celery workers and the CI command share it::

    profile = build_reference_profile(reference_table, {"age": "numerical", "city": "categorical"})
    profile.save(path)
    ...
    profile = ReferenceProfile.load(path)
    current = read_columns(paths, list(profile.columns), dictionary_columns=[...])
    result = compute_drift(profile, current, DriftConfig())
    payload = result.to_dict()
"""

from .engine import (
    CORRECTIONS,
    DataReadError,
    DatasetDriftResult,
    DriftConfig,
    DriftConfigError,
    FeatureDriftResult,
    Histogram,
    compute_drift,
    infer_column_types,
    read_columns,
)
from .profile import (
    DEFAULT_SAMPLE_CAP,
    CategoricalColumnProfile,
    NumericColumnProfile,
    ReferenceProfile,
    build_reference_profile,
)
from .stattests import CATEGORICAL, METHODS, NUMERICAL, default_method

__all__ = [
    "CATEGORICAL",
    "CORRECTIONS",
    "DEFAULT_SAMPLE_CAP",
    "METHODS",
    "NUMERICAL",
    "CategoricalColumnProfile",
    "DataReadError",
    "DatasetDriftResult",
    "DriftConfig",
    "DriftConfigError",
    "FeatureDriftResult",
    "Histogram",
    "NumericColumnProfile",
    "ReferenceProfile",
    "build_reference_profile",
    "compute_drift",
    "default_method",
    "infer_column_types",
    "read_columns",
]
