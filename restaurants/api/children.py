"""A restaurant's tables, opening hours, closures and duration rules:
``restaurants/<id>/<kind>/`` and ``restaurants/<id>/<kind>/<child_id>/``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from core.schema import ErrorSerializer
from restaurants import selectors, services
from restaurants.api.base import (
    RestaurantChildDetailView,
    RestaurantChildListView,
)
from restaurants.api.filters import TableFilter
from restaurants.api.serializers import (
    ClosureInputSerializer,
    ClosureSerializer,
    DurationRuleInputSerializer,
    DurationRuleSerializer,
    OpeningHoursInputSerializer,
    OpeningHoursSerializer,
    TableInputSerializer,
    TablePublicSerializer,
    TableSerializer,
)
from restaurants.models import Closure, DurationRule, OpeningHours, Table

# --- tables ---------------------------------------------------------------------------------


class TableViewMixin:
    """Staff see every table with its staff-only fields; the public sees active tables."""

    input_serializer_class = TableInputSerializer
    filterset_class = TableFilter
    ordering_fields = ["number", "capacity", "min_capacity", "area", "created_at", "id"]
    lookup_url_kwarg = "table_id"

    def get_queryset(self):
        if self.for_schema:
            return Table.objects.none()
        return selectors.tables_visible(access=self.access)

    def get_serializer_class(self):
        if self.for_schema or self.access.sees_everything:
            return TableSerializer
        return TablePublicSerializer


class TableListView(TableViewMixin, RestaurantChildListView):
    def create_child(self, data):
        return services.table_create(restaurant=self.access.restaurant, **data)


class TableDetailView(TableViewMixin, RestaurantChildDetailView):
    """``DELETE``: 409 ``table_has_reservations`` while reservations are ahead, 409
    ``table_in_combination`` while a table combination joins it; a table with only past
    reservations is kept for their history and deactivated (200 with the table); otherwise
    it is deleted (204)."""

    def update_child(self, child, data):
        return services.table_update(table=child, data=data)

    @extend_schema(
        responses={
            200: TableSerializer,
            204: None,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`table_has_reservations`: reservations on it are ahead (deactivate it "
                    "instead); `table_in_combination`: a table combination joins it "
                    "(`details.combination_ids`)."
                ),
            ),
        }
    )
    def delete(self, request, *args, **kwargs):
        kept = services.table_delete(table=self.get_object())
        if kept is not None:
            return Response(self.get_serializer(kept).data)
        return Response(status=204)


# --- opening hours --------------------------------------------------------------------------


class OpeningHoursViewMixin:
    input_serializer_class = OpeningHoursInputSerializer
    serializer_class = OpeningHoursSerializer
    filterset_fields = ["weekday"]
    ordering_fields = ["weekday", "opens_at", "id"]
    lookup_url_kwarg = "opening_hours_id"

    def get_queryset(self):
        if self.for_schema:
            return OpeningHours.objects.none()
        return selectors.opening_hours_visible(access=self.access)


class OpeningHoursListView(OpeningHoursViewMixin, RestaurantChildListView):
    def create_child(self, data):
        return services.opening_hours_create(restaurant=self.access.restaurant, **data)


class OpeningHoursDetailView(OpeningHoursViewMixin, RestaurantChildDetailView):
    def update_child(self, child, data):
        return services.opening_hours_update(period=child, data=data)

    def delete_child(self, child):
        services.opening_hours_delete(period=child)


# --- closures -------------------------------------------------------------------------------


class ClosureViewMixin:
    """Staff see past closures too; the public only those still ahead."""

    input_serializer_class = ClosureInputSerializer
    serializer_class = ClosureSerializer
    ordering_fields = ["starts_on", "ends_on", "id"]
    lookup_url_kwarg = "closure_id"

    def get_queryset(self):
        if self.for_schema:
            return Closure.objects.none()
        return selectors.closures_visible(access=self.access)


class ClosureListView(ClosureViewMixin, RestaurantChildListView):
    def create_child(self, data):
        return services.closure_create(restaurant=self.access.restaurant, **data)


class ClosureDetailView(ClosureViewMixin, RestaurantChildDetailView):
    def update_child(self, child, data):
        return services.closure_update(closure=child, data=data)

    def delete_child(self, child):
        services.closure_delete(closure=child)


# --- duration rules -------------------------------------------------------------------------


class DurationRuleViewMixin:
    input_serializer_class = DurationRuleInputSerializer
    serializer_class = DurationRuleSerializer
    ordering_fields = ["min_party", "duration_minutes", "id"]
    lookup_url_kwarg = "duration_rule_id"

    def get_queryset(self):
        if self.for_schema:
            return DurationRule.objects.none()
        return selectors.duration_rules_visible(access=self.access)


class DurationRuleListView(DurationRuleViewMixin, RestaurantChildListView):
    def create_child(self, data):
        return services.duration_rule_create(restaurant=self.access.restaurant, **data)


class DurationRuleDetailView(DurationRuleViewMixin, RestaurantChildDetailView):
    def update_child(self, child, data):
        return services.duration_rule_update(rule=child, data=data)

    def delete_child(self, child):
        services.duration_rule_delete(rule=child)
