"""HTML forms for the monitoring pages (the services do the real validation)."""

from __future__ import annotations

from django import forms

from drift import CORRECTIONS, DEFAULT_EFFECT_THRESHOLD, METHODS, PRESET_CALIBRATED, PRESETS
from monitoring.models import JobStatus, ReferenceDataset, ScheduleKind
from monitoring.services.scheduling import MAX_BACKFILL_WINDOWS

WINDOWS = (
    (3600, "1 hour"),
    (6 * 3600, "6 hours"),
    (12 * 3600, "12 hours"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "7 days"),
)
METHOD_CHOICES = [("", "automatic")] + [(name, spec.display_name) for name, spec in METHODS.items()]


class MonitorForm(forms.Form):
    name = forms.SlugField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reference = forms.ModelChoiceField(queryset=ReferenceDataset.objects.none())
    window_seconds = forms.TypedChoiceField(
        choices=WINDOWS, coerce=int, initial=24 * 3600, label="Window"
    )
    schedule_kind = forms.ChoiceField(choices=ScheduleKind.choices, label="Schedule")
    interval_seconds = forms.IntegerField(
        required=False, min_value=60, initial=3600, label="Every (seconds)"
    )
    crontab = forms.CharField(
        required=False, max_length=100, help_text="e.g. '5 * * * *' (minute hour dom month dow)"
    )
    features = forms.CharField(
        required=False, help_text="Comma-separated; empty = every profiled column."
    )
    default_method_numerical = forms.ChoiceField(choices=METHOD_CHOICES, required=False)
    default_method_categorical = forms.ChoiceField(choices=METHOD_CHOICES, required=False)
    method_overrides = forms.JSONField(required=False, initial=dict, help_text='{"age": "psi"}')
    threshold_overrides = forms.JSONField(required=False, initial=dict, help_text='{"age": 0.2}')
    drift_share_threshold = forms.FloatField(min_value=0.01, max_value=1.0, initial=0.5)
    correction = forms.ChoiceField(
        choices=[("", "none")] + [(c, c) for c in CORRECTIONS if c], required=False
    )
    preset = forms.ChoiceField(
        choices=[(p, p) for p in PRESETS],
        initial=PRESET_CALIBRATED,
        required=False,
        help_text="calibrated: false alarms held at alpha, drift needs a large enough effect; "
        "evidently: Evidently's DataDriftPreset, bit for bit.",
    )
    effect_threshold = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        initial=DEFAULT_EFFECT_THRESHOLD,
        required=False,
        help_text="Calibrated preset: the smallest shift (KS or total variation distance) "
        "that counts as drift.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("window_seconds")
        if current and current not in dict(WINDOWS):  # e.g. set through the API
            self.fields["window_seconds"].choices = [*WINDOWS, (current, f"{current} s")]
        if version is not None:
            self.fields["reference"].queryset = ReferenceDataset.objects.filter(
                model_version=version, status=JobStatus.SUCCEEDED
            ).order_by("-created_at")

    def clean_features(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["features"].split(",") if name.strip()]

    def clean_interval_seconds(self):
        value = self.cleaned_data["interval_seconds"]
        return value if self.data.get("schedule_kind") != ScheduleKind.CRONTAB else None

    def clean(self):
        cleaned = super().clean()
        for name in ("method_overrides", "threshold_overrides"):
            if cleaned.get(name) is None:
                cleaned[name] = {}
        cleaned["preset"] = cleaned.get("preset") or PRESET_CALIBRATED
        if cleaned.get("effect_threshold") is None:
            cleaned["effect_threshold"] = DEFAULT_EFFECT_THRESHOLD
        if cleaned.get("schedule_kind") == ScheduleKind.INTERVAL:
            cleaned["crontab"] = ""
        return cleaned


class ReferenceUploadForm(forms.Form):
    file = forms.FileField(allow_empty_file=True)
    name = forms.CharField(max_length=100, required=False)


class BackfillForm(forms.Form):
    windows = forms.IntegerField(min_value=1, max_value=MAX_BACKFILL_WINDOWS, initial=7)
