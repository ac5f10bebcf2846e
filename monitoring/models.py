"""Monitoring: reference data, monitors, their drift runs and the backfills that request them.

The database holds metadata and results only. Reference data and its profile live in files
under ``settings.DATA_ROOT`` (server-generated names, see ``monitoring.ingest.storage``); each row
here names its file by a path relative to that root. The rows of ingested production data and
labels are ``monitoring.ingest.models``, imported here so that they belong to this app.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from drift import DEFAULT_EFFECT_THRESHOLD, DEFAULT_MIN_SAMPLE_SIZE, PRESET_CALIBRATED, PRESETS
from monitoring.alerts import models as alert_models  # noqa: F401 (registers them here)
from monitoring.fields import person_field
from monitoring.ingest import models as ingest_models  # noqa: F401 (registers them here)
from registry.models import ModelVersion, RegisteredModel

MIN_WINDOW_SECONDS = 300
MAX_WINDOW_SECONDS = 90 * 24 * 3600


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(models.Model):
    """Background work is a row: the task moves it along, the UI shows it, and the requeue
    sweep finds it again when its message or its worker was lost."""

    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="Percent done."
    )
    stage = models.CharField(max_length=200, blank=True, help_text="What it is doing now.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(  # see monitoring.services.jobs
        null=True, blank=True, help_text="While running: renewed by its worker; once past, lost."
    )

    class Meta:
        abstract = True

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class FileFormat(models.TextChoices):
    PARQUET = "parquet", "Parquet"
    CSV = "csv", "CSV"


class ReferenceDataset(Job):
    """A model version's reference data (usually its training or validation set) and profile."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="reference_datasets"
    )
    name = models.CharField(max_length=100)
    original_filename = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=10, choices=FileFormat.choices)
    data_path = models.CharField(max_length=500)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    profile_path = models.CharField(max_length=500, blank=True)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    column_types = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_version})"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.model_version.model

    @property
    def is_ready(self) -> bool:
        return self.status == JobStatus.SUCCEEDED and bool(self.profile_path)


class ScheduleKind(models.TextChoices):
    INTERVAL = "interval", "Every N seconds"
    CRONTAB = "crontab", "Crontab"


class Monitor(models.Model):
    """Compares a model version's production data with its reference on a schedule.

    Its beat entry (a django-celery-beat ``PeriodicTask``) is created, changed and removed by
    the monitor services together with the monitor, in the same transaction.
    """

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="monitors"
    )
    reference = models.ForeignKey(
        ReferenceDataset, on_delete=models.PROTECT, related_name="monitors"
    )
    name = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    window_seconds = models.PositiveIntegerField(
        default=24 * 3600,
        validators=[MinValueValidator(MIN_WINDOW_SECONDS), MaxValueValidator(MAX_WINDOW_SECONDS)],
    )
    schedule_kind = models.CharField(
        max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.INTERVAL
    )
    interval_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(60)]
    )
    crontab = models.CharField(
        max_length=100, blank=True, help_text="minute hour day-of-month month day-of-week"
    )
    features = models.JSONField(default=list, blank=True, help_text="Empty: every feature.")
    method_overrides = models.JSONField(default=dict, blank=True)
    threshold_overrides = models.JSONField(default=dict, blank=True)
    default_method_numerical = models.CharField(max_length=20, blank=True)
    default_method_categorical = models.CharField(max_length=20, blank=True)
    drift_share_threshold = models.FloatField(  # dataset drift from this share of drifted features
        default=0.5, validators=[MinValueValidator(0.01), MaxValueValidator(1.0)]
    )
    correction = models.CharField(max_length=30, blank=True)
    # The drift preset (docs/drift.md): "calibrated" keeps false alarms at alpha at every size
    # and needs a practically large effect; "evidently" reproduces Evidently's DataDriftPreset.
    preset = models.CharField(
        max_length=20, choices=[(p, p) for p in PRESETS], default=PRESET_CALIBRATED
    )
    preset_overrides = models.JSONField(default=dict, blank=True)
    effect_threshold = models.FloatField(
        default=DEFAULT_EFFECT_THRESHOLD,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    min_sample_size = models.PositiveIntegerField(
        default=DEFAULT_MIN_SAMPLE_SIZE, validators=[MinValueValidator(1)]
    )
    enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_version__model__name", "-model_version__version", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "name"], name="unique_monitor_name_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_version})"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.model_version.model

    @property
    def schedule_display(self) -> str:
        if self.schedule_kind == ScheduleKind.CRONTAB:
            return f"cron {self.crontab}"
        return f"every {_seconds_text(self.interval_seconds or 0)}"

    @property
    def window_display(self) -> str:
        return _seconds_text(self.window_seconds)


