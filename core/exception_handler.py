"""One DRF exception handler: every API error has the shape {"code", "message", "details"}."""

import logging
import re

import psycopg
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.log import log_response
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import (
    ApplicationError,
    ConcurrentChange,
    MethodNotAllowed,
    NotAcceptable,
    NotAuthenticated,
    NotFound,
    ParseFailed,
    PermissionDenied,
    RequestTooLarge,
    ServerError,
    ServiceUnavailable,
    Throttled,
    TooManyFields,
    TooManyFiles,
    UnsupportedMediaType,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# deadlock_detected, serialization_failure
RETRYABLE_PGCODES = {"40P01", "40001"}
# admin_shutdown (pg_terminate_backend, a fast shutdown), crash_shutdown, cannot_connect_now;
# the whole class 08 (connection_exception) counts too.
LOST_CONNECTION_PGCODES = {"57P01", "57P02", "57P03"}


def _pgcode(exc: Exception) -> str | None:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None)


def connection_lost(exc: Exception) -> bool:
    """The database connection broke under the request (PostgreSQL restarted, the backend was
    terminated, the server is unreachable): the open transaction died with it, so nothing of
    the request was committed, and Django replaces the connection before the next query."""
    if isinstance(exc, InterfaceError):
        return True  # "connection already closed": a connection that broke earlier
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if not isinstance(cause, psycopg.Error):
        return False
    # psycopg gives no SQLSTATE when the failure is on the wire rather than a server error.
    code = cause.sqlstate
    return code is None or code.startswith("08") or code in LOST_CONNECTION_PGCODES


def request_data_error(exc: Exception) -> ApplicationError | None:
    """Django's upload limits (``DATA_UPLOAD_MAX_*``), raised when the body is first read."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return TooManyFields()
    if isinstance(exc, TooManyFilesSent):
        return TooManyFiles()
    return None


def lost_connection_error() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database connection was lost; the request was not completed. Retry shortly."
    )


def log_lost_connection(exc: Exception, request, response) -> None:
    """A WARNING, not an error: an outage of the database, not a bug; also stops Django from
    logging the 503 as an error."""
    log_response(
        "Database connection lost (%s), answered 503: %s",
        type(exc.__cause__ or exc).__name__,
        getattr(request, "path", "-"),
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )


# DRF's own exceptions, answered with the codes of the project's classes of the same meaning.
_DRF_CODES: list[tuple[type[drf.APIException], type[ApplicationError]]] = [
    (drf.ValidationError, ValidationFailed),
    (drf.NotAuthenticated, NotAuthenticated),
    (drf.AuthenticationFailed, NotAuthenticated),
    (drf.PermissionDenied, PermissionDenied),
    (drf.NotFound, NotFound),
    (drf.MethodNotAllowed, MethodNotAllowed),
    (drf.NotAcceptable, NotAcceptable),
    (drf.UnsupportedMediaType, UnsupportedMediaType),
    (drf.Throttled, Throttled),
    (drf.ParseError, ParseFailed),
]


# A lone surrogate (JSON's "\ud800") is a str in Python but cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value):
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD: an
    error that echoes the client's input (an unknown key, a refused choice) stays renderable."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"code": code, "message": _encodable(message), "details": _encodable(details or {})}


def _drf_body(exc: drf.APIException) -> dict:
    code = next((error.code for cls, error in _DRF_CODES if isinstance(exc, cls)), None)
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            details = detail
        else:
            details = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return error_body(ValidationFailed.code, ValidationFailed.message, details)
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


def _application_error_response(exc: ApplicationError) -> Response:
    return Response(
        error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.headers()
    )


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return _application_error_response(exc)
    if (error := request_data_error(exc)) is not None:
        return _application_error_response(error)
    if connection_lost(exc):
        response = _application_error_response(lost_connection_error())
        request = context.get("request")
        log_lost_connection(exc, getattr(request, "_request", request), response)
        return response
    if isinstance(exc, OperationalError) and _pgcode(exc) in RETRYABLE_PGCODES:
        # Two transactions took row locks in opposite orders (or could not be serialized):
        # PostgreSQL rolled ours back; nothing was written and a retry will succeed.
        logger.warning("Concurrent change: %s", exc)
        return _application_error_response(ConcurrentChange())
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return _application_error_response(ValidationFailed(details=details))
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Logged with its traceback, answered in the one shape.
        logger.exception("Unhandled error in %s", context.get("view"))
        return _application_error_response(ServerError())
    response.data = _drf_body(exc)
    return response
