"""Alert pages: the list with its filters and silences, one alert with its run, chart and
timeline and the buttons for those allowed, firing alerts on model, version and monitor pages."""

import pytest

from monitoring.alerts import evaluation
from monitoring.alerts.models import Alert, AlertState
from tests.monitoring.alerts.factories import AlertFactory, SilenceFactory
from tests.monitoring.factories import MonitorFactory, ReferenceDatasetFactory

pytestmark = pytest.mark.django_db


def test_an_alert_page_shows_its_run_chart_timeline_and_buttons(web_as, owner, rule, finished_run):
    run = finished_run(drifted=True)
    evaluation.alerts_evaluate_run(run_id=run.pk)
    alert = Alert.objects.get()
    page = web_as(owner).get(f"/alerts/{alert.pk}/").content.decode()
    assert alert.summary in page
    assert f"/monitors/{rule.monitor_id}/runs/{run.pk}/" in page
    assert 'id="drift-share"' in page  # the chart
    assert "Notified" in page and "Fired" in page  # the timeline
    assert "Acknowledge" in page and "Silence" in page


def test_readers_see_no_buttons(web_as, viewer, monitor):
    alert = AlertFactory(rule__monitor=monitor)
    page = web_as(viewer).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Acknowledge" not in page


def test_acknowledge_and_silence_from_the_page(web_as, owner, monitor):
    alert = AlertFactory(rule__monitor=monitor)
    client = web_as(owner)
    client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "mine"})
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledge_note) == (AlertState.ACKNOWLEDGED, "mine")
    client.post(f"/alerts/{alert.pk}/silence/", {"scope": "model", "hours": 3, "reason": "retrain"})
    assert "retrain" in client.get("/alerts/").content.decode()


def test_the_list_filters_and_stays_flat(web_as, viewer, monitor, django_assert_max_num_queries):
    AlertFactory(rule__monitor=monitor, rule__severity="critical", summary="critical one")
    AlertFactory(rule__monitor=monitor, state=AlertState.RESOLVED, summary="old one")
    client = web_as(viewer)
    page = client.get("/alerts/?state=firing").content.decode()
    assert "critical one" in page and "old one" not in page
    SilenceFactory(monitor=monitor)
    client.get("/alerts/")
    with django_assert_max_num_queries(12) as few:
        client.get("/alerts/")
    for _ in range(10):
        AlertFactory(rule__monitor=MonitorFactory(reference=ReferenceDatasetFactory(rows=50)))
        SilenceFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/alerts/")


def test_model_version_and_monitor_pages_show_firing_alerts(web_as, viewer, monitor):
    AlertFactory(rule__monitor=monitor, summary="drift on churn")
    AlertFactory(rule__monitor=monitor, state=AlertState.RESOLVED, summary="long gone")
    version = monitor.model_version
    client = web_as(viewer)
    for url in (
        f"/models/{version.model.name}/",
        f"/models/{version.model.name}/versions/{version.version}/",
        f"/monitors/{monitor.pk}/",
        f"/monitors/{monitor.pk}/alert-rules/",
    ):
        page = client.get(url).content.decode()
        assert "drift on churn" in page, url
        assert "long gone" not in page, url


def test_owners_add_rules_on_the_monitors_rules_page(web_as, owner, monitor):
    client = web_as(owner)
    response = client.post(
        f"/monitors/{monitor.pk}/alert-rules/",
        {"kind": "feature_drift", "feature": "nope", "severity": "warning",
         "repeat_interval_seconds": 3600},
    )  # fmt: skip
    assert response.status_code == 200
    assert "is not an input" in response.content.decode()
    response = client.post(
        f"/monitors/{monitor.pk}/alert-rules/",
        {"kind": "feature_drift", "feature": "x", "severity": "critical",
         "repeat_interval_seconds": 3600},
    )  # fmt: skip
    assert response.status_code == 302
    assert (
        "feature x drifted" in client.get(f"/monitors/{monitor.pk}/alert-rules/").content.decode()
    )


def test_owners_edit_a_rule_on_its_page(web_as, owner, viewer, monitor):
    from governance.audit import AuditEvent
    from tests.monitoring.alerts.factories import AlertRuleFactory

    rule = AlertRuleFactory(monitor=monitor, kind="drift_share_above", threshold=0.3)
    client = web_as(owner)
    assert (
        f"/alert-rules/{rule.pk}/edit/"
        in client.get(f"/monitors/{monitor.pk}/alert-rules/").content.decode()
    )
    page = client.get(f"/alert-rules/{rule.pk}/edit/")
    assert page.status_code == 200
    assert page.context["form"]["threshold"].value() == 0.3  # prefilled
    fields = {"kind": "drift_share_above", "severity": "critical", "repeat_interval_seconds": 60}
    refused = client.post(f"/alert-rules/{rule.pk}/edit/", {**fields, "threshold": 1})
    assert refused.status_code == 200
    assert "1 is out of range" in refused.context["form"].errors["threshold"][0]
    saved = client.post(f"/alert-rules/{rule.pk}/edit/", {**fields, "threshold": 0.5})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.severity, rule.repeat_interval_seconds) == (0.5, "critical", 60)
    event = AuditEvent.objects.get(action="monitoring.alert_rule.updated")
    assert event.changes["threshold"] == {"before": 0.3, "after": 0.5}

    client.force_login(viewer)
    assert "/edit/" not in client.get(f"/monitors/{monitor.pk}/alert-rules/").content.decode()
    assert client.get(f"/alert-rules/{rule.pk}/edit/").status_code == 403
    assert (
        client.post(f"/alert-rules/{rule.pk}/edit/", {**fields, "threshold": 0.1}).status_code
        == 403
    )
