"""What every restaurant-scoped view shares: the restaurant in the URL is resolved through the
scoping selector before anything else happens, and writes need a manager's standing there."""

from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import SAFE_METHODS, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from core.schema import ReservaFlowAutoSchema
from restaurants import selectors
from restaurants.selectors import RestaurantAccess


class InputOutputSchema(ReservaFlowAutoSchema):
    """Request bodies come from the view's ``input_serializer_class``, responses from its
    (output) ``get_serializer_class``; a POST to a collection creates (201). The error answers
    are added to every operation by core.schema."""

    def get_request_serializer(self):
        input_class = getattr(self.view, "input_serializer_class", None)
        return input_class() if input_class else super().get_request_serializer()

    def get_response_serializers(self):
        serializer = super().get_response_serializers()
        if isinstance(serializer, dict):
            return serializer
        if self.method == "DELETE":
            success = {204: None}
        elif self.method == "POST" and isinstance(self.view, ListModelMixin):
            success = {201: serializer}
        else:
            success = {200: serializer}
        return success


class ScopedMetadata(SimpleMetadata):
    """``OPTIONS`` offers the write forms only to callers the view lets write (DRF's own check
    knows the permission classes, not the restaurant scope)."""

    def determine_actions(self, request, view):
        if not view.caller_may_write():
            return {}
        return super().determine_actions(request, view)


class RestaurantScopedView(GenericAPIView):
    """A view under ``restaurants/<restaurant_id>/``.

    ``self.access`` is the caller's standing at that restaurant, resolved after authentication:
    404 when the restaurant is outside the caller's scope; for unsafe methods, the caller must
    be able to manage it (403 for its hosts, 404 for anyone else). Subclasses build their
    querysets from ``self.access`` only.
    """

    permission_classes = [IsAuthenticatedOrReadOnly]
    schema = InputOutputSchema()
    metadata_class = ScopedMetadata
    access: RestaurantAccess
    input_serializer_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.access = selectors.restaurant_access(
            user=request.user, restaurant_id=kwargs["restaurant_id"]
        )
        if request.method not in SAFE_METHODS:
            self.access.require_manager()

    def caller_may_write(self) -> bool:
        return self.access.can_manage

    @property
    def for_schema(self) -> bool:
        # drf-spectacular inspects views without a request, hence without self.access.
        return getattr(self, "swagger_fake_view", False)

    def input_context(self) -> dict:
        return {}

    def validated_input(self, *, partial: bool = False) -> dict:
        serializer = self.input_serializer_class(
            data=self.request.data, partial=partial, context=self.input_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RestaurantChildListView(ListModelMixin, RestaurantScopedView):
    """``GET`` lists what the caller may see of one kind of a restaurant's children (filtered,
    ordered, paginated); ``POST`` creates one through ``create_child``."""

    def create_child(self, data: dict):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        child = self.create_child(self.validated_input())
        return Response(self.get_serializer(child).data, status=201)


class RestaurantChildDetailView(RestaurantScopedView):
    """``GET``/``PATCH``/``DELETE`` of one child, looked up inside the scoped queryset only
    (a child of another restaurant answers 404)."""

    def update_child(self, child, data: dict):
        raise NotImplementedError

    def delete_child(self, child) -> None:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request, *args, **kwargs):
        child = self.get_object()
        child = self.update_child(child, self.validated_input(partial=True))
        return Response(self.get_serializer(child).data)

    def delete(self, request, *args, **kwargs):
        self.delete_child(self.get_object())
        return Response(status=204)
