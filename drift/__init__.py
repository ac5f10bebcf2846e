"""Drift engine: profile a reference dataset once, then compare current windows against it.

Pure numpy/scipy/pyarrow (no Django), so the portal, Celery workers and the CI command share it::

    profile = build_reference_profile(reference_table, {"age": "numerical", "city": "categorical"})
    profile.save(path)
    ...
    profile = ReferenceProfile.load(path)
    current = read_columns(paths, list(profile.columns), dictionary_columns=[...])
    result = compute_drift(profile, current, DriftConfig(preset="calibrated"))
    payload = result.to_dict()

``DriftConfig()`` alone still means the ``evidently`` preset (Evidently 0.7's DataDriftPreset);
``preset="calibrated"`` keeps false alarms at alpha and flags only practically large shifts.
See docs/drift.md.
"""

from .engine import (
    CORRECTIONS,
    DEFAULT_EFFECT_THRESHOLD,
    DEFAULT_MIN_SAMPLE_SIZE,
    EFFECT_MEASURES,
    PRESET_CALIBRATED,
    PRESET_EVIDENTLY,
    PRESETS,
    STATUS_INSUFFICIENT_DATA,
    DataReadError,
    DatasetDriftResult,
    DelimiterError,
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
from .stattests import CALIBRATED_METHODS, CATEGORICAL, METHODS, NUMERICAL, default_method

__all__ = [
    "CALIBRATED_METHODS",
    "CATEGORICAL",
    "CORRECTIONS",
    "DEFAULT_EFFECT_THRESHOLD",
    "DEFAULT_MIN_SAMPLE_SIZE",
    "DEFAULT_SAMPLE_CAP",
    "EFFECT_MEASURES",
    "METHODS",
    "NUMERICAL",
    "PRESETS",
    "PRESET_CALIBRATED",
    "PRESET_EVIDENTLY",
    "STATUS_INSUFFICIENT_DATA",
    "CategoricalColumnProfile",
    "DataReadError",
    "DatasetDriftResult",
    "DelimiterError",
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
