"""``{% firing_alerts obj %}``: the open alerts of a model, version or monitor, for their pages
(the registry never imports monitoring; its templates load this library). ``severity_badge``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from monitoring.alerts import selectors
from monitoring.models import Monitor
from registry.models import ModelVersion, RegisteredModel

register = template.Library()

SEVERITY_CSS = {"critical": "risk-high", "warning": "risk-medium", "info": "risk-low"}


@register.simple_tag
def severity_badge(severity: str):
    return format_html('<span class="badge {}">{}</span>', SEVERITY_CSS.get(severity, ""), severity)


@register.inclusion_tag("monitoring/alerts/_firing.html", takes_context=True)
def firing_alerts(context, obj):
    user = context["request"].user
    if isinstance(obj, Monitor):
        alerts = selectors.firing_alerts(user=user, monitor=obj)
    elif isinstance(obj, ModelVersion):
        alerts = selectors.firing_alerts(user=user, version=obj)
    elif isinstance(obj, RegisteredModel):
        alerts = selectors.firing_alerts(user=user, model=obj)
    else:
        alerts = []
    return {"alerts": alerts, "request": context["request"]}
