"""Notification reads. Each takes the user, checks the role and brings the joins its page
needs, so query counts stay flat however many rows are shown."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet

from governance.roles import Action, may, require
from mlops_portal.errors import first_or_not_found
from notifications.filters import ChannelFilter, DeliveryFilter, InboxFilter
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    InboxEntry,
    OutboundAllowEntry,
    Subscription,
)
from registry.models import RegisteredModel


def inbox_list(*, user, filters=None) -> QuerySet[InboxEntry]:
    """The user's own inbox, newest first."""
    require(user, Action.NOTIFICATION_INBOX_OWN)
    entries = InboxEntry.objects.filter(user=user).select_related(
        "notification", "notification__model"
    )
    return InboxFilter.apply(filters, entries).order_by("-created_at", "-pk")


def inbox_unread_count(*, user) -> int:
    """One query (an index on user and read time), whatever the inbox holds: the navigation
    bar's badge (``/api/v1/notifications/unread/``) and the inbox page."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxEntry.objects.filter(user=user, read_at__isnull=True).count()


def subscription_list(*, user) -> QuerySet[Subscription]:
    """The user's own subscriptions; for admins also every channel's."""
    require(user, Action.NOTIFICATION_SUBSCRIBE_OWN)
    mine = Q(user=user)
    if may(user, Action.NOTIFICATION_CHANNEL_MANAGE):
        mine |= Q(channel__isnull=False)
    return (
        Subscription.objects.filter(mine)
        .select_related("user", "channel", "model")
        .order_by(  # yours first, then the channels'; "all models" before each model
            F("channel__name").asc(nulls_first=True),
            F("model__name").asc(nulls_first=True),
            "pk",
        )
    )


def subscription_get(*, user, pk: int) -> Subscription:
    """One of the user's own subscriptions, or a channel's (which only admins may touch: 403
    for anyone else); another user's is not found."""
    require(user, Action.NOTIFICATION_SUBSCRIBE_OWN)
    subscription = first_or_not_found(
        Subscription.objects.filter(Q(user=user) | Q(channel__isnull=False), pk=pk).select_related(
            "user", "channel", "model"
        ),
        f"id: no subscription {pk} of yours.",
    )
    if subscription.channel_id is not None:
        require(user, Action.NOTIFICATION_CHANNEL_MANAGE)
    return subscription


def models_owned_by(*, user) -> QuerySet[RegisteredModel]:
    """Models the user hears about by default: their team owns them, or they created them."""
    require(user, Action.NOTIFICATION_SUBSCRIBE_OWN)
    return (
        RegisteredModel.objects.filter(
            Q(owner_group__in=user.groups.values("pk")) | Q(created_by=user)
        )
        .only("pk", "name")
        .order_by("name")
    )


def channel_list(*, user, filters=None) -> QuerySet[Channel]:
    require(user, Action.NOTIFICATION_CHANNEL_MANAGE)
    return ChannelFilter.apply(filters, Channel.objects.select_related("created_by")).order_by(
        "name"
    )


def channel_get(*, user, pk: int) -> Channel:
    return first_or_not_found(channel_list(user=user).filter(pk=pk), f"id: no channel {pk}.")


def channel_subscriptions(*, user, channel: Channel) -> QuerySet[Subscription]:
    require(user, Action.NOTIFICATION_CHANNEL_MANAGE)
    return channel.subscriptions.select_related("model").order_by(
        F("model__name").asc(nulls_first=True), "pk"
    )


def delivery_list(*, user, filters=None) -> QuerySet[Delivery]:
    require(user, Action.NOTIFICATION_DELIVERY_VIEW)
    deliveries = Delivery.objects.select_related("notification", "notification__model", "channel")
    return DeliveryFilter.apply(filters, deliveries).order_by("-created_at", "-pk")


def delivery_get(*, user, pk: int) -> Delivery:
    return first_or_not_found(delivery_list(user=user).filter(pk=pk), f"id: no delivery {pk}.")


def delivery_status_counts(*, user) -> dict[str, int]:
    require(user, Action.NOTIFICATION_DELIVERY_VIEW)
    return delivery_status_counts_unchecked()


def delivery_status_counts_unchecked() -> dict[str, int]:
    """Deliveries per status (for /metrics, whose own access rule is checked by its view)."""
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in DeliveryStatus.values}


def delivery_failures_by_channel() -> list[tuple[str, str, int]]:
    """(channel or recipient label, kind, failed deliveries), for /metrics."""
    return list(
        Delivery.objects.filter(status=DeliveryStatus.FAILED)
        .values_list("target_label", "kind")
        .annotate(n=Count("pk"))
        .order_by("target_label", "kind")
    )


def delivery_oldest_waiting():
    """When the oldest delivery still waiting for its next attempt was due (None: none)."""
    return Delivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]


def allowlist(*, user) -> tuple[list[str], QuerySet[OutboundAllowEntry]]:
    """(the environment's entries, the admins' entries)."""
    require(user, Action.NOTIFICATION_CHANNEL_MANAGE)
    return (
        list(settings.PORTAL_OUTBOUND_ALLOWLIST),
        OutboundAllowEntry.objects.select_related("created_by").order_by("value"),
    )


def allowlist_entry_get(*, user, pk: int) -> OutboundAllowEntry:
    _env, entries = allowlist(user=user)
    return first_or_not_found(entries.filter(pk=pk), f"id: no allow-list entry {pk}.")
