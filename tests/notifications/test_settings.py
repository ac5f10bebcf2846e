"""Email and outbound settings come from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW = (
    "import json, mlops_portal.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
    "('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_USE_TLS', "
    "'EMAIL_TIMEOUT', 'PORTAL_BASE_URL', 'PORTAL_OUTBOUND_ALLOWLIST')}))"
)


def _settings(**env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "PORTAL_BASE_URL", "PORTAL_OUTBOUND"))
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_embedded_default_prints_email_to_the_console():
    shown = _settings()
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert shown["EMAIL_TIMEOUT"] == 10
    assert shown["PORTAL_BASE_URL"] == "http://127.0.0.1:8000"
    assert shown["PORTAL_OUTBOUND_ALLOWLIST"] == []


def test_smtp_comes_from_email_url():
    shown = _settings(
        EMAIL_URL="smtp+tls://alerts:s3cret@mail.example.com:587",
        PORTAL_BASE_URL="https://portal.example.com/",
        PORTAL_OUTBOUND_ALLOWLIST="10.0.0.0/8,hooks.internal",
    )
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (shown["EMAIL_HOST"], shown["EMAIL_PORT"], shown["EMAIL_HOST_USER"]) == (
        "mail.example.com",
        587,
        "alerts",
    )
    assert shown["EMAIL_USE_TLS"] is True
    assert shown["PORTAL_BASE_URL"] == "https://portal.example.com"
    assert shown["PORTAL_OUTBOUND_ALLOWLIST"] == ["10.0.0.0/8", "hooks.internal"]
