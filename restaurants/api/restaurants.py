"""``restaurants/`` and ``restaurants/<id>/``."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from core.errors import PermissionDenied
from restaurants import selectors, services
from restaurants.api.base import (
    InputOutputSchema,
    RestaurantScopedView,
    ScopedMetadata,
)
from restaurants.api.filters import RestaurantFilter
from restaurants.api.serializers import (
    RestaurantDetailSerializer,
    RestaurantInputSerializer,
    RestaurantPublicDetailSerializer,
    RestaurantPublicSerializer,
    RestaurantSerializer,
)
from restaurants.models import Restaurant


class RestaurantListView(ListModelMixin, GenericAPIView):
    """Restaurants the caller can see. Rows of restaurants the caller works at (all rows for a
    superuser) carry the staff-only fields too; the others carry the public fields only.
    Only superusers create restaurants."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    schema = InputOutputSchema()
    metadata_class = ScopedMetadata
    serializer_class = RestaurantSerializer
    input_serializer_class = RestaurantInputSerializer
    filterset_class = RestaurantFilter
    ordering_fields = ["name", "slug", "created_at", "id"]

    def caller_may_write(self) -> bool:
        return self.request.user.is_superuser

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Restaurant.objects.none()
        return selectors.restaurants_visible_to(self.request.user)

    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        full_ids = selectors.restaurant_ids_seen_fully_by(request.user)
        rows = [
            (
                RestaurantSerializer
                if full_ids is None or restaurant.pk in full_ids
                else RestaurantPublicSerializer
            )(restaurant).data
            for restaurant in page
        ]
        return self.get_paginated_response(rows)

    @extend_schema(responses={201: RestaurantDetailSerializer})
    def post(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied("Only superusers create restaurants.")
        serializer = RestaurantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        restaurant = services.restaurant_create(**serializer.validated_data)
        return Response(
            RestaurantDetailSerializer(restaurant, context={"request": request}).data, status=201
        )


class RestaurantDetailView(RestaurantScopedView):
    """One restaurant with its opening hours, closures ahead and duration rules. Its managers
    (and superusers) change it; ``DELETE`` deactivates it (200 with the restaurant): it
    disappears from the public and takes no bookings, its history stays, and ``PATCH
    {"is_active": true}`` brings it back."""

    input_serializer_class = RestaurantInputSerializer

    def input_context(self) -> dict:
        return {"current_timezone": self.access.restaurant.timezone}

    def get_serializer_class(self):
        if self.for_schema or self.access.sees_everything:
            return RestaurantDetailSerializer
        return RestaurantPublicDetailSerializer

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.access.restaurant).data)

    def patch(self, request, *args, **kwargs):
        restaurant = services.restaurant_update(
            restaurant=self.access.restaurant, data=self.validated_input(partial=True)
        )
        return Response(self.get_serializer(restaurant).data)

    @extend_schema(responses={200: RestaurantDetailSerializer})
    def delete(self, request, *args, **kwargs):
        restaurant = services.restaurant_deactivate(restaurant=self.access.restaurant)
        return Response(self.get_serializer(restaurant).data)
