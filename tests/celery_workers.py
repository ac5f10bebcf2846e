"""Real ``celery worker`` processes for the killed-worker tests (tests/monitoring and
tests/notifications): started in their own session on the test database (PostgreSQL) and the
Redis broker, waited on by condition with a deadline, stopped or killed by process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection

DEADLINE_SECONDS = 120
NOT_INHERITED = {"MIGRATE_DATABASE_URL", "PORTAL_AUDIT_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def database_url() -> str:
    """The test database, as the workers must reach it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def worker_start(tmp_path, name: str, *, module: str, env: dict[str, str]) -> subprocess.Popen:
    """``python -m <module>`` (a module that ends in ``app.worker_main``) with this process's
    environment, the test database and ``env``; its output goes to ``<tmp_path>/<name>.log``."""
    full_env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED} | {
        "DATABASE_URL": database_url(),
        "PORTAL_DATA_ROOT": str(settings.DATA_ROOT),
        "DJANGO_SETTINGS_MODULE": "mlops_portal.settings",
        **env,
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=settings.BASE_DIR,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(condition, what: str, *, workers=(), deadline_seconds: float = DEADLINE_SECONDS):
    """Poll ``condition`` until it returns something truthy (and return it); fail if a worker
    exits first or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while not (result := condition()):
        for worker in workers:
            assert worker.poll() is None, f"a worker exited ({worker.returncode}) before {what}"
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return result


def kill(worker: subprocess.Popen) -> None:
    """kill -9 the worker's process group: no cleanup, no message rejected or acknowledged."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
