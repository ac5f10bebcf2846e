"""The alert API as scripts call it: the contract's names, 4xx naming the field with nothing
written, flat query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit import AuditEvent
from monitoring.alerts.models import Alert, AlertRule, AlertState, Silence
from tests.monitoring.alerts.factories import AlertFactory, AlertRuleFactory
from tests.monitoring.factories import MonitorFactory, ReferenceDatasetFactory

pytestmark = pytest.mark.django_db


def test_create_a_rule_with_channels_and_read_it_back(api_as, owner, monitor, channel):
    body = {
        "monitor": monitor.pk,
        "kind": "drift_share_above",
        "threshold": 0.3,
        "severity": "critical",
        "channels": [channel.pk],
        "runbook_url": "https://wiki.example.com/runbooks/drift",
        "note": "page the on-call",
    }
    response = api_as(owner).post("/api/v1/alert-rules/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["kind"], data["threshold"], data["channels"]) == (
        "drift_share_above", 0.3, [channel.pk],
    )  # fmt: skip
    assert data["description"] == "drift share above 30%"
    patched = api_as(owner).patch(
        f"/api/v1/alert-rules/{data['id']}/", {"threshold": 0.5}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["threshold"] == 0.5
    assert api_as(owner).delete(f"/api/v1/alert-rules/{data['id']}/").status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "drift_share_above", "threshold": 2}, "threshold"),
        ({"kind": "drift_share_above", "threshold": "0.3"}, "threshold"),
        (
            {"kind": "performance", "metric": "f1", "direction": "below", "threshold": -1},
            "threshold",
        ),
        ({"kind": "feature_drift", "feature": "not_in_signature"}, "feature"),
        ({"kind": "silent_feed", "silent_hours": 100000}, "silent_hours"),
        ({"kind": "run_failed", "repeat_interval_seconds": -5}, "repeat_interval_seconds"),
        ({"kind": "run_failed", "channels": [999999]}, "channels.0"),
        ({"kind": "sometimes"}, "kind"),
        ({"kind": "run_failed", "colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_4xx_naming_the_field_and_write_nothing(api_as, owner, monitor, body, field):
    response = api_as(owner).post(
        "/api/v1/alert-rules/", {"monitor": monitor.pk, **body}, format="json"
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["field"] == field, response.json()
    assert not AlertRule.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="monitoring.alert_rule").exists()


def test_a_silence_ending_before_it_starts_is_refused(api_as, owner, monitor):
    now = timezone.now()
    body = {
        "monitor": monitor.pk,
        "starts_at": (now + timedelta(hours=2)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "deploy",
    }
    response = api_as(owner).post("/api/v1/silences/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "ends_at"
    assert not Silence.objects.exists()


def test_silences_by_model_name_listed_as_active(api_as, owner, monitor):
    model = monitor.model_version.model
    ends = (timezone.now() + timedelta(hours=1)).isoformat()
    created = api_as(owner).post(
        "/api/v1/silences/",
        {"model": model.name, "ends_at": ends, "reason": "retrain"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["scope"] == "model"
    listed = api_as(owner).get("/api/v1/silences/?active=true").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [created.json()["id"]]
    expired = api_as(owner).post(f"/api/v1/silences/{created.json()['id']}/expire/")
    assert expired.status_code == 200


def test_acknowledge_and_resolve_through_the_api(api_as, owner, viewer, monitor):
    alert = AlertFactory(rule__monitor=monitor)
    url = f"/api/v1/alerts/{alert.pk}/"
    assert (
        api_as(viewer).post(url + "acknowledge/", {"note": "x"}, format="json").status_code == 403
    )
    acked = api_as(owner).post(url + "acknowledge/", {"note": "on it"}, format="json")
    assert acked.status_code == 200
    assert (acked.json()["state"], acked.json()["acknowledged_by"]) == ("acknowledged", "owner-ds")
    assert [event["kind"] for event in acked.json()["events"]] == ["acknowledged"]
    resolved = api_as(owner).post(url + "resolve/", {}, format="json")
    assert resolved.json()["state"] == "resolved"
    again = api_as(owner).post(url + "resolve/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["field"] == "state"


def _rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def test_the_list_filters_and_puts_the_most_severe_newest_first(api_as, viewer, monitor):
    now = timezone.now()
    warning_old = AlertFactory(rule__monitor=monitor, rule__severity="warning",
                               started_at=now - timedelta(hours=2))  # fmt: skip
    critical = AlertFactory(rule__monitor=monitor, rule__severity="critical",
                            started_at=now - timedelta(hours=3))  # fmt: skip
    warning_new = AlertFactory(rule__monitor=monitor, rule__severity="warning", started_at=now)
    other = AlertFactory(state=AlertState.RESOLVED)
    client = api_as(viewer)
    ids = [row["id"] for row in _rows(client.get(f"/api/v1/alerts/?monitor={monitor.pk}"))]
    assert ids == [critical.pk, warning_new.pk, warning_old.pk]
    firing = [row["id"] for row in _rows(client.get("/api/v1/alerts/?state=firing"))]
    assert other.pk not in firing and len(firing) == 3
    model = monitor.model_version.model.name
    by_model = _rows(client.get(f"/api/v1/alerts/?model={model}&severity=critical"))
    assert [row["id"] for row in by_model] == [critical.pk]
    bad = client.get("/api/v1/alerts/?state=burning")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "state"


def test_alert_and_rule_lists_cost_the_same_queries_for_many_rows(
    api_as, viewer, django_assert_max_num_queries
):
    client = api_as(viewer)
    AlertFactory()
    client.get("/api/v1/alerts/")  # warm-up: roles are read once per request
    with django_assert_max_num_queries(6):
        client.get("/api/v1/alerts/")
    for _ in range(15):
        monitor = MonitorFactory(reference=ReferenceDatasetFactory(rows=50))
        AlertFactory(rule__monitor=monitor)
    with django_assert_max_num_queries(6):
        assert len(_rows(client.get("/api/v1/alerts/"))) == 16
    with django_assert_max_num_queries(6):
        client.get("/api/v1/alert-rules/")
    with django_assert_max_num_queries(6):
        client.get(f"/api/v1/alerts/{Alert.objects.first().pk}/")
    AlertRuleFactory()
