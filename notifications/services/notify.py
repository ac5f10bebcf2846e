"""``notify``: the one way anything in the portal tells people something happened."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q

from governance.roles import ANY_USER, MATRIX, Action
from mlops_portal.errors import ValidationFailed
from notifications.dispatch import deliveries_send_on_commit
from notifications.models import (
    SUMMARY_MAX_LENGTH,
    Channel,
    ChannelKind,
    Delivery,
    InboxEntry,
    MinSeverity,
    Notification,
    Severity,
    Subscription,
    thresholds_met_by,
)
from notifications.services._common import full_clean, text
from registry.models import RegisteredModel

PAYLOAD_MAX_BYTES = 64 * 1024
OWNER_DEFAULT = MinSeverity.INFO  # owners hear about their models from info on, inbox only


def notify(
    *,
    event_type: str,
    severity: str,
    subject: str,
    summary: str = "",
    url: str = "",
    model: RegisteredModel | None = None,
    payload: dict | None = None,
    recipients: Iterable | None = None,
    channels: Iterable[Channel] | None = None,
    email_recipients: Iterable | None = None,
    include_subscribers: bool = True,
    dedupe_key: str | None = None,
) -> Notification:
    """Record one event and fan it out: inbox entries, and one Delivery per channel sent by a
    Celery task once the caller's transaction commits.

    - ``event_type``: dotted lowercase (``alert.firing``, ``alert.acknowledged``,
      ``alert.resolved``, ``promotion.requested`` …); it is the webhook event's ``type``.
    - ``severity``: ``info`` | ``warning`` | ``critical``; subscriptions filter on it.
    - ``subject`` (one line, ≤ 200), ``summary`` (≤ 5000): what people read.
    - ``url``: a portal path (``/monitors/3/``) or an absolute http(s) URL; links in every
      channel are made absolute with ``PORTAL_BASE_URL``.
    - ``model``: what it is about; its subscribers (and its owners, by default) hear of it.
      ``None``: only all-models subscriptions (and the explicit recipients/channels) apply.
    - ``payload``: a JSON object merged into the webhook event's ``data`` (alert, rule, version,
      monitor …; ≤ 64 KiB); ``model``, ``severity``, ``subject``, ``summary``, ``url`` and
      ``notification_id`` are always the notification's own.
    - ``recipients``: users who get an inbox entry whatever their subscriptions.
    - ``channels``: channels that get a delivery whatever their subscriptions (disabled channels
      are skipped).
    - ``email_recipients``: users who get an inbox entry and an email (to their own address)
      whatever their subscriptions, e.g. those a follow-up's first message reached by email.
    - ``include_subscribers``: ``False`` for a message to the explicit audience only (e.g. the
      approvers of one promotion request).
    - ``dedupe_key``: at most one notification per key, ever; calling again with the same key
      returns the first one and sends nothing (safe for a task that runs twice).

    Runs inside the caller's transaction when there is one (the notification commits or rolls
    back with the change it is about); nothing is sent before that commit, and a channel that
    fails or a broker that is away never raises into the caller once it has committed.
    Raises ``ValidationFailed`` for bad arguments (a bug in the caller).
    """
    event_type = text(event_type, field="event_type", max_length=100, one_line=True)
    if severity not in Severity.values:
        raise ValidationFailed(
            f"severity: {severity!r} is not one of {', '.join(Severity.values)}.", field="severity"
        )
    subject = text(subject, field="subject", max_length=200, one_line=True)
    summary = text(summary, field="summary", max_length=SUMMARY_MAX_LENGTH, required=False)
    url = _url_clean(url)
    payload = _payload_clean(payload)
    if dedupe_key is not None:
        dedupe_key = text(dedupe_key, field="dedupe_key", max_length=200)
    if model is not None and not isinstance(model, RegisteredModel):
        raise ValidationFailed("model: must be a RegisteredModel or None.", field="model")
    recipient_ids = {user.pk for user in recipients or ()}
    channel_ids = {channel.pk for channel in channels or ()}
    email_ids = {user.pk for user in email_recipients or ()}
    recipient_ids |= email_ids

    with transaction.atomic():
        if dedupe_key is not None:
            existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        notification = Notification(
            event_type=event_type,
            severity=severity,
            subject=subject,
            summary=summary,
            url=url,
            model=model,
            payload=payload,
            dedupe_key=dedupe_key,
        )
        full_clean(notification, exclude=["model"])  # a RegisteredModel, checked above
        if dedupe_key is None:
            notification.save(force_insert=True)
        else:
            try:
                with transaction.atomic():
                    notification.save(force_insert=True)
            except IntegrityError:
                existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
                if existing is None:
                    raise
                return existing  # the same key, notified concurrently

        if include_subscribers:
            subscribed_users, subscribed_emails, subscribed_channels = _audience(model, severity)
            recipient_ids |= _model_readers(subscribed_users)
            email_ids |= subscribed_emails & recipient_ids
            channel_ids |= subscribed_channels
        users = list(
            get_user_model()
            .objects.filter(pk__in=recipient_ids, is_active=True)
            .values_list("pk", "username", "email")
            .order_by("pk")
        )
        InboxEntry.objects.bulk_create(
            [InboxEntry(notification=notification, user_id=pk) for pk, _name, _email in users]
        )
        deliveries = [
            Delivery(
                notification=notification,
                channel=channel,
                kind=channel.kind,
                target_label=channel.name,
                next_attempt_at=notification.created_at,
            )
            for channel in Channel.objects.filter(pk__in=channel_ids, enabled=True).order_by("pk")
        ]
        deliveries += [
            Delivery(
                notification=notification,
                recipient_id=pk,
                kind=ChannelKind.EMAIL,
                target_label=f"email to {username}"[:200],
                next_attempt_at=notification.created_at,
            )
            for pk, username, email in users
            if pk in email_ids and email
        ]
        created = Delivery.objects.bulk_create(deliveries)
        deliveries_send_on_commit(delivery.pk for delivery in created)
    return notification


def _url_clean(url) -> str:
    url = text(url, field="url", max_length=2000, required=False, one_line=True)
    if not url or url.startswith(("https://", "http://")):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return url
    raise ValidationFailed("url: must be a portal path (/…) or an http(s) URL.", field="url")


def _payload_clean(payload) -> dict:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationFailed("payload: must be a JSON object.", field="payload")
    try:
        encoded = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"payload: not JSON-serializable ({exc}).", field="payload") from exc
    if len(encoded.encode()) > PAYLOAD_MAX_BYTES:
        raise ValidationFailed(f"payload: at most {PAYLOAD_MAX_BYTES} bytes.", field="payload")
    if "\\u0000" in encoded:
        raise ValidationFailed("payload: NUL characters are not allowed.", field="payload")
    return json.loads(encoded)  # exactly what the database gives back


def _audience(model: RegisteredModel | None, severity: str) -> tuple[set, set, set]:
    """(user ids, of which those who also want email, channel ids) whose subscription a
    notification of ``severity`` about ``model`` reaches.

    For each subscriber, a subscription for this model wins over one for every model, which
    wins over the owners' default (``OWNER_DEFAULT``, inbox only) for members of the model's
    owner group and its creator. ``off`` mutes."""
    reached = set(thresholds_met_by(severity))
    rows = Subscription.objects.filter(
        Q(model__isnull=True) | Q(model=model) if model is not None else Q(model__isnull=True)
    ).values_list("user_id", "channel_id", "model_id", "min_severity", "email")
    choice: dict[tuple[str, int], tuple[bool, str, bool]] = {}
    for user_id, channel_id, model_id, min_severity, email in rows:
        key = ("user", user_id) if user_id is not None else ("channel", channel_id)
        specific = model_id is not None
        if key not in choice or specific:
            choice[key] = (specific, min_severity, email)
    if model is not None:
        owners = set(
            get_user_model()
            .objects.filter(groups__pk=model.owner_group_id)
            .values_list("pk", flat=True)
            if model.owner_group_id
            else ()
        )
        if model.created_by_id:
            owners.add(model.created_by_id)
        for owner in owners:
            choice.setdefault(("user", owner), (False, OWNER_DEFAULT, False))
    users, emails, channels = set(), set(), set()
    for (kind, pk), (_specific, min_severity, email) in choice.items():
        if min_severity not in reached:
            continue
        if kind == "channel":
            channels.add(pk)
        else:
            users.add(pk)
            if email:
                emails.add(pk)
    return users, emails, channels


def _model_readers(user_ids: set[int]) -> set[int]:
    """The users among ``user_ids`` whose roles let them read models: a subscription never
    tells anyone about a model they may not see. The roles are those governance.roles' MATRIX
    gives ``Action.MODEL_VIEW`` (one query for all of them, instead of one per user)."""
    if not user_ids:
        return set()
    allowed = MATRIX[Action.MODEL_VIEW]
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    if allowed is not ANY_USER:
        users = users.filter(
            Q(is_superuser=True) | Q(groups__name__in=[role.value for role in allowed])
        )
    return set(users.values_list("pk", flat=True).distinct())
