"""Model validation in the project's error contract, for the monitoring and ingest services."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from mlops_portal.errors import validation_failed_from_django


def full_clean(instance, *, exclude=()) -> None:
    """``instance.full_clean()``, failing with a 400 that names the first bad field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise validation_failed_from_django(exc) from exc
