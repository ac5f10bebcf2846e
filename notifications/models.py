"""Notifications: an event (Notification) with its recipients' inbox entries, the channels it
goes out on (email, Slack, webhook), who subscribed to what, and one Delivery row per
(notification, channel) that the delivery task moves along.

Webhook secrets must be recoverable (the portal signs with them), so they are stored encrypted
(``notifications.signing``: Fernet under a key derived from ``SECRET_KEY``), never hashed, and
never shown again after the channel is created.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from registry.models import RegisteredModel

SUMMARY_MAX_LENGTH = 5000
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class MinSeverity(models.TextChoices):
    """A subscription's threshold; ``off`` mutes (e.g. an owner's default for one model)."""

    INFO = "info", "Info and above"
    WARNING = "warning", "Warning and above"
    CRITICAL = "critical", "Critical only"
    OFF = "off", "Off (muted)"


def thresholds_met_by(severity: str) -> list[str]:
    """The subscription thresholds a notification of ``severity`` reaches."""
    rank = SEVERITY_RANK[Severity(severity)]
    return [level for level, level_rank in SEVERITY_RANK.items() if level_rank <= rank]


class Notification(models.Model):
    """One event: what happened, how bad, about which model, and where to look."""

    event_type = models.CharField(
        max_length=100,
        validators=[RegexValidator(EVENT_TYPE_PATTERN, "Dotted lowercase, e.g. alert.firing.")],
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    model = models.ForeignKey(
        RegisteredModel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    subject = models.CharField(max_length=200)
    summary = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    url = models.CharField(max_length=2000, blank=True, help_text="Path in the portal, or http(s).")
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.subject}"


class InboxEntry(models.Model):
    """A notification in one user's inbox."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="inbox_entries"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "notification"], name="one_entry_per_user")
        ]
        indexes = [
            # The unread count in the navigation bar of every page.
            models.Index(fields=["user", "read_at"], name="inbox_unread"),
            models.Index(fields=["user", "-created_at"], name="inbox_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} for {self.user_id}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack (incoming webhook)"
    WEBHOOK = "webhook", "Webhook (Standard Webhooks, signed)"


class Channel(models.Model):
    """A shared destination, managed by admins: an email address, a Slack incoming-webhook URL,
    or a webhook URL signed with the channel's own secret."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    url = models.CharField(max_length=2000, blank=True)
    address = models.EmailField(blank=True)
    # Fernet token of the "whsec_…" secret (webhooks only): encrypted, not hashed, because the
    # portal signs every delivery with it.
    secret_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """Who hears about which model (``model`` empty: every model) from which severity on.

    The subscriber is a user (inbox, and email to their own address when ``email``) or a
    channel (admins only). A subscription for a model overrides the subscriber's one for every
    model; members of a model's owner group (and its creator) hear about it by default.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_subscriptions",
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    model = models.ForeignKey(
        RegisteredModel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_subscriptions",
    )
    min_severity = models.CharField(
        max_length=10, choices=MinSeverity.choices, default=MinSeverity.WARNING
    )
    email = models.BooleanField(default=False, help_text="Also email the user (users only).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, channel__isnull=True)
                | Q(user__isnull=True, channel__isnull=False),
                name="subscriber_is_a_user_or_a_channel",
            ),
            models.CheckConstraint(
                condition=Q(email=False) | Q(user__isnull=False), name="email_only_for_users"
            ),
            models.UniqueConstraint(
                fields=["user", "model"],
                condition=Q(user__isnull=False, model__isnull=False),
                name="one_subscription_per_user_and_model",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False, model__isnull=True),
                name="one_all_models_subscription_per_user",
            ),
            models.UniqueConstraint(
                fields=["channel", "model"],
                condition=Q(channel__isnull=False, model__isnull=False),
                name="one_subscription_per_channel_and_model",
            ),
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(channel__isnull=False, model__isnull=True),
                name="one_all_models_subscription_per_channel",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"channel {self.channel_id}"
        return f"{who}: {self.model_id or 'all models'} ≥ {self.min_severity}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


OPEN_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class Delivery(models.Model):
    """One notification on one channel (or to one subscriber's own email address).

    ``message_id`` is the Delivery's id towards the receiver: the ``webhook-id`` header of
    every attempt, so a receiver dedupes retries by it.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For an email to a subscriber's own address (no channel).",
    )
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    target_label = models.CharField(max_length=200, help_text="Channel name or recipient.")
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(channel__isnull=False),
                name="one_delivery_per_notification_and_channel",
            ),
            models.UniqueConstraint(
                fields=["notification", "recipient"],
                condition=Q(channel__isnull=True, recipient__isnull=False),
                name="one_email_per_notification_and_recipient",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.target_label} ({self.status})"


class OutboundAllowEntry(models.Model):
    """A host name or an address/CIDR that webhook and Slack URLs may reach although it is
    loopback, link-local or private (added by admins; ``PORTAL_OUTBOUND_ALLOWLIST`` adds more
    from the environment)."""

    value = models.CharField(max_length=255, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        verbose_name = "outbound allow-list entry"
        verbose_name_plural = "outbound allow-list"

    def __str__(self) -> str:
        return self.value
