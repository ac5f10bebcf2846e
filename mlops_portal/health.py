"""Health for load balancers, and the answer when the database is down.

``/healthz`` (liveness): the process answers; touches nothing else. ``/readyz`` (readiness): the
database, the Celery broker and the data root are reachable; 503 naming what is not. Both are
open to anonymous callers and say nothing beyond ok / unreachable.

``error_500`` is the project's 500 handler: an error that is a lost database connection becomes a
503 "temporarily unavailable" page (JSON for the API) with ``Retry-After``, rendered without
touching the database; anything else is the ordinary 500 page.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mlops_portal import views

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


@login_not_required
@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    if not connection.is_usable():
        raise OperationalError("connection not usable")


def _broker() -> None:
    from mlops_portal.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for folder in settings.CELERY_BROKER_DIRS:
            if not os.access(folder, os.W_OK):
                raise OSError(f"{Path(folder).name} not writable")
        return
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)


def _data_root() -> None:
    root = Path(settings.DATA_ROOT)
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        raise OSError("not a writable directory")


CHECKS = {"database": _database, "broker": _broker, "data_root": _data_root}


@login_not_required
@never_cache
@require_GET
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:
            logger.warning("Readiness check %s failed: %r", name, error)
            results[name] = f"unreachable ({type(error).__name__})"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )


def _database_down(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )


def error_500(request):
    error = sys.exc_info()[1]
    if not _database_down(error):
        return views.error_500(request)
    logger.error("Database unavailable: %r", error)
    message = "The database is unavailable right now. Please try again in a minute."
    if request.path.startswith("/api/"):
        body = {"error": {"code": "unavailable", "message": message, "field": None}}
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(
            render_to_string("unavailable.html", {"message": message}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
