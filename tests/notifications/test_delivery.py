"""Deliveries end to end against a real HTTP receiver on 127.0.0.1 and the locmem email
backend: signed webhooks the ``standardwebhooks`` library verifies, the same ``webhook-id`` on a
retry after a 500, backoff with jitter, a cap then ``failed``, no redirects, the address checked
again at delivery time, and one failing channel never holding up another."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from notifications import services
from notifications.models import ChannelKind, Delivery, DeliveryStatus
from notifications.services import delivery as delivery_service

ALERT_PAYLOAD = {
    "alert": {"id": 7, "status": "firing", "opened_at": "2026-11-01T10:00:00Z"},
    "rule": {"id": 3, "name": "dataset drift"},
    "version": 4,
    "monitor": {"id": 2, "name": "daily"},
}


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def allow_loopback(settings):
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.1"]


@pytest.fixture
def webhook(admin_user, receiver, allow_loopback, dns):
    channel, secret = services.channel_create(
        actor=admin_user, name="receiver", kind=ChannelKind.WEBHOOK, url=receiver.url
    )
    return channel, secret


def _alert(model, channels, django_capture_on_commit_callbacks, **kwargs):
    """Notify as the alerts work will, running the after-commit delivery tasks inline."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.notify(
            event_type="alert.firing",
            severity="critical",
            subject="Dataset drift on churn v4",
            summary="5 of 12 features drifted (share 0.42 ≥ 0.3).",
            url="/monitors/2/runs/9/",
            model=model,
            payload=ALERT_PAYLOAD,
            channels=channels,
            dedupe_key=kwargs.pop("dedupe_key", None),
            **kwargs,
        )


def test_a_signed_webhook_verifies_and_carries_the_event(
    model, webhook, receiver, django_capture_on_commit_callbacks
):
    channel, secret = webhook
    notification = _alert(model, [channel], django_capture_on_commit_callbacks)
    (request,) = receiver.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event == {
        "type": "alert.firing",
        "timestamp": notification.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": {
            **ALERT_PAYLOAD,
            "model": "churn",
            "notification_id": notification.pk,
            "severity": "critical",
            "subject": "Dataset drift on churn v4",
            "summary": "5 of 12 features drifted (share 0.42 ≥ 0.3).",
            "url": "https://portal.example.com/monitors/2/runs/9/",
        },
    }
    delivery = Delivery.objects.get(notification=notification)
    assert request.path == "/hooks/portal?team=ml"
    assert request.headers["webhook-id"] == str(delivery.message_id)
    assert request.headers["Content-Type"] == "application/json"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert delivery.sent_at is not None and delivery.next_attempt_at is None


def test_a_500_is_retried_with_the_same_webhook_id_and_both_attempts_verify(
    model, webhook, receiver, django_capture_on_commit_callbacks
):
    channel, secret = webhook
    receiver.reply(500, body=b"database is down")
    started = timezone.now()
    notification = _alert(model, [channel], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.RETRYING
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "HTTP 500: database is down"
    wait = (delivery.next_attempt_at - started).total_seconds()
    assert (
        delivery_service.BACKOFF_BASE_SECONDS / 2
        <= wait
        <= delivery_service.BACKOFF_BASE_SECONDS + 5
    )

    # Not due yet: a copy of the task that arrives early does nothing.
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    outcome = services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert outcome.status == DeliveryStatus.SENT

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.message_id)
    assert first.body == second.body
    for request in (first, second):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "alert.firing"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 200)
    assert delivery.last_error == ""


def test_429_waits_at_least_what_retry_after_asks(
    model, webhook, receiver, django_capture_on_commit_callbacks
):
    receiver.reply(429, {"Retry-After": "600"})
    started = timezone.now()
    notification = _alert(model, [webhook[0]], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.status, delivery.last_status_code) == ("retrying", 429)
    assert (delivery.next_attempt_at - started).total_seconds() >= 600


