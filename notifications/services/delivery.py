"""Sending one Delivery: claimed by a conditional update, attempted once, then sent, scheduled
for another attempt (429, 5xx, timeouts, connection failures: exponential backoff with jitter,
at most ``MAX_ATTEMPTS``), or failed with its status code and error for the admins to see.

Idempotent: the claim moves ``pending``/``retrying`` (due) to ``sending``, so two copies of the
task never both send; a claim older than ``CLAIM_TIMEOUT`` (its worker died) may be taken again.
Every attempt of a webhook carries the same ``webhook-id`` (the Delivery's ``message_id``).
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F, Q
from django.utils import timezone

from notifications import messages, outbound, signing
from notifications.models import ChannelKind, Delivery, DeliveryStatus

logger = logging.getLogger("notifications")

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
CLAIM_TIMEOUT = timedelta(minutes=3)  # longer than the task's hard time limit
SCHEDULE_TOLERANCE = timedelta(seconds=5)  # a countdown may fire a little early
REQUEUE_GRACE = timedelta(minutes=1)
ERROR_MAX_LENGTH = 1000


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when there is one


class _Retry(Exception):
    def __init__(self, message: str, *, status_code: int | None = None, retry_after=None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class _Fail(Exception):
    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


def backoff_seconds(attempts: int, *, retry_after: int | None = None) -> float:
    """Exponential backoff with jitter after ``attempts`` attempts: a random delay between half
    and all of ``base * 2^(attempts-1)``, capped; at least what the receiver's Retry-After
    asked for (within the cap)."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), BACKOFF_MAX_SECONDS))
    return delay


def _claim(delivery_id: int, now: datetime) -> bool:
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + SCHEDULE_TOLERANCE)
    )
    stale = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return bool(
        Delivery.objects.filter(due | stale, pk=delivery_id).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            updated_at=now,
        )
    )


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> DeliveryOutcome | None:
    """One attempt at ``delivery_id`` if it is due; ``None`` when there is nothing to do (sent,
    failed, not due yet, or another worker holds it)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related(
        "notification", "notification__model", "channel", "recipient"
    ).get(pk=delivery_id)
    update: dict = {"last_status_code": None, "last_error": ""}
    try:
        try:
            update["last_status_code"] = _send(delivery)
        except SoftTimeLimitExceeded as exc:
            raise _Retry("the attempt ran out of time.") from exc
    except _Retry as retry:
        update |= {"last_status_code": retry.status_code, "last_error": _clip(str(retry))}
        if delivery.attempts >= MAX_ATTEMPTS:
            outcome = DeliveryOutcome(DeliveryStatus.FAILED)
            update["last_error"] = _clip(f"gave up after {delivery.attempts} attempts: {retry}")
        else:
            delay = backoff_seconds(delivery.attempts, retry_after=retry.retry_after)
            outcome = DeliveryOutcome(DeliveryStatus.RETRYING, retry_in=delay)
            update["next_attempt_at"] = now + timedelta(seconds=delay)
    except _Fail as fail:
        outcome = DeliveryOutcome(DeliveryStatus.FAILED)
        update |= {"last_status_code": fail.status_code, "last_error": _clip(str(fail))}
    except Exception as exc:  # a bug must not leave the row claimed: fail it, loudly
        logger.exception("delivery %s: unexpected error", delivery_id)
        outcome = DeliveryOutcome(DeliveryStatus.FAILED)
        update["last_error"] = _clip(f"internal error: {type(exc).__name__}: {exc}")
    else:
        outcome = DeliveryOutcome(DeliveryStatus.SENT)
        update["sent_at"] = timezone.now()
    if outcome.status != DeliveryStatus.RETRYING:
        update["next_attempt_at"] = None
    if outcome.status == DeliveryStatus.FAILED:
        logger.warning("delivery %s to %s failed: %s", delivery_id, delivery.target_label, update)
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, claimed_at=now).update(
        status=outcome.status, updated_at=timezone.now(), **update
    )
    return outcome


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose task was lost: due a while ago and still waiting (the broker was away
    when they were queued, or their countdown message was lost), or claimed by a worker that
    died. The periodic requeue task queues them again; the claim keeps that harmless."""
    now = now or timezone.now()
    waiting = Q(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        next_attempt_at__lt=now - REQUEUE_GRACE,
    )
    stale = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return list(
        Delivery.objects.filter(waiting | stale)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _clip(message: str) -> str:
    return message if len(message) <= ERROR_MAX_LENGTH else message[: ERROR_MAX_LENGTH - 1] + "…"


# --- one attempt per kind ----------------------------------------------------------------------


def _send(delivery: Delivery) -> int | None:
    """Send once; the HTTP status on success (None for email). Raises _Retry or _Fail."""
    if delivery.channel_id is None and delivery.recipient_id is None:
        raise _Fail("the channel or recipient was deleted.")
    if delivery.kind == ChannelKind.EMAIL:
        _send_email(delivery)
        return None
    return _send_http(delivery)


def _send_email(delivery: Delivery) -> None:
    to = delivery.channel.address if delivery.channel_id else delivery.recipient.email
    if not to:
        raise _Fail("the recipient has no email address.")
    message = messages.email_message(delivery.notification, to=to)
    try:
        message.send()
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise _Retry(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise _Fail(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise _Fail(f"SMTP refused the recipient: {exc.recipients!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise _Retry(f"SMTP: {type(exc).__name__}: {exc}") from exc


def _send_http(delivery: Delivery) -> int:
    channel, notification = delivery.channel, delivery.notification
    try:
        target = outbound.url_check(channel.url)  # again now: DNS may say something else today
    except outbound.UnsafeUrl as exc:
        raise _Fail(f"url refused: {exc.message}") from exc
    headers = {}
    if delivery.kind == ChannelKind.WEBHOOK:
        body = messages.webhook_body(notification)
        try:
            secret = signing.secret_decrypt(channel.secret_encrypted)
        except signing.SecretUnavailable as exc:
            raise _Fail(str(exc)) from exc
        headers = signing.signed_headers(
            secret=secret, message_id=str(delivery.message_id), body=body, now=timezone.now()
        )
    else:
        body = messages.slack_body(notification)
    try:
        response = outbound.post_json(target, body=body, headers=headers)
    except outbound.TransientError as exc:
        raise _Retry(str(exc)) from exc
    except outbound.PermanentError as exc:
        raise _Fail(str(exc)) from exc
    status = response.status
    if 200 <= status < 300:
        return status
    detail = f"HTTP {status}" + (
        f": {response.snippet.strip()}" if response.snippet.strip() else ""
    )
    if status == 429 or status >= 500:
        raise _Retry(detail, status_code=status, retry_after=response.retry_after)
    if 300 <= status < 400:
        raise _Fail(f"HTTP {status}: redirects are not followed.", status_code=status)
    raise _Fail(detail, status_code=status)
