"""Subscription writes: each user manages their own; admins manage channels' subscriptions.
Each change is audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, NotFound, ValidationFailed
from notifications.models import Channel, MinSeverity, Subscription
from notifications.services._common import full_clean
from registry.models import RegisteredModel


def subscription_snapshot(subscription: Subscription) -> dict:
    return {
        "user": subscription.user.get_username() if subscription.user_id else None,
        "channel": subscription.channel.name if subscription.channel_id else None,
        "model": subscription.model.name if subscription.model_id else None,
        "min_severity": subscription.min_severity,
        "email": subscription.email,
    }


def _label(subscription: Subscription) -> str:
    who = subscription.user.get_username() if subscription.user_id else subscription.channel.name
    what = subscription.model.name if subscription.model_id else "all models"
    return f"{who}: {what}"


def _require_manage(actor, subscription: Subscription) -> None:
    if subscription.channel_id is not None:
        require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    else:
        require(actor, Action.NOTIFICATION_SUBSCRIBE_OWN)
        if subscription.user_id != actor.pk:
            raise NotFound(f"id: no subscription {subscription.pk} of yours.", field="id")


def _min_severity_clean(value) -> str:
    if value not in MinSeverity.values:
        raise ValidationFailed(
            f"min_severity: {value!r} is not one of {', '.join(MinSeverity.values)}.",
            field="min_severity",
        )
    return value


def subscription_set(
    *,
    actor,
    model: RegisteredModel | None,
    min_severity: str,
    email: bool = False,
    channel: Channel | None = None,
) -> tuple[Subscription, bool]:
    """The actor's own subscription for ``model`` (``None``: every model), or — admins only —
    ``channel``'s: created, or changed when one exists. Returns it and whether it is new.

    ``min_severity`` ``off`` mutes (e.g. an owner's default for their own model); ``email``
    also sends it to the user's own address (users only)."""
    if channel is not None:
        require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
        if email:
            raise ValidationFailed(
                "email: only a user's subscription can email them.", field="email"
            )
    else:
        require(actor, Action.NOTIFICATION_SUBSCRIBE_OWN)
    min_severity = _min_severity_clean(min_severity)
    subscriber = {"channel": channel} if channel is not None else {"user": actor}
    with transaction.atomic(durable=True):
        subscription = (
            Subscription.objects.select_related("user", "channel", "model")
            .filter(**subscriber, model=model)
            .first()
        )
        created = subscription is None
        if created:
            subscription = Subscription(**subscriber, model=model)
            before = None
        else:
            before = subscription_snapshot(subscription)
        subscription.min_severity = min_severity
        subscription.email = bool(email)
        full_clean(subscription)
        try:
            with transaction.atomic():
                subscription.save()
        except IntegrityError as exc:  # the same subscription, created concurrently
            raise Conflict("model: that subscription exists already.", field="model") from exc
        after = subscription_snapshot(subscription)
        changes = audit.created(after) if before is None else audit.diff(before, after)
        if changes:
            audit.record(
                action="notifications.subscription.created"
                if created
                else "notifications.subscription.updated",
                actor=actor,
                target=subscription,
                target_label=_label(subscription),
                changes=changes,
            )
    return subscription, created


def subscription_update(
    *, actor, subscription: Subscription, min_severity: str | None = None, email=None
) -> Subscription:
    _require_manage(actor, subscription)
    before = subscription_snapshot(subscription)
    if min_severity is not None:
        subscription.min_severity = _min_severity_clean(min_severity)
    if email is not None:
        if email and subscription.channel_id is not None:
            raise ValidationFailed(
                "email: only a user's subscription can email them.", field="email"
            )
        subscription.email = bool(email)
    with transaction.atomic(durable=True):
        full_clean(subscription)
        subscription.save()
        changes = audit.diff(before, subscription_snapshot(subscription))
        if changes:
            audit.record(
                action="notifications.subscription.updated",
                actor=actor,
                target=subscription,
                target_label=_label(subscription),
                changes=changes,
            )
    return subscription


def subscription_delete(*, actor, subscription: Subscription) -> None:
    """Remove a subscription (an owner falls back to the owners' default for that model)."""
    _require_manage(actor, subscription)
    with transaction.atomic(durable=True):
        audit.record(
            action="notifications.subscription.deleted",
            actor=actor,
            target=subscription,
            target_label=_label(subscription),
            changes={
                key: {"before": value, "after": None}
                for key, value in subscription_snapshot(subscription).items()
            },
        )
        subscription.delete()
