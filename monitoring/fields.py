"""Model fields that the monitoring models (and ingest's) share."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def person_field() -> models.ForeignKey:
    """Who created or requested the row: optional (a task acts for nobody), set to null when
    the user is deleted, with no reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
