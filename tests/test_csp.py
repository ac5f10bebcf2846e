"""A Content-Security-Policy on every response: no inline script anywhere."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/api/docs/", "/healthz"])
def test_every_response_carries_the_policy(client, viewer, path):
    client.force_login(viewer)
    policy = _policy(client.get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["default-src"]


def test_swagger_ui_loads_its_setup_as_a_script_file(client, viewer):
    client.force_login(viewer)
    page = client.get("/api/docs/").content.decode()
    assert re.search(r"<script>\s*\S", page) is None
    setup = client.get("/api/docs/?script=")
    assert setup["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=str)
def test_no_template_has_inline_script_or_event_handlers(template):
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or "application/json" in tag, f"inline script: {tag}"
    assert re.search(r"\son[a-z]+\s*=", text) is None, "inline event handler"
