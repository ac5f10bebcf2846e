"""Governance pages: the audit log (filter, export), object histories, the profile with tokens."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from governance import audit, selectors, services
from governance.roles import ROLE_DESCRIPTIONS, user_roles
from mlops_portal.api.base import filled

EXPORT_COLUMNS = (
    "sequence", "occurred_at", "actor_username", "action", "target_type", "target_id",
    "target_label", "changes", "request_id", "ip", "user_agent", "prev_hash", "hash",
)  # fmt: skip


class _Echo:
    def write(self, value):
        return value


# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection): such a
# cell is written with a leading apostrophe, which spreadsheets show as text and do not run.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else (value if isinstance(value, str) else str(value))
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def audit_log(request):
    events = selectors.audit_event_list(user=request.user, filters=filled(request.GET))
    if request.GET.get("export") == "csv":
        return _csv_export(events)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(request, "governance/audit_log.html", {"page": page, "filters": request.GET})


def _export_value(event, column: str):
    if column == "occurred_at":
        return audit.canonical_time(event.occurred_at)
    if column == "changes":
        return json.dumps(event.changes, sort_keys=True, ensure_ascii=False)
    return getattr(event, column)


def _csv_export(events):
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        for event in events.order_by("sequence").iterator(chunk_size=2000):
            yield writer.writerow([csv_cell(_export_value(event, c)) for c in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


def audit_verify(request):
    report = selectors.audit_integrity_report(user=request.user)
    return render(
        request,
        "governance/audit_verify.html",
        {
            "report": report,
            "last_run": selectors.audit_verification_latest(user=request.user),
        },
    )


def object_history(request, target_type: str, target_id: str):
    events = selectors.object_history(
        user=request.user, target_type=target_type, target_id=target_id
    )
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    label = next((event.target_label for event in page), f"{target_type} {target_id}")
    return render(
        request,
        "governance/object_history.html",
        {"page": page, "target_type": target_type, "target_id": target_id, "label": label},
    )


def profile(request):
    roles = sorted(user_roles(request.user))
    return render(
        request,
        "governance/profile.html",
        {
            "roles": [(role, ROLE_DESCRIPTIONS[role]) for role in roles],
            "tokens": selectors.api_token_list(user=request.user),
            "new_token": request.session.pop("new_api_token", None),
        },
    )


@require_POST
def token_create(request):
    _instance, token = services.api_token_create(user=request.user, actor=request.user)
    # Shown once on the next page, then gone: only the hash is stored.
    request.session["new_api_token"] = token
    return redirect("profile")


@require_POST
def token_revoke(request, token_key: str):
    services.api_token_revoke(user=request.user, token_key=token_key, actor=request.user)
    messages.success(request, f"Token {token_key}… revoked.")
    return redirect("profile")
