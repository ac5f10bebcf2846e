"""Notification pages: the inbox (and the badge every page links), subscription settings, and
for admins channels (the secret shown once, send test), deliveries and the allow-list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.audit import AuditEvent
from notifications import services
from notifications.models import (
    Channel,
    Delivery,
    InboxEntry,
    OutboundAllowEntry,
    Subscription,
)


@pytest.fixture(autouse=True)
def _dns(dns):
    return dns


def _notify(user, subject="Drift on churn", **kwargs):
    return services.notify(
        event_type="alert.firing",
        severity=kwargs.pop("severity", "warning"),
        subject=subject,
        url="/monitors/1/",
        recipients=[user],
        include_subscribers=False,
        **kwargs,
    )


def test_every_page_links_the_inbox_and_its_badge_without_a_query(web_as, viewer):
    _notify(viewer)
    client = web_as(viewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("model-list")).content.decode()
    assert not [q for q in queries.captured_queries if "notifications_" in q["sql"]]
    assert 'id="inbox-link"' in page
    assert 'data-unread-url="/api/v1/notifications/unread/"' in page
    assert '<script src="/static/notifications/inbox.js" defer></script>' in page
    anonymous = web_as(None)
    anonymous.logout()
    assert "inbox-link" not in anonymous.get(reverse("login")).content.decode()


def test_the_badge_script_is_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("notifications/inbox.js")


def test_the_inbox_lists_and_marks_read(web_as, viewer, make_user):
    first = _notify(viewer, "first <b>")
    second = _notify(viewer, "second", severity="critical")
    _notify(make_user("viewer", username="other"), "not yours")
    client = web_as(viewer)
    page = client.get(reverse("notification-inbox")).content.decode()
    assert "2 unread</span>" in page
    assert "first &lt;b&gt;" in page and "second" in page and "not yours" not in page
    assert page.index("second") < page.index("first")
    response = client.post(reverse("notification-read"), {"id": [str(first.pk)]})
    assert response.status_code == 302
    assert InboxEntry.objects.get(notification=first).read_at is not None
    assert InboxEntry.objects.get(notification=second).read_at is None
    critical = client.get(reverse("notification-inbox"), {"severity": "critical"})
    assert "second" in critical.content.decode() and "first" not in critical.content.decode()
    client.post(reverse("notification-read"), {"all": "1"})
    assert not InboxEntry.objects.filter(user=viewer, read_at__isnull=True).exists()
    assert " unread</span>" not in client.get(reverse("notification-inbox")).content.decode()


def test_the_inbox_page_costs_a_fixed_number_of_queries(
    web_as, viewer, django_assert_max_num_queries
):
    client = web_as(viewer)
    client.get(reverse("notification-inbox"))
    for i in range(40):
        _notify(viewer, f"n{i}")
    with django_assert_max_num_queries(7):
        page = client.get(reverse("notification-inbox"))
    assert page.content.decode().count('name="id"') == 40


def test_subscription_settings(web_as, owner, model):
    client = web_as(owner)
    page = client.get(reverse("subscription-settings")).content.decode()
    assert "churn" in page and "default: your team owns it" in page
    response = client.post(
        reverse("subscription-settings"),
        {"model": "churn", "min_severity": "critical", "email": "on"},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get(user=owner)
    assert (subscription.model, subscription.min_severity, subscription.email) == (
        model,
        "critical",
        True,
    )
    page = client.get(reverse("subscription-settings")).content.decode()
    assert "Critical only" in page and "default: your team owns it" not in page
    client.post(reverse("subscription-settings"), {"model": "", "min_severity": "info"})
    assert Subscription.objects.filter(user=owner, model__isnull=True).exists()
    client.post(reverse("subscription-delete", args=[subscription.pk]))
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert AuditEvent.objects.filter(action__startswith="notifications.subscription").count() == 3


def test_a_bad_subscription_form_shows_the_error(web_as, viewer):
    response = web_as(viewer).post(
        reverse("subscription-settings"), {"model": "nope", "min_severity": "info"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_webhook_secret_is_shown_once_after_creation(web_as, admin_user):
    client = web_as(admin_user)
    response = client.post(
        reverse("channel-list"),
        {
            "name": "ops-hook",
            "kind": "webhook",
            "url": "https://hooks.example.com/in",
            "enabled": "on",
        },
    )
    channel = Channel.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "channel-detail", args=[channel.pk]
    )
    shown = client.get(response["Location"]).content.decode()
    assert 'id="new-secret">whsec_' in shown
    again = client.get(response["Location"]).content.decode()
    assert "whsec_" not in again


def test_an_unsafe_url_on_the_page_is_a_form_error_and_nothing_is_written(web_as, admin_user):
    response = web_as(admin_user).post(
        reverse("channel-list"),
        {"name": "meta", "kind": "webhook", "url": "http://169.254.169.254/latest/"},
    )
    assert response.status_code == 200
    assert "link-local" in response.content.decode()
    assert not Channel.objects.exists()


def test_channel_page_edits_subscribes_tests_and_deletes(web_as, admin_user, model):
    client = web_as(admin_user)
    channel, _ = services.channel_create(
        actor=admin_user, name="ops", kind="email", address="ops@example.com"
    )
    url = reverse("channel-detail", args=[channel.pk])
    assert "ops@example.com" in client.get(url).content.decode()
    client.post(url, {"name": "ops-mail", "address": "ops2@example.com"})
    channel.refresh_from_db()
    assert (channel.name, channel.address, channel.enabled) == (
        "ops-mail",
        "ops2@example.com",
        False,
    )
    client.post(
        reverse("channel-subscription-set", args=[channel.pk]),
        {"model": "churn", "min_severity": "critical"},
    )
    assert Subscription.objects.get(channel=channel).min_severity == "critical"
    client.post(reverse("channel-test", args=[channel.pk]))
    (delivery,) = Delivery.objects.filter(channel=channel)
    assert delivery.notification.event_type == "channel.test"
    page = client.get(url).content.decode()
    assert "channel.test" in page and "Critical only" in page
    client.post(reverse("channel-delete", args=[channel.pk]))
    assert not Channel.objects.exists()


def test_the_deliveries_page_shows_failures_with_code_and_error(web_as, admin_user):
    channel, _ = services.channel_create(
        actor=admin_user, name="ops", kind="email", address="ops@example.com"
    )
    notification = _notify(admin_user, channels=[channel])
    Delivery.objects.filter(notification=notification).update(
        status="failed", attempts=8, last_status_code=503, last_error="gave up: HTTP 503"
    )
    page = web_as(admin_user).get(reverse("delivery-list"), {"status": "failed"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "gave up: HTTP 503" in text and "503" in text and "ops" in text


def test_the_allow_list_page_adds_and_removes_entries(web_as, admin_user, settings):
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    client = web_as(admin_user)
    page = client.get(reverse("outbound-allowlist")).content.decode()
    assert "127.0.0.1" in page and "PORTAL_OUTBOUND_ALLOWLIST" in page
    client.post(reverse("outbound-allowlist"), {"value": "10.1.0.0/16", "note": "hooks"})
    entry = OutboundAllowEntry.objects.get()
    assert entry.value == "10.1.0.0/16"
    bad = client.post(reverse("outbound-allowlist"), {"value": "not a host!"})
    assert "neither a host name" in bad.content.decode()
    duplicate = client.post(reverse("outbound-allowlist"), {"value": "10.1.0.0/16"})
    assert "allowed already" in duplicate.content.decode()
    client.post(reverse("outbound-allowlist-delete", args=[entry.pk]))
    assert not OutboundAllowEntry.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="notifications.allowlist")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["notifications.allowlist.added", "notifications.allowlist.removed"]