def test_after_the_cap_the_delivery_fails_with_its_status_code_and_error(
    model, webhook, receiver, django_capture_on_commit_callbacks
):
    for _ in range(delivery_service.MAX_ATTEMPTS):
        receiver.reply(503, body=b"maintenance")
    notification = _alert(model, [webhook[0]], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    while delivery.status == DeliveryStatus.RETRYING:
        services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == delivery_service.MAX_ATTEMPTS
    assert delivery.last_status_code == 503
    assert (
        delivery.last_error
        == f"gave up after {delivery_service.MAX_ATTEMPTS} attempts: HTTP 503: maintenance"
    )
    assert len(receiver.received) == delivery_service.MAX_ATTEMPTS
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert services.delivery_attempt(delivery_id=delivery.pk, now=timezone.now()) is None


@pytest.mark.parametrize(
    "status, headers, error",
    [
        (400, {}, "HTTP 400: bad payload"),
        (410, {}, "HTTP 410: bad payload"),
        (301, {"Location": "http://169.254.169.254/"}, "HTTP 301: redirects are not followed."),
    ],
)
def test_other_answers_fail_at_once(
    status, headers, error, model, webhook, receiver, django_capture_on_commit_callbacks
):
    receiver.reply(status, headers, b"bad payload")
    notification = _alert(model, [webhook[0]], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, status)
    assert delivery.last_error == error
    assert len(receiver.received) == 1  # and no redirect followed


def test_a_timeout_is_retried(
    model, webhook, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import outbound

    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.2)
    receiver.hang = True
    notification = _alert(model, [webhook[0]], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code is None and delivery.last_error.startswith("timed out")


def test_the_address_is_checked_again_at_delivery_time(
    model, admin_user, dns, receiver, django_capture_on_commit_callbacks
):
    channel, _secret = services.channel_create(
        actor=admin_user,
        name="rebinding",
        kind=ChannelKind.WEBHOOK,
        url=f"http://receiver.example.com:{receiver.port}/in",
    )
    dns["receiver.example.com"] = ["127.0.0.1"]  # the DNS answer changes after the check
    notification = _alert(model, [channel], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.FAILED
    assert "loopback" in delivery.last_error and delivery.last_error.startswith("url refused")
    assert receiver.received == []


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap():
    base = delivery_service.BACKOFF_BASE_SECONDS
    for attempts in range(1, 12):
        ceiling = min(delivery_service.BACKOFF_MAX_SECONDS, base * 2 ** (attempts - 1))
        delays = {delivery_service.backoff_seconds(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jitter
    assert delivery_service.backoff_seconds(1, retry_after=10**9) == (
        delivery_service.BACKOFF_MAX_SECONDS
    )


def test_slack_gets_blocks_with_a_plain_text_fallback(
    model, admin_user, receiver, allow_loopback, dns, django_capture_on_commit_callbacks
):
    slack, secret = services.channel_create(
        actor=admin_user, name="slack", kind=ChannelKind.SLACK, url=receiver.url
    )
    assert secret is None
    _alert(model, [slack], django_capture_on_commit_callbacks)
    (request,) = receiver.received
    assert "webhook-signature" not in request.headers
    message = request.json()
    assert message["text"] == (
        "[CRITICAL] Dataset drift on churn v4: 5 of 12 features drifted (share 0.42 ≥ 0.3). "
        "https://portal.example.com/monitors/2/runs/9/"
    )
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "context", "actions"]
    assert message["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": "[CRITICAL] Dataset drift on churn v4",
    }
    assert "*Model:* churn" in message["blocks"][2]["elements"][0]["text"]
    button = message["blocks"][3]["elements"][0]
    assert button["url"] == "https://portal.example.com/monitors/2/runs/9/"


def test_slack_text_escapes_its_control_characters(
    model, admin_user, receiver, allow_loopback, dns, django_capture_on_commit_callbacks
):
    slack, _ = services.channel_create(
        actor=admin_user, name="slack", kind=ChannelKind.SLACK, url=receiver.url
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            event_type="alert.firing",
            severity="info",
            subject="a <b> & c",
            summary="<!channel> x > y",
            channels=[slack],
        )
    message = receiver.received[0].json()
    assert message["text"] == "[INFO] a &lt;b&gt; &amp; c: &lt;!channel&gt; x &gt; y"
    assert message["blocks"][1]["text"]["text"] == "&lt;!channel&gt; x &gt; y"


def test_email_has_plain_text_and_html_bodies_linking_to_the_alert(
    model, owner, admin_user, django_capture_on_commit_callbacks
):
    ops, _ = services.channel_create(
        actor=admin_user, name="ops-mail", kind=ChannelKind.EMAIL, address="ops@example.com"
    )
    services.subscription_set(actor=owner, model=model, min_severity="warning", email=True)
    _alert(model, [ops], django_capture_on_commit_callbacks)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ops@example.com",
        "owner@example.com",
    ]
    message = mail.outbox[0]
    assert message.subject == "[CRITICAL] Dataset drift on churn v4"
    assert "5 of 12 features drifted" in message.body
    assert "https://portal.example.com/monitors/2/runs/9/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://portal.example.com/monitors/2/runs/9/"' in html
    assert "https://portal.example.com/notifications/subscriptions/" in message.body
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failing_channel_never_holds_up_another(
    model, admin_user, webhook, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import messages

    broken, _ = services.channel_create(
        actor=admin_user, name="broken-mail", kind=ChannelKind.EMAIL, address="x@example.com"
    )
    original = messages.email_message

    def smtp_refuses(notification, *, to):
        message = original(notification, to=to)

        def send(*args, **kwargs):
            import smtplib

            raise smtplib.SMTPResponseException(550, b"mailbox unavailable")

        message.send = send
        return message

    monkeypatch.setattr(messages, "email_message", smtp_refuses)
    notification = _alert(model, [broken, webhook[0]], django_capture_on_commit_callbacks)
    statuses = dict(
        Delivery.objects.filter(notification=notification).values_list("target_label", "status")
    )
    assert statuses == {"broken-mail": "failed", "receiver": "sent"}
    assert len(receiver.received) == 1
    assert "550" in Delivery.objects.get(target_label="broken-mail").last_error


def test_a_delivery_is_claimed_once_and_a_stale_claim_is_taken_over(
    model, webhook, receiver, monkeypatch
):
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notification = services.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[webhook[0]]
    )
    delivery = Delivery.objects.get(notification=notification)
    now = timezone.now()
    assert delivery_service._claim(delivery.pk, now)
    assert not delivery_service._claim(delivery.pk, now)  # a second copy of the task
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    later = now + delivery_service.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert services.delivery_attempt(delivery_id=delivery.pk, now=later).status == "sent"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and len(receiver.received) == 1


def test_lost_deliveries_are_found_by_the_requeue_sweep(model, webhook, monkeypatch):
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notification = services.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[webhook[0]]
    )
    delivery = Delivery.objects.get(notification=notification)
    now = timezone.now()
    assert services.deliveries_due(now=now) == []
    assert services.deliveries_due(now=now + timedelta(minutes=2)) == [delivery.pk]
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=now)
    assert services.deliveries_due(now=now + timedelta(minutes=2)) == []
    assert services.deliveries_due(now=now + timedelta(minutes=4)) == [delivery.pk]
    Delivery.objects.filter(pk=delivery.pk).update(status="sent")
    assert services.deliveries_due(now=now + timedelta(hours=1)) == []


def test_a_deleted_channel_fails_its_pending_delivery(model, admin_user, webhook, monkeypatch):
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notification = services.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[webhook[0]]
    )
    services.channel_delete(actor=admin_user, channel=webhook[0])
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.channel is None and delivery.target_label == "receiver"
    assert services.delivery_attempt(delivery_id=delivery.pk).status == "failed"
    delivery.refresh_from_db()
    assert delivery.last_error == "the channel or recipient was deleted."


