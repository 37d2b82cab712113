"""One DRF exception handler: every API error has the shape {"code", "message", "details"}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError

logger = logging.getLogger(__name__)

# deadlock_detected, serialization_failure
RETRYABLE_PGCODES = {"40P01", "40001"}


def _pgcode(exc: Exception) -> str | None:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None)


_DRF_CODES: list[tuple[type[drf.APIException], str]] = [
    (drf.ValidationError, "validation_error"),
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "not_authenticated"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
    (drf.ParseError, "parse_error"),
]


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


def _drf_body(exc: drf.APIException) -> dict:
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            details = detail
        else:
            details = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return error_body("validation_error", "Invalid input.", details)
    if code is None:
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
    detail = exc.detail
    message = str(detail) if not isinstance(detail, list | dict) else str(exc.default_detail)
    details = {}
    if isinstance(detail, dict):
        details = {k: v for k, v in detail.items() if k != "detail"}
        message = str(detail.get("detail", message))
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        details["retry_after"] = int(exc.wait)
    return error_body(code, message, details)


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.details),
            status=exc.status,
            headers=exc.headers(),
        )
    if isinstance(exc, OperationalError) and _pgcode(exc) in RETRYABLE_PGCODES:
        # Two transactions took row locks in opposite orders (or could not be serialized):
        # PostgreSQL rolled ours back; nothing was written and a retry will succeed.
        logger.warning("Concurrent change: %s", exc)
        return Response(
            error_body(
                "concurrent_change",
                "The request crossed a concurrent change and was not applied; retry.",
            ),
            status=409,
        )
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(error_body("validation_error", "Invalid input.", details), status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Logged with its traceback, answered in the one shape.
        logger.exception("Unhandled error in %s", context.get("view"))
        return Response(error_body("server_error", "An unexpected error occurred."), status=500)
    response.data = _drf_body(exc)
    return response
