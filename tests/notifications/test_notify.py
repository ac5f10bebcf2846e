"""``notify``: who hears about what (explicit recipients, subscribers, the owners' default),
on which channels, sent only after the commit, deduplicated by key."""

from __future__ import annotations

import pytest
from django.db import transaction

from mlops_portal.errors import ValidationFailed
from notifications import services
from notifications.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    InboxEntry,
    Notification,
    Subscription,
)
from tests.factories import RegisteredModelFactory


def _notify(**kwargs) -> Notification:
    defaults = {
        "event_type": "alert.firing",
        "severity": "warning",
        "subject": "Drift on churn",
        "summary": "3 of 10 features drifted.",
        "url": "/monitors/1/",
    }
    return services.notify(**defaults | kwargs)


def _inbox_users(notification) -> set[str]:
    return set(
        InboxEntry.objects.filter(notification=notification).values_list(
            "user__username", flat=True
        )
    )


def _channel(name: str, kind=ChannelKind.EMAIL, **kwargs) -> Channel:
    fields = {"address": f"{name}@example.com"} if kind == ChannelKind.EMAIL else {}
    return Channel.objects.create(name=name, kind=kind, **(fields | kwargs))


@pytest.fixture
def no_dispatch(monkeypatch):
    """Record which deliveries would be queued, instead of sending them."""
    queued: list[int] = []
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: queued.extend(ids))
    return queued


def test_owners_of_the_model_hear_about_it_by_default(
    model, owner, make_user, no_dispatch, django_capture_on_commit_callbacks
):
    make_user("viewer", username="bystander")
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(model=model, severity="info")
    assert _inbox_users(notification) == {"owner-ds"}
    assert no_dispatch == []  # the default is the inbox only


def test_the_creator_of_a_model_without_a_team_is_its_owner(make_user, no_dispatch):
    author = make_user("data_scientist", username="author")
    solo = RegisteredModelFactory(name="solo", created_by=author)
    assert _inbox_users(_notify(model=solo)) == {"author"}


def test_subscriptions_choose_models_and_severities(model, owner, make_user, no_dispatch):
    everything = make_user("viewer", username="everything")
    critical_only = make_user("viewer", username="critical-only")
    other_model = make_user("viewer", username="other-model")
    Subscription.objects.create(user=everything, min_severity="info")
    Subscription.objects.create(user=critical_only, model=model, min_severity="critical")
    Subscription.objects.create(
        user=other_model, model=RegisteredModelFactory(name="other"), min_severity="info"
    )
    assert _inbox_users(_notify(model=model, severity="warning")) == {"owner-ds", "everything"}
    assert _inbox_users(_notify(model=model, severity="critical")) == {
        "owner-ds",
        "everything",
        "critical-only",
    }
    assert _inbox_users(_notify(model=None, severity="critical")) == {"everything"}


def test_a_subscription_for_the_model_overrides_the_one_for_all_and_the_default(
    model, owner, make_user, no_dispatch
):
    muted_here = make_user("viewer", username="muted-here")
    Subscription.objects.create(user=muted_here, min_severity="info")
    Subscription.objects.create(user=muted_here, model=model, min_severity="off")
    Subscription.objects.create(user=owner, min_severity="critical")  # owner: less noise
    assert _inbox_users(_notify(model=model, severity="warning")) == set()
    Subscription.objects.filter(user=owner).update(model=model, min_severity="off")
    assert _inbox_users(_notify(model=model, severity="critical")) == set()
    assert _inbox_users(_notify(model=None, severity="critical")) == {"muted-here"}


def test_subscribers_without_a_role_or_inactive_hear_nothing(model, make_user, no_dispatch):
    no_role = make_user(username="no-role")
    gone = make_user("viewer", username="gone", is_active=False)
    for user in (no_role, gone):
        Subscription.objects.create(user=user, min_severity="info")
    assert _inbox_users(_notify(model=model)) == set()


