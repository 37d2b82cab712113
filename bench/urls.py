"""The product's URLs plus the ceiling: an authenticated DRF endpoint that does nothing, served
by the same stack (gunicorn, middleware, JWT authentication, JSON rendering)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns


class NoopApi(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/noop/", NoopApi.as_view()), *product_urlpatterns]
