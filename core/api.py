from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.health import health_report

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(),
        "database": serializers.CharField(),
        "cache": serializers.CharField(),
        "broker": serializers.CharField(),
    },
)


LIVENESS = inline_serializer("Liveness", {"status": serializers.CharField()})


@extend_schema(
    responses={200: HEALTH, 503: HEALTH},
    description="Readiness: 200 when the database, cache and broker answer; 503 naming the "
    "failing part. A load balancer sends traffic only to a server that answers 200 here.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request):
    ok, report = health_report()
    body = {"status": "ok" if ok else "error", **report}
    return Response(body, status=200 if ok else 503)


@extend_schema(
    responses={200: LIVENESS},
    description="Liveness: 200 while the process answers requests. Touches no database, "
    "cache or broker, so a dependency that is down never makes a supervisor restart the "
    "server (that is what readiness, `/api/health/`, reports).",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health_live(request):
    return Response({"status": "ok"})


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request):
    return Response(
        {
            "health": reverse("health", request=request),
            "schema": reverse("schema", request=request),
            "docs": reverse("swagger-ui", request=request),
            "redoc": reverse("redoc", request=request),
            "token": reverse("token_obtain_pair", request=request),
            "register": request.build_absolute_uri("/api/auth/register/"),
            "restaurants": request.build_absolute_uri("/api/restaurants/"),
            "reservations": request.build_absolute_uri("/api/reservations/"),
            "me": request.build_absolute_uri("/api/customers/me/"),
            "notifications": request.build_absolute_uri("/api/notifications/"),
        }
    )
