"""A restaurant's table combinations: ``restaurants/<id>/combinations/`` and
``.../<combination_id>/``. Its staff read them (hosts too), its managers and superusers change
them; anyone else is answered 404 (anonymous callers 401, as on the staff list)."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from restaurants import combinations, selectors
from restaurants.api.base import RestaurantChildDetailView, RestaurantChildListView
from restaurants.api.filters import TableCombinationFilter
from restaurants.api.serializers import (
    TableCombinationInputSerializer,
    TableCombinationSerializer,
)
from restaurants.models import TableCombination


class TableCombinationViewMixin:
    permission_classes = [IsAuthenticated]
    serializer_class = TableCombinationSerializer
    input_serializer_class = TableCombinationInputSerializer
    filterset_class = TableCombinationFilter
    ordering_fields = ["capacity", "min_capacity", "created_at", "id"]
    lookup_url_kwarg = "combination_id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Every method, OPTIONS too: outside the staff the endpoint does not exist.
        self.access.require_staff()

    def get_queryset(self):
        if self.for_schema:
            return TableCombination.objects.none()
        return selectors.table_combinations_visible(access=self.access)


class TableCombinationListView(TableCombinationViewMixin, RestaurantChildListView):
    """``POST`` defines a combination: ``table_ids`` (2 to 20 of the restaurant's active
    tables), ``min_capacity`` and ``capacity`` (defaults from the tables), ``is_active``."""

    def create_child(self, data):
        return combinations.table_combination_create(restaurant=self.access.restaurant, **data)


class TableCombinationDetailView(TableCombinationViewMixin, RestaurantChildDetailView):
    """``PATCH`` changes what it sends (new ``table_ids`` keep the stored capacities unless
    they are sent too; ``null`` asks for the default); ``PUT`` replaces the whole combination,
    what it leaves out taking its default as on ``POST``; ``DELETE`` removes it (204)."""

    def update_child(self, child, data):
        return combinations.table_combination_update(combination=child, data=data)

    def delete_child(self, child):
        combinations.table_combination_delete(combination=child)

    def put(self, request, *args, **kwargs):
        child = self.get_object()
        child = combinations.table_combination_replace(combination=child, **self.validated_input())
        return Response(self.get_serializer(child).data)
