"""Notification writes. ``notify`` is the one entry point for the rest of the portal (alerts,
approvals, the audit check); the others serve the inbox, subscriptions, channels and the
delivery task."""

from notifications.services.channels import (
    allowlist_entry_add,
    allowlist_entry_remove,
    channel_create,
    channel_delete,
    channel_test,
    channel_update,
)
from notifications.services.delivery import (
    MAX_ATTEMPTS,
    DeliveryOutcome,
    backoff_seconds,
    deliveries_due,
    delivery_attempt,
)
from notifications.services.inbox import inbox_mark_read
from notifications.services.notify import notify
from notifications.services.subscriptions import (
    subscription_delete,
    subscription_set,
    subscription_update,
)

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryOutcome",
    "allowlist_entry_add",
    "allowlist_entry_remove",
    "backoff_seconds",
    "channel_create",
    "channel_delete",
    "channel_test",
    "channel_update",
    "deliveries_due",
    "delivery_attempt",
    "inbox_mark_read",
    "notify",
    "subscription_delete",
    "subscription_set",
    "subscription_update",
]
