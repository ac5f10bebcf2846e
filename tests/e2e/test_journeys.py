"""The journeys a person takes through the portal, end to end in a real browser."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
# Screenshots of what the journeys saw, for a person to look at (PORTAL_SCREENSHOTS=dir).
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", "var/screenshots"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def test_anonymous_visitor_is_sent_to_login(page, live_server, demo):
    page.goto(f"{live_server.url}/models/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/models/"))
    page.get_by_label("Username").fill("victor")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("didn't match")).to_be_visible()


def test_browse_dashboards_down_to_a_versions_lineage(login, live_server, demo):
    page = login("victor")  # a viewer
    expect(page.get_by_role("heading", name="Fleet overview")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    # Viewers do not see the audit log at all.
    expect(page.get_by_role("link", name="Audit log", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Models", exact=True).click()
    page.get_by_label("Search").fill("churn")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="churn-classifier").click()
    expect(page.get_by_role("heading", name="churn-classifier")).to_be_visible()
    page.locator("table").get_by_role("link", name="v2", exact=True).last.click()
    expect(page.locator(".badge.stage-production")).to_be_visible()
    # The lineage graph is drawn by the locally served plotly.js.
    expect(page.locator("#lineage-graph[data-rendered='true'] .main-svg").first).to_be_visible()
    page.get_by_text("Lineage as a table").click()
    expect(page.get_by_role("cell", name="trained_on").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "version-detail.png"), full_page=True)
    expect(page.get_by_role("button", name="Change stage")).to_have_count(0)


def test_admin_changes_a_stage_and_the_audit_log_shows_it(login, live_server, demo):
    page = login("admin")
    page.goto(f"{live_server.url}/models/store-demand/versions/3/")
    page.get_by_role("combobox").select_option("Production")
    page.get_by_label("Archive the current Production version").check()
    page.get_by_role("button", name="Change stage").click()
    expect(page.get_by_text("moved to Production")).to_be_visible()
    expect(page.locator("h1 .badge.stage-production")).to_be_visible()

    page.get_by_role("link", name="Audit log", exact=True).click()
    page.get_by_placeholder("Action prefix").fill("registry.model_version.stage_changed")
    page.get_by_role("button", name="Filter").click()
    first_row = page.locator("table.events tbody tr").first
    expect(first_row).to_contain_text("store-demand v3")
    expect(first_row).to_contain_text("admin")
    first_row.get_by_text("field").click()  # the before/after diff
    expect(first_row.locator("table.diff")).to_contain_text("Production")
    page.screenshot(path=str(SCREENSHOTS / "audit-log.png"), full_page=True)


def test_approver_reviews_and_verifies_the_audit_log(login, live_server, demo):
    page = login("bob")  # an approver
    page.get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("table.events tbody tr").first).to_contain_text("auth.login.succeeded")
    page.get_by_role("link", name="Verify chain").click()
    expect(page.get_by_text(re.compile(r"Intact: all \d+ events"))).to_be_visible()
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/audit/")
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "audit-log.csv"


def test_a_user_creates_an_api_token_on_the_profile_page(login, live_server, demo):
    page = login("alice")
    page.get_by_role("link", name="alice").click()
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert len(token) >= 40
    response = page.request.get(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"}
    )
    assert response.json()["roles"] == ["data_scientist"]


def test_browse_drift_from_the_overview_to_a_monitor(login, live_server, demo):
    page = login("victor")
    row = page.locator("tr", has_text="churn-classifier")
    expect(row.locator(".badge").last).to_be_visible()
    row.get_by_role("link", name="churn-daily").click()
    expect(page.get_by_role("heading", name=re.compile("churn-daily"))).to_be_visible()
    # Server-built figures, drawn by the local plotly.js: drift share over time, heatmap, ...
    expect(page.locator(".chart[data-rendered='true'] .main-svg").first).to_be_visible()
    assert page.locator(".chart[data-rendered='true']").count() >= 2
    page.screenshot(path=str(SCREENSHOTS / "monitor-detail.png"), full_page=True)
