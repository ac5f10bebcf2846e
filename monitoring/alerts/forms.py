"""Forms of the alert pages; the services validate (and name the field of) whatever they refuse."""

from __future__ import annotations

from django import forms

from monitoring.alerts.models import Direction, QualityCheck, RuleKind
from notifications.models import Channel, Severity


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000)


class SilenceForm(forms.Form):
    SCOPES = (("rule", "this rule"), ("monitor", "this monitor"), ("model", "this model"))

    scope = forms.ChoiceField(choices=SCOPES)
    hours = forms.FloatField(min_value=0.25, max_value=90 * 24, initial=2)
    reason = forms.CharField(max_length=500)


class AlertRuleForm(forms.Form):
    kind = forms.ChoiceField(choices=RuleKind.choices)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.WARNING)
    threshold = forms.FloatField(required=False)
    feature = forms.CharField(required=False, max_length=200)
    metric = forms.CharField(required=False, max_length=30)
    direction = forms.ChoiceField(choices=[("", "—"), *Direction.choices], required=False)
    quality_check = forms.ChoiceField(choices=[("", "—"), *QualityCheck.choices], required=False)
    silent_hours = forms.FloatField(required=False)
    channels = forms.ModelMultipleChoiceField(queryset=Channel.objects.all(), required=False)
    repeat_interval_seconds = forms.IntegerField(min_value=0, initial=4 * 3600)
    runbook_url = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
