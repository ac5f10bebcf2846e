"""The notifications API: channels (admins; a webhook's secret in the creation response only),
sending a test, the caller's inbox and marking read, subscriptions, deliveries. Bad input is a
4xx naming the field, and nothing is written."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from governance.audit import AuditEvent
from notifications import services
from notifications.models import Channel, Delivery, InboxEntry, Subscription

CHANNELS = "/api/v1/channels/"


@pytest.fixture(autouse=True)
def _dns(dns):
    return dns


def _error(response) -> dict:
    return response.json()["error"]


def _nothing_written(before_events: int) -> None:
    assert not Channel.objects.exists()
    assert AuditEvent.objects.count() == before_events


# --- channels -------------------------------------------------------------------------------


def test_a_webhook_channel_returns_its_secret_once(api_as, admin_user):
    api = api_as(admin_user)
    created = api.post(
        CHANNELS, {"name": "ops-hook", "kind": "webhook", "url": "https://hooks.example.com/in"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body | {"secret": None} == {
        "id": body["id"],
        "name": "ops-hook",
        "kind": "webhook",
        "url": "https://hooks.example.com/in",
        "address": "",
        "enabled": True,
        "created_by": "root-admin",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "secret": None,
    }
    channel = Channel.objects.get()
    assert body["secret"] not in channel.secret_encrypted  # stored encrypted
    for response in (api.get(CHANNELS), api.get(f"{CHANNELS}{body['id']}/")):
        assert response.status_code == 200
        assert body["secret"] not in response.content.decode()
        assert b"secret" not in response.content
    event = AuditEvent.objects.get(action="notifications.channel.created")
    assert event.changes["secret"] == {"before": None, "after": True}
    assert body["secret"] not in str(event.changes)
    assert event.changes["url"]["after"].startswith("https://hooks.example.com/… (sha256:")


def test_slack_and_email_channels_have_no_secret(api_as, admin_user):
    api = api_as(admin_user)
    slack = api.post(
        CHANNELS,
        {"name": "slack", "kind": "slack", "url": "https://hooks.slack.com/services/T/B/x"},
    )
    email = api.post(CHANNELS, {"name": "ops", "kind": "email", "address": "ops@example.com"})
    assert (slack.status_code, email.status_code) == (201, 201)
    assert slack.json()["secret"] is None and email.json()["secret"] is None
    assert email.json()["address"] == "ops@example.com"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": "x", "kind": "webhook", "url": "ftp://hooks.example.com/in"}, 400, "url"),
        ({"name": "x", "kind": "webhook", "url": "file:///etc/passwd"}, 400, "url"),
        ({"name": "x", "kind": "webhook", "url": "javascript:alert(1)"}, 400, "url"),
        ({"name": "x", "kind": "slack", "url": "https://u:p@hooks.slack.com/x"}, 400, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://169.254.169.254/latest/"}, 409, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://metadata.example.com/"}, 409, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://10.0.0.8:8080/hook"}, 409, "url"),
        ({"name": "x", "kind": "slack", "url": "http://127.0.0.1:9000/"}, 409, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://localhost/"}, 409, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://internal.example.com/"}, 409, "url"),
        ({"name": "x", "kind": "webhook", "url": "http://nowhere.example.com/"}, 409, "url"),
        ({"name": "x", "kind": "webhook"}, 400, "url"),
        ({"name": "x", "kind": "email", "address": "not-an-address"}, 400, "address"),
        ({"name": "x", "kind": "email", "address": 5}, 400, "address"),
        ({"name": "x", "kind": "email", "url": "https://hooks.example.com/"}, 400, "url"),
        ({"name": "x", "kind": "sms", "url": "https://hooks.example.com/"}, 400, "kind"),
        ({"name": "", "kind": "email", "address": "a@example.com"}, 400, "name"),
        ({"name": "a\nb", "kind": "email", "address": "a@example.com"}, 400, "name"),
        ({"name": "x", "kind": "email", "address": "a@example.com", "extra": 1}, 400, "extra"),
    ],
)
def test_bad_channels_are_refused_naming_the_field_and_nothing_is_written(
    api_as, admin_user, body, status, field
):
    before = AuditEvent.objects.count()
    response = api_as(admin_user).post(CHANNELS, body)
    assert response.status_code == status, response.content
    assert _error(response)["field"] == field
    _nothing_written(before)


def test_an_unsafe_destination_says_why_and_how_to_allow_it(api_as, admin_user):
    response = api_as(admin_user).post(
        CHANNELS, {"name": "x", "kind": "webhook", "url": "http://169.254.169.254/latest/"}
    )
    assert _error(response) == {
        "code": "unsafe_url",
        "message": "url: 169.254.169.254 is a link-local address (cloud metadata lives there); "
        "an admin can allow it on the outbound allow-list.",
        "field": "url",
    }


def test_the_allow_list_lets_an_internal_receiver_in(api_as, admin_user, settings):
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["10.0.0.0/8"]
    response = api_as(admin_user).post(
        CHANNELS, {"name": "internal", "kind": "webhook", "url": "http://10.0.0.8:8080/hook"}
    )
    assert response.status_code == 201


def test_a_duplicate_name_is_a_conflict(api_as, admin_user):
    api = api_as(admin_user)
    body = {"name": "ops", "kind": "email", "address": "ops@example.com"}
    assert api.post(CHANNELS, body).status_code == 201
    response = api.post(CHANNELS, body)
    assert response.status_code == 409 and _error(response)["field"] == "name"


def test_channels_are_changed_and_deleted_with_audit_events(api_as, admin_user):
    api = api_as(admin_user)
    pk = api.post(
        CHANNELS, {"name": "hook", "kind": "webhook", "url": "https://hooks.example.com/a"}
    ).json()["id"]
    changed = api.patch(
        f"{CHANNELS}{pk}/", {"url": "https://receiver.example.com/b", "enabled": False}
    )
    assert changed.status_code == 200
    assert changed.json()["url"] == "https://receiver.example.com/b"
    assert changed.json()["enabled"] is False
    refused = api.patch(f"{CHANNELS}{pk}/", {"url": "http://192.168.1.1/"})
    assert refused.status_code == 409 and _error(refused)["field"] == "url"
    wrong_kind = api.patch(f"{CHANNELS}{pk}/", {"address": "a@example.com"})
    assert wrong_kind.status_code == 400 and _error(wrong_kind)["field"] == "address"
    assert Channel.objects.get().url == "https://receiver.example.com/b"
    assert api.delete(f"{CHANNELS}{pk}/").status_code == 204
    assert not Channel.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="notifications.channel")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == [
        "notifications.channel.created",
        "notifications.channel.updated",
        "notifications.channel.deleted",
    ]


def test_only_admins_manage_channels(api_as, make_user):
    for role in ("viewer", "data_scientist", "approver", "risk_officer"):
        api = api_as(make_user(role))
        assert api.get(CHANNELS).status_code == 403
        response = api.post(CHANNELS, {"name": "x", "kind": "email", "address": "a@example.com"})
        assert response.status_code == 403
    assert not Channel.objects.exists()


def test_send_test_queues_a_signed_delivery(
    api_as, admin_user, receiver, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    api = api_as(admin_user)
    created = api.post(CHANNELS, {"name": "hook", "kind": "webhook", "url": receiver.url}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{CHANNELS}{created['id']}/test/")
    assert response.status_code == 202
    body = response.json()
    assert (body["event_type"], body["status"], body["channel"]) == (
        "channel.test",
        "pending",
        created["id"],
    )
    (request,) = receiver.received
    event = Webhook(created["secret"]).verify(request.body, request.headers)
    assert event["type"] == "channel.test"
    assert event["data"]["channel"] == {"id": created["id"], "name": "hook", "kind": "webhook"}
    assert request.headers["webhook-id"] == body["message_id"]
    delivery = api.get(f"/api/v1/deliveries/{body['id']}/").json()
    assert (delivery["status"], delivery["last_status_code"]) == ("sent", 200)
    assert AuditEvent.objects.filter(action="notifications.channel.tested").count() == 1


def test_missing_channels_are_404_naming_the_id(api_as, admin_user):
    api = api_as(admin_user)
    for url in (f"{CHANNELS}999/", f"{CHANNELS}99999999999999999999999/test/"):
        response = api.get(url) if not url.endswith("test/") else api.post(url)
        assert response.status_code == 404 and _error(response)["field"] == "id"


# --- deliveries -----------------------------------------------------------------------------


def test_admins_see_failed_deliveries_with_status_code_and_error(
    api_as, admin_user, viewer, receiver, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    channel, _ = services.channel_create(
        actor=admin_user, name="hook", kind="webhook", url=receiver.url
    )
    receiver.reply(404, body=b"no such hook")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            event_type="alert.firing", severity="critical", subject="x", channels=[channel]
        )
    listed = api_as(admin_user).get("/api/v1/deliveries/?status=failed")
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert (row["target"], row["status"], row["attempts"]) == ("hook", "failed", 1)
    assert (row["last_status_code"], row["last_error"]) == (404, "HTTP 404: no such hook")
    assert api_as(admin_user).get("/api/v1/deliveries/?status=sent").json()["count"] == 0
    assert api_as(viewer).get("/api/v1/deliveries/").status_code == 403
    bad = api_as(admin_user).get("/api/v1/deliveries/?status=lost")
    assert bad.status_code == 400 and _error(bad)["field"] == "status"


# --- the inbox ------------------------------------------------------------------------------


def _notify_user(user, subject: str, severity="warning"):
    return services.notify(
        event_type="alert.firing",
        severity=severity,
        subject=subject,
        url="/monitors/1/",
        recipients=[user],
        include_subscribers=False,
        payload={"alert": {"id": 1}},
    )


def test_the_inbox_lists_the_callers_own_notifications_newest_first(api_as, viewer, make_user):
    other = make_user("viewer", username="other")
    first = _notify_user(viewer, "first")
    second = _notify_user(viewer, "second", severity="critical")
    _notify_user(other, "not yours")
    api = api_as(viewer)
    body = api.get("/api/v1/notifications/").json()
    assert [row["subject"] for row in body["results"]] == ["second", "first"]
    assert body["results"][0] == {
        "id": second.pk,
        "event_type": "alert.firing",
        "severity": "critical",
        "subject": "second",
        "summary": "",
        "url": "https://portal.example.com/monitors/1/",
        "model": None,
        "payload": {"alert": {"id": 1}},
        "created_at": body["results"][0]["created_at"],
        "read": False,
        "read_at": None,
    }
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 2}
    critical = api.get("/api/v1/notifications/?severity=critical").json()["results"]
    assert [row["id"] for row in critical] == [second.pk]

    marked = api.post("/api/v1/notifications/read/", {"ids": [first.pk]})
    assert marked.json() == {"marked": 1, "unread": 1}
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [row["id"] for row in unread] == [second.pk]
    assert api.post("/api/v1/notifications/read/", {"all": True}).json() == {
        "marked": 1,
        "unread": 0,
    }
    assert api.post("/api/v1/notifications/read/", {"all": True}).json()["marked"] == 0
    assert InboxEntry.objects.filter(user__username="other", read_at__isnull=True).count() == 1


def test_marking_someone_elses_notification_is_404_and_marks_nothing(api_as, viewer, make_user):
    mine = _notify_user(viewer, "mine")
    theirs = _notify_user(make_user("viewer", username="other"), "theirs")
    response = api_as(viewer).post("/api/v1/notifications/read/", {"ids": [mine.pk, theirs.pk]})
    assert response.status_code == 404 and _error(response)["field"] == "ids"
    assert not InboxEntry.objects.filter(read_at__isnull=False).exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ids": ["1"]}, "ids.0"),
        ({"ids": 1}, "ids"),
        ({"all": "yes"}, "all"),
        ({"every": True}, "every"),
    ],
)
def test_bad_read_requests_name_the_field(api_as, viewer, body, field):
    response = api_as(viewer).post("/api/v1/notifications/read/", body)
    assert response.status_code == 400 and _error(response)["field"] == field


def test_a_user_without_a_role_still_reads_their_inbox(api_as, make_user):
    nobody = make_user(username="no-role")
    _notify_user(nobody, "for you")
    api = api_as(nobody)
    assert api.get("/api/v1/notifications/").json()["count"] == 1
    assert api.get("/api/v1/subscriptions/").status_code == 403


def test_the_inbox_costs_a_fixed_number_of_queries(api_as, viewer, django_assert_max_num_queries):
    for i in range(30):
        _notify_user(viewer, f"n{i}")
    api = api_as(viewer)
    with django_assert_max_num_queries(3):
        listed = api.get("/api/v1/notifications/?page_size=100")
    assert len(listed.json()["results"]) == 30
    with django_assert_max_num_queries(1):
        assert api.get("/api/v1/notifications/unread/").json() == {"unread": 30}


# --- subscriptions --------------------------------------------------------------------------


def test_users_set_their_own_subscriptions(api_as, viewer, model):
    api = api_as(viewer)
    created = api.post("/api/v1/subscriptions/", {"model": "churn", "min_severity": "warning"})
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "user": "vic",
        "channel": None,
        "model": "churn",
        "min_severity": "warning",
        "email": False,
        "created_at": "",
        "updated_at": "",
    }
    again = api.post(
        "/api/v1/subscriptions/", {"model": "churn", "min_severity": "critical", "email": True}
    )
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    everything = api.post("/api/v1/subscriptions/", {"min_severity": "info"})
    assert everything.status_code == 201 and everything.json()["model"] is None
    assert [row["model"] for row in api.get("/api/v1/subscriptions/").json()["results"]] == [
        None,
        "churn",
    ]
    pk = created.json()["id"]
    assert api.patch(f"/api/v1/subscriptions/{pk}/", {"min_severity": "off"}).json()[
        "min_severity"
    ] == ("off")
    assert api.delete(f"/api/v1/subscriptions/{pk}/").status_code == 204
    actions = list(
        AuditEvent.objects.filter(action__startswith="notifications.subscription")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "notifications.subscription.created",
        "notifications.subscription.updated",
        "notifications.subscription.created",
        "notifications.subscription.updated",
        "notifications.subscription.deleted",
    ]


def test_subscriptions_are_private_and_channel_ones_are_for_admins(
    api_as, viewer, admin_user, make_user, model
):
    other = make_user("viewer", username="other")
    theirs, _ = services.subscription_set(actor=other, model=model, min_severity="info")
    channel, _ = services.channel_create(
        actor=admin_user, name="ops", kind="email", address="ops@example.com"
    )
    api = api_as(viewer)
    assert api.get("/api/v1/subscriptions/").json()["count"] == 0
    assert api.delete(f"/api/v1/subscriptions/{theirs.pk}/").status_code == 404
    refused = api.post("/api/v1/subscriptions/", {"min_severity": "info", "channel": channel.pk})
    assert refused.status_code == 403
    admin = api_as(admin_user)
    made = admin.post("/api/v1/subscriptions/", {"min_severity": "critical", "channel": channel.pk})
    assert made.status_code == 201 and made.json()["channel"] == channel.pk
    assert api.patch(
        f"/api/v1/subscriptions/{made.json()['id']}/", {"min_severity": "info"}
    ).status_code == (403)
    no_email = admin.post(
        "/api/v1/subscriptions/",
        {"min_severity": "critical", "channel": channel.pk, "email": True},
    )
    assert no_email.status_code == 400 and _error(no_email)["field"] == "email"
    assert Subscription.objects.filter(channel=channel).count() == 1


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"model": "nope", "min_severity": "info"}, 404, "model"),
        ({"min_severity": "loud"}, 400, "min_severity"),
        ({"model": "churn"}, 400, "min_severity"),
        ({"min_severity": "info", "email": "yes"}, 400, "email"),
        ({"min_severity": "info", "channel": 999}, 404, "channel"),
    ],
)
def test_bad_subscriptions_name_the_field(api_as, viewer, model, body, status, field):
    response = api_as(viewer).post("/api/v1/subscriptions/", body)
    assert response.status_code == status and _error(response)["field"] == field
    assert not Subscription.objects.exists()


def test_no_delivery_row_is_left_when_a_channel_test_is_refused(api_as, viewer, admin_user):
    channel, _ = services.channel_create(
        actor=admin_user, name="ops", kind="email", address="ops@example.com"
    )
    assert api_as(viewer).post(f"{CHANNELS}{channel.pk}/test/").status_code == 403
    assert not Delivery.objects.exists()
