"""Portal-wide pages: the fleet overview and the error pages."""

from django.http import JsonResponse
from django.shortcuts import render

from governance.roles import Action, may
from governance.selectors import audit_event_list
from monitoring.selectors import monitor_list
from registry.selectors import model_list


def overview(request):
    """Fleet health at a glance: every model, its Production version and its drift status."""
    user = request.user
    models = list(model_list(user=user)[:200]) if may(user, Action.MODEL_VIEW) else []
    monitors = list(monitor_list(user=user)) if may(user, Action.MONITOR_VIEW) else []
    # The monitors of each model's Production version (else of any version), latest first.
    monitors_by_model: dict[int, list] = {}
    for monitor in monitors:
        monitors_by_model.setdefault(monitor.model_version.model_id, []).append(monitor)
    for model in models:
        candidates = monitors_by_model.get(model.pk, [])
        in_production = [
            m for m in candidates if m.model_version.version == model.production_version
        ]
        model.monitors = in_production or candidates
    recent_events = list(audit_event_list(user=user)[:10]) if may(user, Action.AUDIT_VIEW) else None
    context = {
        "models": models,
        "production_count": sum(1 for m in models if m.production_version),
        "version_count": sum(m.version_count for m in models),
        "drifting_count": sum(1 for m in monitors if m.latest_dataset_drift),
        "monitor_count": len(monitors),
        "recent_events": recent_events,
    }
    return render(request, "overview.html", context)


def _error(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        # API clients get the JSON error contract even for URLs no API view matched.
        body = {"error": {"code": code, "message": message, "field": None}}
        return JsonResponse(body, status=status)
    return render(
        request,
        "error.html",
        {"error": {"code": code, "message": message, "field": None}},
        status=status,
    )


def error_403(request, exception=None):
    return _error(request, 403, "permission_denied", "You do not have permission to see this.")


def error_404(request, exception=None):
    return _error(request, 404, "not_found", "There is nothing at this address.")


def error_500(request):
    return _error(request, 500, "server_error", "Something went wrong on our side.")
