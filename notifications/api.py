from rest_framework import generics, serializers

from core.serializers import parse_query
from notifications.models import Notification
from notifications.selectors import notifications_visible_to


class NotificationSerializer(serializers.ModelSerializer):
    reservation_id = serializers.UUIDField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "reservation_id",
            "kind",
            "channel",
            "status",
            "attempts",
            "last_error",
            "scheduled_for",
            "sent_at",
            "message_id",
            "created_at",
        ]


class ReservationFilterSerializer(serializers.Serializer):
    reservation_id = serializers.UUIDField(required=False)


class NotificationListApi(generics.ListAPIView):
    """Read-only: staff see their restaurants' notifications, a guest their own."""

    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = parse_query(ReservationFilterSerializer, self.request.query_params)
        qs = notifications_visible_to(self.request.user)
        reservation_id = params.get("reservation_id")
        if reservation_id:
            qs = qs.filter(reservation_id=reservation_id)
        return qs