def test_explicit_recipients_and_channels_are_added_to_the_subscribers(
    model, owner, make_user, no_dispatch, django_capture_on_commit_callbacks
):
    approver = make_user("approver", username="appr")
    ops = _channel("ops")
    team_slack = _channel("team-slack", ChannelKind.SLACK, url="https://hooks.slack.com/x")
    _channel("switched-off", enabled=False)
    Subscription.objects.create(channel=team_slack, model=model, min_severity="warning")
    Subscription.objects.create(channel=ops, min_severity="critical")  # not reached
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(
            model=model,
            recipients=[approver],
            channels=[ops, Channel.objects.get(name="switched-off")],
        )
    assert _inbox_users(notification) == {"owner-ds", "appr"}
    deliveries = Delivery.objects.filter(notification=notification).order_by("target_label")
    assert [(d.target_label, d.kind, d.status) for d in deliveries] == [
        ("ops", "email", "pending"),
        ("team-slack", "slack", "pending"),
    ]
    assert sorted(no_dispatch) == sorted(d.pk for d in deliveries)


def test_only_the_explicit_audience_when_subscribers_are_left_out(
    model, owner, make_user, no_dispatch
):
    approver = make_user("approver", username="appr")
    notification = _notify(model=model, recipients=[approver], include_subscribers=False)
    assert _inbox_users(notification) == {"appr"}


def test_subscribers_who_ask_for_email_get_one_delivery_each(model, owner, make_user, no_dispatch):
    Subscription.objects.create(user=owner, model=model, min_severity="info", email=True)
    no_address = make_user("viewer", username="no-address", email="")
    Subscription.objects.create(user=no_address, min_severity="info", email=True)
    notification = _notify(model=model)
    (delivery,) = Delivery.objects.filter(notification=notification)
    assert delivery.recipient == owner and delivery.channel is None
    assert delivery.kind == "email" and delivery.target_label == "email to owner-ds"


def test_nothing_is_queued_before_the_commit_and_nothing_at_all_after_a_rollback(
    model, no_dispatch, django_capture_on_commit_callbacks
):
    ops = _channel("ops")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify(model=model, channels=[ops])
        assert no_dispatch == []
        raise RuntimeError("the drift run failed")
    assert callbacks == [] and no_dispatch == []
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_a_broker_that_is_away_never_fails_the_caller(
    model, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from notifications import tasks

    def broker_down(*args, **kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(tasks.delivery_send, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(model=model, channels=[_channel("ops")])
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.PENDING  # the requeue sweep will queue it
    assert "requeue sweep" in caplog.text


def test_the_same_dedupe_key_notifies_once(model, owner, no_dispatch):
    first = _notify(model=model, dedupe_key="alert:7:firing", channels=[_channel("ops")])
    again = _notify(model=model, dedupe_key="alert:7:firing", channels=[_channel("ops2")])
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert InboxEntry.objects.count() == 1 and Delivery.objects.count() == 1


def test_the_payload_is_kept_as_json(model, no_dispatch):
    from datetime import UTC, datetime
    from decimal import Decimal

    notification = _notify(
        model=model,
        payload={"alert": {"id": 7, "at": datetime(2026, 1, 2, tzinfo=UTC)}, "psi": Decimal("0.3")},
    )
    notification.refresh_from_db()
    assert notification.payload == {"alert": {"at": "2026-01-02T00:00:00Z", "id": 7}, "psi": "0.3"}


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"event_type": "Alert Firing"}, "event_type"),
        ({"event_type": "firing"}, "event_type"),
        ({"severity": "fatal"}, "severity"),
        ({"subject": ""}, "subject"),
        ({"subject": "two\nlines"}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"summary": "x" * 5001}, "summary"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "//evil.example.com/"}, "url"),
        ({"payload": [1, 2]}, "payload"),
        ({"payload": {"x": object()}}, "payload"),
        ({"payload": {"x": "y" * 70_000}}, "payload"),
        ({"dedupe_key": ""}, "dedupe_key"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(kwargs, field, db):
    with pytest.raises(ValidationFailed) as error:
        _notify(**kwargs)
    assert error.value.field == field
    assert not Notification.objects.exists()


def test_notify_costs_a_fixed_number_of_queries(
    model, owner, make_user, no_dispatch, django_assert_max_num_queries
):
    channels = [_channel(f"c{i}") for i in range(3)]
    for i in range(30):
        user = make_user("viewer", username=f"sub{i}")
        Subscription.objects.create(user=user, min_severity="info", email=True)
    for channel in channels:
        Subscription.objects.create(channel=channel, min_severity="info")
    with django_assert_max_num_queries(12):
        notification = _notify(model=model)
    assert InboxEntry.objects.filter(notification=notification).count() == 31
    assert Delivery.objects.filter(notification=notification).count() == 30 + 3
