"""The caller's own inbox: mark read. Not audited: it changes nothing but the reader's own view."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from governance.roles import Action, require
from mlops_portal.errors import NotFound, ValidationFailed
from notifications.models import InboxEntry

MARK_MAX = 1000


def inbox_mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications (``None``: every one) read in ``user``'s inbox; returns how
    many were unread. An id that is not in the user's inbox is a 404 naming ``ids``."""
    require(user, Action.NOTIFICATION_INBOX_OWN)
    entries = InboxEntry.objects.filter(user=user)
    with transaction.atomic(durable=True):
        if notification_ids is not None:
            ids = set(notification_ids)
            if len(ids) > MARK_MAX:
                raise ValidationFailed(f"ids: at most {MARK_MAX} at once.", field="ids")
            entries = entries.filter(notification_id__in=ids)
            found = set(entries.values_list("notification_id", flat=True))
            missing = sorted(ids - found)
            if missing:
                raise NotFound(f"ids: no notification {missing[0]} in your inbox.", field="ids")
        return entries.filter(read_at__isnull=True).update(read_at=timezone.now())
