from django import forms

from notifications.models import ChannelKind, MinSeverity
from registry.models import RegisteredModel


def _model_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=RegisteredModel.objects.only("pk", "name").order_by("name"),
        to_field_name="name",
        required=False,
        empty_label="All models",
        **kwargs,
    )


class SubscriptionForm(forms.Form):
    model = _model_field()
    min_severity = forms.ChoiceField(
        choices=MinSeverity.choices, initial=MinSeverity.WARNING, label="Severity"
    )
    email = forms.BooleanField(required=False, label="Also email me")


class ChannelSubscriptionForm(forms.Form):
    model = _model_field()
    min_severity = forms.ChoiceField(
        choices=MinSeverity.choices, initial=MinSeverity.WARNING, label="Severity"
    )


class ChannelCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    url = forms.CharField(
        max_length=2000, required=False, help_text="Webhook or Slack incoming-webhook URL."
    )
    address = forms.CharField(max_length=254, required=False, help_text="Email channels.")
    enabled = forms.BooleanField(required=False, initial=True)


class ChannelUpdateForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.CharField(max_length=2000, required=False)
    address = forms.CharField(max_length=254, required=False)
    enabled = forms.BooleanField(required=False)


class AllowEntryForm(forms.Form):
    value = forms.CharField(max_length=255, help_text="A host name, an address or a CIDR.")
    note = forms.CharField(max_length=200, required=False)
