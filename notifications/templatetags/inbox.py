"""``{% load inbox %}``: the inbox link with its unread count (one query per page) and the
severity and delivery status badges."""

import logging

from django import template
from django.db import DatabaseError
from django.urls import reverse
from django.utils.html import format_html

from notifications.selectors import inbox_unread_count

register = template.Library()
logger = logging.getLogger("notifications")

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
    """The navigation bar's link to the inbox, with the unread count when there is any."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    url = reverse("notification-inbox")
    current = ' aria-current="page"' if request.path == url else ""
    try:
        unread = inbox_unread_count(user=user)
    except DatabaseError:  # an error page must still render when the database is away
        logger.warning("inbox: the unread count could not be read", exc_info=True)
        unread = 0
    if not unread:
        return format_html('<a href="{}"{}>Inbox</a>', url, format_html(current))
    return format_html(
        '<a href="{}"{}>Inbox <span class="badge risk-high" id="unread-count" '
        'title="{} unread">{}</span></a>',
        url,
        format_html(current),
        unread,
        unread if unread < 100 else "99+",
    )


@register.simple_tag
def severity_badge(severity: str):
    return format_html(
        '<span class="badge {}">{}</span>', SEVERITY_CLASSES.get(severity, ""), severity
    )


@register.simple_tag
def delivery_status_badge(status: str):
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(status, ""), status)
