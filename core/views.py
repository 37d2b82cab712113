from django.http import JsonResponse
from django.views.defaults import server_error


def json_server_error(request, *args, **kwargs):
    """A crash outside DRF's handler: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "message": "An unexpected error occurred.", "details": {}},
            status=500,
        )
    return server_error(request, *args, **kwargs)
