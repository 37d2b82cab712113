"""The product's URLs plus two ceilings served by the same stack (gunicorn, middleware, JSON
rendering): an authenticated DRF endpoint that does nothing (the API's default
authentication, a bearer token, and IsAuthenticated) and the same endpoint for anonymous
callers (no authentication at all), so the difference is what authentication costs."""

from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns


class NoopApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class AnonymousNoopApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/noop/", NoopApi.as_view()),
    path("bench/noop-anonymous/", AnonymousNoopApi.as_view()),
    *product_urlpatterns,
]
