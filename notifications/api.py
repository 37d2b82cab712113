from rest_framework import generics, serializers

from core.errors import ValidationFailed
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
        params = ReservationFilterSerializer(data=self.request.query_params)
        if not params.is_valid():
            raise ValidationFailed(details=params.errors)
        qs = notifications_visible_to(self.request.user)
        reservation_id = params.validated_data.get("reservation_id")
        if reservation_id:
            qs = qs.filter(reservation_id=reservation_id)
        return qs
