from django import forms
from django.contrib.auth.models import Group

from registry.models import RiskTier, Stage, TaskType


class ModelCreateForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="Letters, digits, hyphens, underscores.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner_group = forms.ModelChoiceField(
        queryset=Group.objects.exclude(
            name__in=["viewer", "data_scientist", "approver", "risk_officer", "admin"]
        ).order_by("name"),
        required=False,
    )
    task_type = forms.ChoiceField(choices=TaskType.choices)
    risk_tier = forms.ChoiceField(choices=RiskTier.choices, initial=RiskTier.MEDIUM)
    tags = forms.CharField(required=False, help_text="Comma-separated.")

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class StageChangeForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    archive_existing = forms.BooleanField(
        required=False, label="Archive the current Production version"
    )
    comment = forms.CharField(required=False, max_length=1000)
