"""Notifications API serializers: strict input shapes, separate output shapes."""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from mlops_portal.api.base import (
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
)
from notifications.messages import absolute_url
from notifications.models import (
    Channel,
    ChannelKind,
    DeliveryStatus,
    MinSeverity,
    Severity,
)
from notifications.services.inbox import MARK_MAX
from registry.models import RegisteredModel

# --- output ----------------------------------------------------------------------------------


class NotificationOutputSerializer(serializers.Serializer):
    """One notification in the caller's inbox (``id`` is the notification's)."""

    id = serializers.IntegerField(source="notification_id")
    event_type = serializers.CharField(source="notification.event_type")
    severity = serializers.ChoiceField(source="notification.severity", choices=Severity.choices)
    subject = serializers.CharField(source="notification.subject")
    summary = serializers.CharField(source="notification.summary")
    url = serializers.SerializerMethodField()
    model = serializers.CharField(source="notification.model.name", allow_null=True, default=None)
    payload = serializers.DictField(source="notification.payload")
    created_at = serializers.DateTimeField(source="notification.created_at")
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, entry) -> str:
        return absolute_url(entry.notification.url)

    def get_read(self, entry) -> bool:
        return entry.read_at is not None


class UnreadOutputSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Unread notifications in your inbox.")


class MarkReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are read now.")
    unread = serializers.IntegerField(help_text="Unread notifications left in your inbox.")


class ChannelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    url = serializers.CharField(help_text="Webhook or Slack incoming-webhook URL ('' for email).")
    address = serializers.CharField(help_text="Email address ('' for webhook and Slack).")
    enabled = serializers.BooleanField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ChannelCreatedOutputSerializer(ChannelOutputSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text="A webhook channel's signing secret (whsec_…): in this response only, never "
        "again. Null for Slack and email channels.",
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_id = serializers.UUIDField(
        help_text="Sent as the webhook-id header, the same on every attempt."
    )
    notification = serializers.IntegerField(source="notification_id")
    event_type = serializers.CharField(source="notification.event_type")
    severity = serializers.ChoiceField(source="notification.severity", choices=Severity.choices)
    channel = serializers.IntegerField(source="channel_id", allow_null=True)
    target = serializers.CharField(source="target_label")
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(source="user.username", allow_null=True, default=None)
    channel = serializers.IntegerField(source="channel_id", allow_null=True)
    model = serializers.CharField(source="model.name", allow_null=True, default=None)
    min_severity = serializers.ChoiceField(choices=MinSeverity.choices)
    email = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- input -----------------------------------------------------------------------------------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# An http(s) URL with a host name or an IPv4 address, an optional port and no credentials: what
# the text alone decides (a 400 otherwise). Where it leads is judged by the outbound policy.
HTTP_URL = RegexValidator(
    rf"^[hH][tT][tT][pP][sS]?://{_LABEL}(?:\.{_LABEL})*\.?(?::{_PORT})?"
    r"(?:[/?#][^\s\x00-\x1f\x7f]*)?$",
    "Must be an http or https URL (a host name or IPv4 address, an optional port, no credentials).",
)
ONE_LINE = RegexValidator(
    r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
    "One line of text, not blank.",
)


class _ChannelFieldsInput(StrictInputSerializer):
    name = StrictCharField(max_length=100, validators=[ONE_LINE])
    enabled = StrictBooleanField(required=False, default=True)


class UrlChannelCreateInputSerializer(_ChannelFieldsInput):
    """A webhook (signed; its secret is in the response) or a Slack incoming webhook."""

    kind = serializers.ChoiceField(choices=[ChannelKind.WEBHOOK, ChannelKind.SLACK])
    url = StrictCharField(max_length=2000, validators=[HTTP_URL])


class EmailChannelCreateInputSerializer(_ChannelFieldsInput):
    """An email address (a list, a team mailbox)."""

    kind = serializers.ChoiceField(choices=[ChannelKind.EMAIL])
    address = serializers.EmailField(max_length=254)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "address" in data and not isinstance(data["address"], str):
            raise serializers.ValidationError({"address": ["Must be a string."]})
        return super().to_internal_value(data)


class ChannelUpdateInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=100, required=False, validators=[ONE_LINE])
    url = StrictCharField(
        max_length=2000,
        required=False,
        validators=[HTTP_URL],
        help_text="Webhook and Slack channels only.",
    )
    address = serializers.EmailField(
        max_length=254, required=False, help_text="Email channels only."
    )
    enabled = StrictBooleanField(required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "address" in data and not isinstance(data["address"], str):
            raise serializers.ValidationError({"address": ["Must be a string."]})
        return super().to_internal_value(data)


class MarkReadInputSerializer(StrictInputSerializer):
    """``{"ids": [...]}`` marks those notifications of your inbox read; ``{"all": true}``
    marks every one."""

    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        max_length=MARK_MAX,
        required=False,
        default=list,
    )
    all = StrictBooleanField(required=False, default=False)


class SubscriptionSetInputSerializer(StrictInputSerializer):
    model = StrictSlugRelatedField(
        slug_field="name",
        queryset=RegisteredModel.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="A model's name; null or absent: every model.",
    )
    min_severity = serializers.ChoiceField(choices=MinSeverity.choices)
    email = StrictBooleanField(
        required=False, default=False, help_text="Also email you (your own subscriptions only)."
    )
    channel = StrictPrimaryKeyRelatedField(
        queryset=Channel.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="Admins: the channel this subscription is for; absent: your own.",
    )


class SubscriptionUpdateInputSerializer(StrictInputSerializer):
    min_severity = serializers.ChoiceField(choices=MinSeverity.choices, required=False)
    email = StrictBooleanField(required=False)