def _seconds_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"
    BACKFILL = "backfill", "Backfill"


class Backfill(models.Model):
    """A request to compute the last N complete windows of a monitor.

    Its progress counts the finished runs of the monitor inside its range (a run may serve
    several overlapping backfills), recounted each time one of them finishes.
    """

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="backfills")
    windows = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    window_seconds = models.PositiveIntegerField()
    first_window_start = models.DateTimeField()
    last_window_end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    runs_finished = models.PositiveSmallIntegerField(default=0)
    runs_failed = models.PositiveSmallIntegerField(default=0)
    requested_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"backfill of {self.windows} windows for {self.monitor.name}"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.monitor.model_version.model

    @property
    def progress(self) -> int:
        return round(100 * self.runs_finished / self.windows) if self.windows else 100


class DriftRun(Job):
    """One monitor's drift statistics over one window; at most one per (monitor, window)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="runs")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    trigger = models.CharField(
        max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE
    )
    requested_by = person_field()
    computed_through = models.DateTimeField(
        null=True, blank=True, help_text="Data read up to here; before window_end: partial."
    )
    reference_rows = models.PositiveBigIntegerField(null=True, blank=True)
    current_rows = models.PositiveBigIntegerField(null=True, blank=True)
    batch_count = models.PositiveIntegerField(null=True, blank=True)
    dataset_drift = models.BooleanField(null=True, blank=True)
    drift_share = models.FloatField(null=True, blank=True)
    drift_share_threshold = models.FloatField(null=True, blank=True)
    n_features = models.PositiveIntegerField(null=True, blank=True)
    n_tested = models.PositiveIntegerField(null=True, blank=True)
    n_drifted = models.PositiveIntegerField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    performance = models.JSONField(default=dict, blank=True)
    labelled_rows = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-window_end", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "window_start", "window_end"], name="one_run_per_window"
            ),
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")),
                name="drift_run_window_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["monitor", "-window_end"])]

    def __str__(self) -> str:
        return f"{self.monitor.name} {self.window_start:%Y-%m-%d %H:%M}–{self.window_end:%H:%M}"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.monitor.model_version.model

    @property
    def is_partial(self) -> bool:
        return self.computed_through is not None and self.computed_through < self.window_end


class FeatureDrift(models.Model):
    """One feature's result in one run, with the histograms the distribution chart draws."""

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="features")
    feature = models.CharField(max_length=200)
    column_type = models.CharField(max_length=20)
    method = models.CharField(max_length=20, blank=True)
    statistic = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    drifted = models.BooleanField(default=False)
    status = models.CharField(max_length=20)
    psi = models.FloatField(null=True, blank=True)
    severity = models.FloatField(
        null=True, blank=True, help_text="Score relative to its threshold; 1 or more: drifted."
    )
    n_current = models.PositiveBigIntegerField(default=0)
    n_current_null = models.PositiveBigIntegerField(default=0)
    n_current_unseen = models.PositiveBigIntegerField(default=0)
    message = models.TextField(blank=True)
    preset = models.CharField(max_length=20, blank=True)
    effect_size = models.FloatField(null=True, blank=True)
    effect_measure = models.CharField(max_length=30, blank=True)
    effect_threshold = models.FloatField(null=True, blank=True)
    significant = models.BooleanField(null=True, blank=True)
    reference_histogram = models.JSONField(null=True, blank=True)
    current_histogram = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["run", "feature"]
        constraints = [
            models.UniqueConstraint(fields=["run", "feature"], name="one_result_per_feature")
        ]

    def __str__(self) -> str:
        return f"{self.feature} in {self.run}"
