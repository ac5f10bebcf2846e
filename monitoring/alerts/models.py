"""Alert rules, alerts and silences (tables of the monitoring app: ``monitoring.models`` imports
this module).

An alert's lifecycle follows Prometheus Alertmanager's, plus acknowledgement: ``firing`` →
``acknowledged`` (who, note) → ``resolved`` (by the next evaluation that finds the condition
clear, or by hand). At most one alert per (rule, subject) is open (firing or acknowledged): a
partial unique constraint holds it, and evaluation takes the rules' row locks first, so two
evaluations finishing together never open two.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from monitoring.fields import person_field
from notifications.models import Channel, Notification, Severity
from registry.models import RegisteredModel

DEFAULT_REPEAT_SECONDS = 4 * 3600
MAX_REPEAT_SECONDS = 30 * 24 * 3600
SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class RuleKind(models.TextChoices):
    DATASET_DRIFT = "dataset_drift", "Dataset drift detected"
    DRIFT_SHARE_ABOVE = "drift_share_above", "Drift share above a threshold"
    FEATURE_DRIFT = "feature_drift", "A named feature drifted"
    PERFORMANCE = "performance", "A performance metric below/above a threshold"
    DATA_QUALITY = "data_quality", "Data quality (nulls, unseen categories, out of range, volume)"
    SILENT_FEED = "silent_feed", "No production batch for N hours"
    RUN_FAILED = "run_failed", "A drift run failed"


class Direction(models.TextChoices):
    BELOW = "below", "below"
    ABOVE = "above", "above"


class QualityCheck(models.TextChoices):
    NULL_RATE = "null_rate", "Null rate above"
    UNSEEN_CATEGORIES = "unseen_categories", "Share of unseen categories above"
    OUT_OF_RANGE = "out_of_range", "Share out of the reference range above"
    LOW_VOLUME = "low_volume", "Rows in a window below"


class AlertRule(models.Model):
    """One condition on a monitor, how bad it is, and who hears of it besides the model's
    subscribers. The kind's parameters are columns: ``threshold`` (drift share, metric
    threshold, quality share or minimum rows), ``feature``, ``metric`` + ``direction``,
    ``quality_check``, ``silent_hours``."""

    monitor = models.ForeignKey(
        "monitoring.Monitor", on_delete=models.CASCADE, related_name="alert_rules"
    )
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    threshold = models.FloatField(null=True, blank=True)
    feature = models.CharField(max_length=200, blank=True)
    metric = models.CharField(max_length=30, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    quality_check = models.CharField(max_length=20, choices=QualityCheck.choices, blank=True)
    silent_hours = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.25), MaxValueValidator(24 * 90)]
    )
    channels = models.ManyToManyField(Channel, blank=True, related_name="alert_rules")
    repeat_interval_seconds = models.PositiveIntegerField(
        default=DEFAULT_REPEAT_SECONDS,
        validators=[MaxValueValidator(MAX_REPEAT_SECONDS)],
        help_text="Remind while firing and unacknowledged; 0: never.",
    )
    runbook_url = models.URLField(max_length=2000, blank=True)
    note = models.TextField(blank=True, max_length=5000)
    created_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["monitor", "pk"]
        indexes = [models.Index(fields=["kind", "enabled"], name="alert_rule_kind")]

    def __str__(self) -> str:
        return f"{self.describe()} on {self.monitor.name}"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.monitor.model_version.model

    def describe(self) -> str:
        """The condition in words: "drift share above 30%"."""
        kind = self.kind
        if kind == RuleKind.DRIFT_SHARE_ABOVE:
            return f"drift share above {self.threshold:.0%}"
        if kind == RuleKind.FEATURE_DRIFT:
            return f"feature {self.feature} drifted"
        if kind == RuleKind.PERFORMANCE:
            return f"{self.metric} {self.direction} {self.threshold:g}"
        if kind == RuleKind.DATA_QUALITY:
            if self.quality_check == QualityCheck.LOW_VOLUME:
                return f"fewer than {self.threshold:g} rows in a window"
            column = f" in {self.feature}" if self.feature else ""
            return f"{self.get_quality_check_display().lower()} {self.threshold:.0%}{column}"
        if kind == RuleKind.SILENT_FEED:
            return f"no batch for {self.silent_hours:g} h"
        return self.get_kind_display().lower()

    @property
    def repeat_interval(self) -> timedelta | None:
        seconds = self.repeat_interval_seconds
        return timedelta(seconds=seconds) if seconds else None


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_STATES = (AlertState.FIRING, AlertState.ACKNOWLEDGED)


class Alert(models.Model):
    """A rule's condition holding for one subject (a feature, a metric, or the monitor itself,
    ``""``), from when it first fired until it resolved."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    monitor = models.ForeignKey(
        "monitoring.Monitor", on_delete=models.CASCADE, related_name="alerts"
    )
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20, choices=AlertState.choices, default=AlertState.FIRING)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(help_text="0 critical, 1 warning, 2 info.")
    summary = models.CharField(max_length=500)
    value = models.FloatField(null=True, blank=True, help_text="What was measured when it fired.")
    run = models.ForeignKey(
        "monitoring.DriftRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts_fired",
        help_text="The run that fired it (none for a batch or the clock).",
    )
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1, help_text="Evaluations that found it firing.")
    silenced = models.BooleanField(default=False, help_text="Fired under a silence: not sent.")
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The firing notification; its audience hears of the resolution.",
    )
    last_notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = person_field()
    acknowledge_note = models.TextField(blank=True, max_length=2000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = person_field()  # empty when an evaluation resolved it
    resolve_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["severity_rank", "-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_alert_per_rule_and_subject",
            ),
            models.CheckConstraint(
                condition=Q(last_seen_at__gte=F("started_at")), name="alert_seen_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "severity_rank", "-started_at"], name="alert_list"),
            models.Index(fields=["monitor", "state"], name="alert_monitor_state"),
            models.Index(fields=["model", "state"], name="alert_model_state"),
        ]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.summary}"

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.model

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AlertEventKind(models.TextChoices):
    FIRED = "fired", "Fired"
    SEEN = "seen", "Still firing"
    NOTIFIED = "notified", "Notified"
    REMINDED = "reminded", "Reminder sent"
    MUTED = "muted", "Not sent (silenced)"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class AlertEvent(models.Model):
    """The alert's timeline: evaluations that found it firing, notifications, transitions."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=AlertEventKind.choices)
    at = models.DateTimeField()
    actor = person_field()
    note = models.CharField(max_length=2000, blank=True)
    value = models.FloatField(null=True, blank=True)
    run = models.ForeignKey(
        "monitoring.DriftRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["alert", "at"], name="alert_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.alert_id} at {self.at:%Y-%m-%d %H:%M}"


class Silence(models.Model):
    """Mutes a rule, a monitor or a model between two times: alerts are still recorded, nothing
    is sent."""

    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    monitor = models.ForeignKey(
        "monitoring.Monitor",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="silences",
    )
    model = models.ForeignKey(
        RegisteredModel, null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    created_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="silence_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=(
                    Q(rule__isnull=False, monitor__isnull=True, model__isnull=True)
                    | Q(rule__isnull=True, monitor__isnull=False, model__isnull=True)
                    | Q(rule__isnull=True, monitor__isnull=True, model__isnull=False)
                ),
                name="silence_mutes_one_thing",
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], name="silence_ends")]

    def __str__(self) -> str:
        return f"silence of {self.scope_label} until {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def scope(self) -> str:
        return "rule" if self.rule_id else "monitor" if self.monitor_id else "model"

    @property
    def scope_label(self) -> str:
        if self.rule_id:
            return f"rule {self.rule_id}"
        if self.monitor_id:
            return f"monitor {self.monitor_id}"
        return f"model {self.model_id}"

    @property
    def ownership_root(self) -> RegisteredModel:
        if self.model_id:
            return self.model
        if self.monitor_id:
            return self.monitor.model_version.model
        return self.rule.monitor.model_version.model
