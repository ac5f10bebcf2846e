"""One JSON error contract for the whole API: ``{"error": {"code", "message", "field"}}``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from mlops_portal.errors import PortalError, validation_failed_from_django


def _first_error(detail, path: str = "") -> tuple[str | None, str]:
    """Depth-first: the first field path and message in DRF's nested error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            return _first_error(value, name)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                return _first_error(value, f"{path}[{index}]" if path else str(index))
            return path or None, str(value)
    return path or None, str(detail)


def _first_code(codes):
    while isinstance(codes, dict | list) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes if isinstance(codes, str) else "invalid"


def _body(code: str, message: str, field: str | None = None, details=None) -> dict:
    error = {"code": code, "message": message, "field": field}
    if details is not None:
        error["details"] = details
    return {"error": error}


def portal_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_failed_from_django(exc)
    if isinstance(exc, PortalError):
        set_rollback()
        return Response(_body(exc.code, exc.message, exc.field), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_error(exc.detail)
        text = f"{field}: {message}" if field else message
        if _first_code(exc.get_codes()) == "does_not_exist":
            # A reference to an object that is not there (a version for a missing model).
            return Response(_body("not_found", text, field), status=status.HTTP_404_NOT_FOUND)
        body = _body("invalid", text, field, details=exc.detail)
        return Response(body, status=status.HTTP_400_BAD_REQUEST, headers=headers)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    field = "body" if isinstance(exc, exceptions.ParseError) else None
    return Response(_body(code, str(exc.detail), field), status=exc.status_code, headers=headers)
