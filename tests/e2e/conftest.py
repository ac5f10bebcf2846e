"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + sync ORM calls

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items):
    if CHROMIUM.exists():
        return
    # CI installs chromium (.ci/run); a developer without it sees why these did not run.
    skip = pytest.mark.skip(reason="needs Debian's chromium at /usr/bin/chromium")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo(transactional_db):
    """The demo fleet (users for every role, models, versions, lineage)."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def login(page, live_server):
    def as_user(username: str, password: str = "portal-demo"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return as_user
