"""Under the Content-Security-Policy the pages still work in a real browser: charts render,
Swagger UI loads, the delete confirmation asks, and the browser reports no violation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def watched(login):
    """A logged-in page that collects console errors and CSP violations."""

    def as_user(username: str):
        page = login(username)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
        )
        return page, problems

    return as_user


def test_charts_render_under_the_policy(watched, live_server, demo):
    page, problems = watched("victor")
    row = page.locator("tr", has_text="churn-classifier")
    row.get_by_role("link", name="churn-daily").click()
    expect(page.locator(".chart[data-rendered='true'] .main-svg").first).to_be_visible()
    page.goto(f"{live_server.url}/models/store-demand/versions/3/")
    expect(page.locator("#lineage-graph[data-rendered='true'] .main-svg").first).to_be_visible()
    assert problems == []


def test_swagger_ui_loads_under_the_policy(watched, live_server, demo):
    page, problems = watched("victor")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text(re.compile("MLOps Portal API")).first).to_be_visible()
    assert problems == []


def test_the_delete_confirmation_still_asks(watched, live_server, demo):
    page, problems = watched("admin")
    row = page.locator("tr", has_text="churn-classifier")
    row.get_by_role("link", name="churn-daily").click()
    expect(page.get_by_role("heading", name=re.compile("churn-daily"))).to_be_visible()
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Delete monitor").click()
    expect(page.get_by_role("button", name="Delete monitor")).to_be_visible()
    assert asked == ["Delete this monitor, its runs and its schedule?"]
    assert problems == []
