"""A restaurant's staff memberships: ``restaurants/<id>/staff/`` and ``.../<membership_id>/``.
For the restaurant's managers and superusers only (hosts: 403; anyone else: 404)."""

from rest_framework.permissions import IsAuthenticated

from restaurants import selectors, services
from restaurants.api.base import RestaurantChildDetailView, RestaurantChildListView
from restaurants.api.serializers import (
    MembershipCreateInputSerializer,
    MembershipSerializer,
    MembershipUpdateInputSerializer,
)
from restaurants.models import StaffMembership


class MembershipViewMixin:
    permission_classes = [IsAuthenticated]
    serializer_class = MembershipSerializer
    filterset_fields = ["role"]
    ordering_fields = ["role", "created_at", "id", "user__email"]
    lookup_url_kwarg = "membership_id"

    def get_queryset(self):
        if self.for_schema:
            return StaffMembership.objects.none()
        return selectors.memberships_visible(access=self.access)


class MembershipListView(MembershipViewMixin, RestaurantChildListView):
    """``POST`` adds an existing account (``user_id`` or ``email``) with a ``role``."""

    input_serializer_class = MembershipCreateInputSerializer

    def create_child(self, data):
        user = selectors.staff_candidate(user_id=data.get("user_id"), email=data.get("email"))
        return services.membership_create(
            restaurant=self.access.restaurant, user=user, role=data["role"]
        )


class MembershipDetailView(MembershipViewMixin, RestaurantChildDetailView):
    input_serializer_class = MembershipUpdateInputSerializer

    def update_child(self, child, data):
        if "role" not in data:
            return child
        return services.membership_update(membership=child, role=data["role"])

    def delete_child(self, child):
        services.membership_delete(membership=child)
