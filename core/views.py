from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django.views.defaults import bad_request, page_not_found, server_error

from core.errors import NotAuthenticated, NotFound, ServerError, ValidationFailed
from core.exception_handler import error_body


def json_not_found(request, exception=None, *args, **kwargs):
    """A URL that matches nothing: the JSON 404 under /api/ (never an HTML page), Django's page
    elsewhere. A handler rather than a catch-all pattern, so Django's trailing-slash redirect
    (``/api/restaurants`` to ``/api/restaurants/``) and the browsable API's breadcrumbs still
    see which paths exist."""
    if request.path.startswith("/api/"):
        body = error_body(NotFound.code, f"No API endpoint at {request.path}.")
        return JsonResponse(body, status=NotFound.status)
    return page_not_found(request, exception, *args, **kwargs)


def json_bad_request(request, exception=None, *args, **kwargs):
    """A request Django refuses before any view (a Host header the server does not answer):
    the error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_body(ValidationFailed.code, "Bad request.")
        return JsonResponse(body, status=ValidationFailed.status)
    return bad_request(request, exception, *args, **kwargs)


def json_server_error(request, *args, **kwargs):
    """A crash outside DRF's handler: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(ServerError.code, ServerError.message), status=500)
    return server_error(request, *args, **kwargs)


@require_GET
def metrics(request):
    """The Prometheus metrics (core.metrics), only for ``Authorization: Bearer <METRICS_TOKEN>``:
    without a configured token the URL does not exist (404), a missing or wrong token is 401."""
    from core.metrics import metrics_text, metrics_token_valid

    if not settings.METRICS_TOKEN:
        body = error_body(NotFound.code, f"Nothing at {request.path}.")
        return JsonResponse(body, status=NotFound.status)
    if not metrics_token_valid(request.headers.get("Authorization", "")):
        body = error_body(NotAuthenticated.code, "Send Authorization: Bearer <METRICS_TOKEN>.")
        response = JsonResponse(body, status=NotAuthenticated.status)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    text, content_type = metrics_text()
    return HttpResponse(text, content_type=content_type)
