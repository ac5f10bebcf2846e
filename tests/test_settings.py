"""Settings come from the environment; production mode is strict and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The test session's own switches must not leak into the processes under test.
INHERITED_NOT_WANTED = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "MIGRATE_DATABASE_URL",
    "PORTAL_AUDIT_KEY",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in INHERITED_NOT_WANTED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


AUDIT_KEY = "audit-" + "k7Qp2Zr9Lm4Tx8Wv" * 3


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", PORTAL_ENV="production", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", PORTAL_ENV="production", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_passes_the_deploy_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PORTAL_ENV="production",
        SECRET_KEY="k3y-" + "q8Zr!v2#Lm9$Tx4@Pw7&Hn6*Jd5^Fs3(Gb1)Ck0-Ye8+Ua2=" * 2,
        ALLOWED_HOSTS="portal.example.com",
        PORTAL_AUDIT_KEY=AUDIT_KEY,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("key", ["", "too-short"])
def test_production_refuses_to_start_without_an_audit_key(key):
    result = _manage(
        "check",
        PORTAL_ENV="production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="portal.example.com",
        PORTAL_AUDIT_KEY=key,
    )
    assert result.returncode != 0
    assert "PORTAL_AUDIT_KEY must be set" in result.stderr


def test_the_migration_role_must_name_the_same_database():
    result = _manage(
        "check",
        DATABASE_URL="postgres://portal_app@db.internal:5432/portal",
        MIGRATE_DATABASE_URL="postgres://portal_owner@db.internal:5432/elsewhere",
    )
    assert result.returncode != 0
    assert "MIGRATE_DATABASE_URL must name the same PostgreSQL database" in result.stderr


def test_database_and_broker_urls_switch_backends():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    result = _manage(
        "shell",
        "--verbosity=0",
        "-c",
        code,
        DATABASE_URL="postgres://portal@db.internal:5432/portal",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.internal:6379/0",
    ]


def test_embedded_default_needs_no_configuration(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND)"
    )
    unwanted = {"DATABASE_URL", "CELERY_BROKER_URL", *INHERITED_NOT_WANTED}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", code],
        cwd=ROOT,
        env=env | {"PORTAL_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.console.EmailBackend",
    ]
    assert (tmp_path / "celery" / "queue").is_dir()


@pytest.mark.parametrize(("setting", "expected"), [(None, "1"), ("full", "2")])
def test_embedded_sqlite_durability_setting(tmp_path, setting, expected):
    code = (
        "from django.db import connection;"
        "print(connection.cursor().execute('PRAGMA synchronous').fetchone()[0])"
    )
    env = {"PORTAL_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/portal.db"}
    if setting:
        env["PORTAL_SQLITE_SYNCHRONOUS"] = setting
    result = _manage("shell", "--verbosity=0", "-c", code, **env)
    assert result.stdout.split() == [expected], result.stderr  # 1 = NORMAL, 2 = FULL


def test_an_unknown_sqlite_durability_setting_is_refused(tmp_path):
    result = _manage("check", PORTAL_VAR_DIR=str(tmp_path), PORTAL_SQLITE_SYNCHRONOUS="off")
    assert result.returncode != 0
    assert "PORTAL_SQLITE_SYNCHRONOUS" in result.stderr