def test_a_secret_that_cannot_be_decrypted_fails_the_delivery(
    model, webhook, settings, monkeypatch
):
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notification = services.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[webhook[0]]
    )
    settings.SECRET_KEY = "rotated-without-fallback-" + "y" * 40
    delivery = Delivery.objects.get(notification=notification)
    assert services.delivery_attempt(delivery_id=delivery.pk).status == "failed"
    delivery.refresh_from_db()
    assert "SECRET_KEY_FALLBACKS" in delivery.last_error


def test_the_task_runs_after_the_commit_and_schedules_its_retry(
    model, webhook, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    scheduled = []
    queue_now = tasks.delivery_send.apply_async

    def apply_async(args=None, kwargs=None, countdown=None, **options):
        if countdown is None:
            return queue_now(args, kwargs, **options)  # delay(): run it (eagerly)
        scheduled.append((args, countdown))  # the retry: recorded, not run
        return None

    monkeypatch.setattr(tasks.delivery_send, "apply_async", apply_async)
    receiver.reply(502)
    notification = _alert(model, [webhook[0]], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.RETRYING
    ((args, countdown),) = scheduled
    assert args == [delivery.pk]
    assert countdown == pytest.approx(
        (delivery.next_attempt_at - delivery.claimed_at).total_seconds(), abs=0.01
    )
    assert delivery_service.BACKOFF_BASE_SECONDS / 2 <= countdown <= 30
