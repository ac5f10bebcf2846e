"""Template helpers: role checks (to hide what a user may not do) and small formatting."""

import json

from django import template
from django.utils.html import format_html

from governance.roles import may as roles_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, action: str, obj=None) -> bool:
    """``{% may "registry.model.create" as can_create %}`` asks governance.roles."""
    return roles_may(context["request"].user, action, obj)


@register.simple_tag
def stage_badge(stage: str):
    return format_html('<span class="badge stage-{}">{}</span>', (stage or "none").lower(), stage)


@register.filter
def metric(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
