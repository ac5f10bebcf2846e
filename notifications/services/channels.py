"""Channel writes (admins): create (a webhook's secret is returned once), change, delete, send
a test; and the outbound allow-list. Each validates, writes in one transaction and records its
audit event (never with a secret in it; URLs only as host and fingerprint, since a Slack
incoming-webhook URL is itself a credential)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from notifications import outbound, signing
from notifications.dispatch import deliveries_send_on_commit
from notifications.models import (
    Channel,
    ChannelKind,
    Delivery,
    Notification,
    OutboundAllowEntry,
    Severity,
)
from notifications.services._common import full_clean, text

URL_KINDS = (ChannelKind.WEBHOOK, ChannelKind.SLACK)


def url_fingerprint(url: str) -> str:
    """``https://hooks.slack.com/… (sha256:1a2b3c4d)``: enough to tell URLs apart in the audit
    trail without writing a credential into it."""
    if not url:
        return ""
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/… (sha256:{digest})"


def channel_snapshot(channel: Channel) -> dict:
    return {
        "name": channel.name,
        "kind": channel.kind,
        "url": url_fingerprint(channel.url),
        "address": channel.address,
        "enabled": channel.enabled,
    }


class UnsafeDestination(Conflict):
    """A well-formed URL whose destination the outbound policy refuses now (409: the answer
    depends on DNS and the allow-list, which an admin can change)."""

    code = "unsafe_url"


def _url_clean(url) -> str:
    """A usable webhook/Slack URL: malformed is a 400; a destination the outbound policy
    refuses (loopback, link-local, private, metadata, not resolving) a 409 ``unsafe_url``."""
    url = text(url, field="url", max_length=outbound.URL_MAX_LENGTH)
    try:
        outbound.url_check(url)
    except outbound.UnsafeUrl as exc:
        error = UnsafeDestination if exc.destination else ValidationFailed
        raise error(f"url: {exc.message}", field="url") from exc
    return url


def _address_clean(address) -> str:
    address = text(address, field="address", max_length=254)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationFailed("address: enter a valid email address.", field="address") from exc
    return address


def _destination(kind: str, url, address) -> tuple[str, str]:
    """(url, address) for a channel of ``kind``: the one it needs, checked; the other empty."""
    if kind in URL_KINDS:
        if address:
            raise ValidationFailed("address: only email channels have an address.", field="address")
        return _url_clean(url), ""
    if url:
        raise ValidationFailed("url: email channels have an address, not a URL.", field="url")
    return "", _address_clean(address)


def _save(channel: Channel) -> None:
    full_clean(channel)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError as exc:
        raise Conflict(f"name: a channel named {channel.name!r} exists.", field="name") from exc


def channel_create(
    *, actor, name: str, kind: str, url: str = "", address: str = "", enabled: bool = True
) -> tuple[Channel, str | None]:
    """A new channel and, for a webhook, its signing secret (``whsec_…``): returned here once,
    stored encrypted, never shown again."""
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    name = text(name, field="name", max_length=100, one_line=True)
    if kind not in ChannelKind.values:
        raise ValidationFailed(
            f"kind: {kind!r} is not one of {', '.join(ChannelKind.values)}.", field="kind"
        )
    url, address = _destination(kind, url, address)
    secret = signing.secret_generate() if kind == ChannelKind.WEBHOOK else None
    channel = Channel(
        name=name,
        kind=kind,
        url=url,
        address=address,
        enabled=enabled,
        secret_encrypted=signing.secret_encrypt(secret) if secret else "",
        created_by=actor,
    )
    with transaction.atomic(durable=True):
        _save(channel)
        audit.record(
            action="notifications.channel.created",
            actor=actor,
            target=channel,
            changes=audit.created(channel_snapshot(channel) | {"secret": bool(secret)}),
        )
    return channel, secret


def channel_update(
    *,
    actor,
    channel: Channel,
    name: str | None = None,
    url: str | None = None,
    address: str | None = None,
    enabled: bool | None = None,
) -> Channel:
    """Change a channel's name, destination or whether it is enabled (its kind and secret
    stay). Disabling stops new deliveries; those already made still go out."""
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    before = channel_snapshot(channel)
    if name is not None:
        channel.name = text(name, field="name", max_length=100, one_line=True)
    if url is not None or address is not None:
        channel.url, channel.address = _destination(
            channel.kind,
            channel.url if url is None else url,
            channel.address if address is None else address,
        )
    if enabled is not None:
        channel.enabled = enabled
    with transaction.atomic(durable=True):
        _save(channel)
        changes = audit.diff(before, channel_snapshot(channel))
        if changes:
            audit.record(
                action="notifications.channel.updated", actor=actor, target=channel, changes=changes
            )
    return channel


def channel_delete(*, actor, channel: Channel) -> None:
    """Delete a channel and its subscriptions; its deliveries stay in the history (a pending
    one fails: its channel is gone)."""
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    with transaction.atomic(durable=True):
        snapshot = channel_snapshot(channel)
        audit.record(
            action="notifications.channel.deleted",
            actor=actor,
            target=channel,
            changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        )
        channel.delete()


def channel_test(*, actor, channel: Channel) -> Delivery:
    """Send a test message through ``channel`` (also when disabled): a ``channel.test``
    notification with one delivery, sent like any other after the commit."""
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    with transaction.atomic(durable=True):
        notification = Notification(
            event_type="channel.test",
            severity=Severity.INFO,
            subject=f"Test message to channel {channel.name}"[:200],
            summary=(
                f"{actor.get_username()} sent this test from the MLOps Portal to check that "
                f"the {channel.get_kind_display()} channel {channel.name!r} reaches you."
            ),
            url=reverse("channel-detail", args=[channel.pk]),
            payload={"channel": {"id": channel.pk, "name": channel.name, "kind": channel.kind}},
        )
        notification.save()
        delivery = Delivery.objects.create(
            notification=notification,
            channel=channel,
            kind=channel.kind,
            target_label=channel.name,
            next_attempt_at=notification.created_at,
        )
        audit.record(
            action="notifications.channel.tested",
            actor=actor,
            target=channel,
            changes={"delivery": {"before": None, "after": str(delivery.message_id)}},
        )
        deliveries_send_on_commit([delivery.pk])
    return delivery


# --- the outbound allow-list ------------------------------------------------------------------


def allowlist_entry_add(*, actor, value: str, note: str = "") -> OutboundAllowEntry:
    """Allow webhook and Slack URLs to reach a host name, or an address or CIDR, although it is
    loopback, link-local or private."""
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    value = text(value, field="value", max_length=255, one_line=True)
    try:
        normalized = outbound.allow_entry_normalize(value)
    except ValueError as exc:
        raise ValidationFailed(f"value: {exc}.", field="value") from exc
    entry = OutboundAllowEntry(
        value=normalized,
        note=text(note, field="note", max_length=200, required=False, one_line=True),
        created_by=actor,
    )
    with transaction.atomic(durable=True):
        full_clean(entry)
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError as exc:
            raise Conflict(f"value: {normalized!r} is allowed already.", field="value") from exc
        audit.record(
            action="notifications.allowlist.added",
            actor=actor,
            target=entry,
            changes=audit.created({"value": entry.value, "note": entry.note}),
        )
    return entry


def allowlist_entry_remove(*, actor, entry: OutboundAllowEntry) -> None:
    require(actor, Action.NOTIFICATION_CHANNEL_MANAGE)
    with transaction.atomic(durable=True):
        audit.record(
            action="notifications.allowlist.removed",
            actor=actor,
            target=entry,
            changes={"value": {"before": entry.value, "after": None}},
        )
        entry.delete()
