"""What the HTML pages (admin, the guest's manage page) answer when a request fails before or
beside their view's own error handling. API views are left to DRF's exception handler
(core.exception_handler), which answers the same failures in the JSON error shape.

And, around every request, its id, its log line and its metrics
(``RequestObservationMiddleware``, docs/observability.md)."""

import logging
import time

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape
from rest_framework.views import APIView

from core.errors import ApplicationError, ParseFailed
from core.exception_handler import (
    connection_lost,
    log_lost_connection,
    lost_connection_error,
    request_data_error,
)
from core.request_id import HEADER as REQUEST_ID_HEADER
from core.request_id import request_id_from, request_id_reset, request_id_set

request_logger = logging.getLogger("reservaflow.request")

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body>
</html>
"""


def _is_api_view(view_func) -> bool:
    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


def error_page(error: ApplicationError) -> HttpResponse:
    response = HttpResponse(status=error.status, headers=error.headers())
    title = f"{response.reason_phrase} ({error.status})"
    response.content = _PAGE.format(title=escape(title), message=escape(error.message))
    return response


class RequestLimitsMiddleware:
    """Reads the body of a page request before the CSRF check or the view does, so that a body
    over Django's upload limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``..._NUMBER_FIELDS``,
    ``..._NUMBER_FILES``) is a plain 413 / 400 page, not a SuspiciousOperation logged as an
    error; a broken multipart body is a 400 page, not a traceback. Must come before
    ``CsrfViewMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_api_view(view_func):
            return None
        try:
            request.GET  # noqa: B018 -- a query string counts towards the field limit too
            if request.content_type != "multipart/form-data":
                request.body  # noqa: B018 -- the size check happens on this first read
            request.POST  # noqa: B018 -- parses forms: the field and file counts
        except SuspiciousOperation as exc:
            error = request_data_error(exc)
            if error is None:
                raise
            return error_page(error)
        except MultiPartParserError:
            # A multipart body without a boundary or with a broken one: the client's fault.
            return error_page(ParseFailed())
        return None


class LostDatabaseMiddleware:
    """A page view whose database connection broke answers a plain 503 with Retry-After,
    logged as a warning (the API's twin is in core.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not connection_lost(exception):
            return None
        response = error_page(lost_connection_error())
        log_lost_connection(exception, request, response)
        return response


class RequestObservationMiddleware:
    """First of all middleware: gives the request its id (core.request_id), answers it in
    ``X-Request-ID``, writes one log line per request (``reservaflow.request``: method, path,
    view, status, duration) and counts it in the request metrics (core.metrics)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core import metrics

        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_set(request_id)
        request.request_id = request_id
        started = time.monotonic()
        try:
            response = self.get_response(request)
            seconds = time.monotonic() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or match.url_name or "unnamed") if match else "unmatched"
            metrics.REQUESTS.labels(
                view=view, method=request.method, status=str(response.status_code)
            ).inc()
            metrics.REQUEST_SECONDS.labels(view=view).observe(seconds)
            request_logger.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            request_id_reset(token)
