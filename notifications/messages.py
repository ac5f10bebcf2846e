"""What each channel kind receives for a notification: the signed webhook event, the Slack
message, the email (plain text and HTML). Built from the stored rows only, so every attempt of a
delivery sends the same body."""

from __future__ import annotations

import json
from datetime import UTC

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import Notification

SLACK_HEADER_MAX = 150
SLACK_SECTION_MAX = 3000


def absolute_url(url: str) -> str:
    """A portal path made absolute with ``PORTAL_BASE_URL``; absolute URLs stay as they are."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.PORTAL_BASE_URL}{url}"


def event_timestamp(notification: Notification) -> str:
    return notification.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_data(notification: Notification) -> dict:
    """The ``data`` of the webhook event: the caller's payload (alert, rule, version, monitor…)
    under the notification's own facts, which always win."""
    model = notification.model.name if notification.model_id else None
    return {
        "model": model,
        **notification.payload,
        "notification_id": notification.pk,
        "severity": notification.severity,
        "subject": notification.subject,
        "summary": notification.summary,
        "url": absolute_url(notification.url),
    }


def webhook_body(notification: Notification) -> bytes:
    event = {
        "type": notification.event_type,
        "timestamp": event_timestamp(notification),
        "data": event_data(notification),
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_body(notification: Notification) -> bytes:
    """An incoming-webhook message: ``blocks`` for Slack, ``text`` as the plain fallback
    (notifications, clients without blocks)."""
    url = absolute_url(notification.url)
    model = notification.model.name if notification.model_id else None
    severity = notification.severity.upper()
    fallback = f"[{severity}] {notification.subject}"
    if notification.summary:
        fallback += f": {notification.summary}"
    if url:
        fallback += f" {url}"
    facts = [f"*Severity:* {severity}", f"*Event:* {_slack_escape(notification.event_type)}"]
    if model:
        facts.insert(1, f"*Model:* {_slack_escape(model)}")
    blocks: list[dict] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(f"[{severity}] {notification.subject}", SLACK_HEADER_MAX),
            },
        }
    ]
    if notification.summary:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _clip(_slack_escape(notification.summary), SLACK_SECTION_MAX),
                },
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]})
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in the portal"},
                        "url": url,
                    }
                ],
            }
        )
    message = {"text": _slack_escape(fallback), "blocks": blocks}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def email_message(notification: Notification, *, to: str) -> EmailMultiAlternatives:
    context = {
        "notification": notification,
        "url": absolute_url(notification.url),
        "model": notification.model.name if notification.model_id else None,
        "severity": notification.severity.upper(),
        "settings_url": absolute_url(reverse("subscription-settings")),
    }
    subject = " ".join(f"[{context['severity']}] {notification.subject}".split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Portal-Event": notification.event_type},
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message
