"""Validation helpers shared by the notification services."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from mlops_portal.errors import ValidationFailed, validation_failed_from_django


def text(value, *, field: str, max_length: int, required: bool = True, one_line=False) -> str:
    """A trimmed string without NUL characters (which PostgreSQL cannot store)."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: must be a string.", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field}: NUL characters are not allowed.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationFailed(f"{field}: at most {max_length} characters.", field=field)
    if required and not value:
        raise ValidationFailed(f"{field}: must not be blank.", field=field)
    if one_line and ("\n" in value or "\r" in value):
        raise ValidationFailed(f"{field}: must be a single line.", field=field)
    return value


def full_clean(instance, *, exclude: Iterable[str] = ()) -> None:
    """Field validation as 400s; uniqueness is left to the database (a 409, race-free)."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise validation_failed_from_django(exc) from exc
