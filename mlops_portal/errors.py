"""The project's own errors. Services raise these; one API handler and one HTML path render them.

Each carries a machine code, a message a person can act on, and the field it concerns (if any).
"""


class PortalError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationFailed(PortalError):
    code = "invalid"
    status = 400


class PermissionDenied(PortalError):
    code = "permission_denied"
    status = 403


class NotFound(PortalError):
    code = "not_found"
    status = 404


def first_or_not_found(queryset, message: str, *, field: str = "id"):
    """The first row of ``queryset``, or the 404 of the error contract naming ``field``: the
    ``…_get`` selectors end with it."""
    found = queryset.first()
    if found is None:
        raise NotFound(message, field=field)
    return found


class PayloadTooLarge(PortalError):
    code = "too_large"
    status = 413


class Conflict(PortalError):
    code = "conflict"
    status = 409


def validation_failed_from_django(exc) -> ValidationFailed:
    """Turn Django's ValidationError (from full_clean) into ours, naming the first bad field."""
    if hasattr(exc, "message_dict"):
        for field, messages in exc.message_dict.items():
            name = None if field == "__all__" else field
            text = messages[0] if messages else "Invalid value."
            return ValidationFailed(f"{name}: {text}" if name else text, field=name)
    messages = getattr(exc, "messages", None) or [str(exc)]
    return ValidationFailed(messages[0])
