"""``{% load inbox %}``: the inbox link of the navigation bar, and the severity and delivery
status badges."""

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

SEVERITY_CLASSES = {"critical": "risk-high", "warning": "risk-medium", "info": "stage-none"}
STATUS_CLASSES = {
    "sent": "stage-production",
    "failed": "risk-high",
    "retrying": "risk-medium",
    "sending": "stage-staging",
    "pending": "stage-none",
}


@register.simple_tag(takes_context=True)
def inbox_nav_link(context):
    """The navigation bar's link to the inbox. Its unread badge is filled in by
    ``notifications/inbox.js`` from ``/api/v1/notifications/unread/`` (one query), and kept
    up to date while the page is open: rendering a page costs no query for it, so every page's
    own query budget stays what it was."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    url = reverse("notification-inbox")
    return format_html(
        '<a href="{}" id="inbox-link" data-unread-url="{}"{}>Inbox '
        '<span class="badge risk-high" id="unread-count" hidden></span></a>'
        '<script src="{}" defer></script>',
        url,
        reverse("api:notification-unread"),
        mark_safe(' aria-current="page"') if request.path == url else "",
        static("notifications/inbox.js"),
    )


@register.simple_tag
def severity_badge(severity: str):
    return format_html(
        '<span class="badge {}">{}</span>', SEVERITY_CLASSES.get(severity, ""), severity
    )


@register.simple_tag
def delivery_status_badge(status: str):
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(status, ""), status)
