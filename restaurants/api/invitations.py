"""Staff invitations: ``restaurants/<id>/invitations/`` (list, invite) and ``.../<invitation_id>/``
(read, withdraw), for the restaurant's managers and superusers only (hosts: 403; anyone else:
404); ``invitations/<token>/`` (read) and ``.../accept/`` for whoever holds the emailed link
(no login: the link stands for the invited address)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import StrictCharField, StrictInputSerializer
from restaurants import invitations, selectors
from restaurants.api.base import RestaurantChildDetailView, RestaurantChildListView
from restaurants.models import StaffInvitation, StaffMembership


class InvitationSerializer(serializers.ModelSerializer):
    restaurant_id = serializers.IntegerField(read_only=True)
    invited_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = StaffInvitation
        fields = [
            "id",
            "restaurant_id",
            "email",
            "role",
            "status",
            "invited_by_id",
            "expires_at",
            "accepted_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_status(self, invitation) -> str:
        """open, accepted, withdrawn (replaced by a newer one or withdrawn) or expired."""
        return selectors.invitation_status(invitation)


class InvitationCreateInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=StaffMembership.Role.choices)


class InvitationViewMixin:
    permission_classes = [IsAuthenticated]
    serializer_class = InvitationSerializer
    filterset_fields = ["role"]
    ordering_fields = ["created_at", "id", "email", "expires_at"]
    lookup_url_kwarg = "invitation_id"

    def get_queryset(self):
        if self.for_schema:
            return StaffInvitation.objects.none()
        return selectors.invitations_visible(access=self.access)


class InvitationListView(InvitationViewMixin, RestaurantChildListView):
    """``POST`` invites ``email`` as ``role`` (manager or host): an email with a link to
    accept goes out; the membership comes when it is accepted."""

    input_serializer_class = InvitationCreateInputSerializer

    def create_child(self, data):
        return invitations.invitation_create(
            restaurant=self.access.restaurant,
            email=data["email"],
            role=data["role"],
            invited_by=self.request.user,
            language=getattr(self.request, "LANGUAGE_CODE", ""),
        )


class InvitationDetailView(InvitationViewMixin, RestaurantChildDetailView):
    """``DELETE`` withdraws an open invitation (its link stops working)."""

    http_method_names = ["get", "delete", "head", "options"]

    def delete_child(self, child):
        invitations.invitation_revoke(invitation=child)


class InvitationLinkSerializer(serializers.Serializer):
    restaurant_id = serializers.IntegerField(source="invitation.restaurant_id")
    restaurant_name = serializers.CharField(source="invitation.restaurant.name")
    email = serializers.EmailField(source="invitation.email")
    role = serializers.CharField(source="invitation.role")
    expires_at = serializers.DateTimeField(source="invitation.expires_at")
    has_account = serializers.BooleanField()


class InvitationAcceptInputSerializer(StrictInputSerializer):
    password = StrictCharField(
        required=False, allow_blank=True, write_only=True, trim_whitespace=False, max_length=128
    )
    first_name = StrictCharField(required=False, allow_blank=True, max_length=150)
    last_name = StrictCharField(required=False, allow_blank=True, max_length=150)


class InvitationAcceptedSerializer(serializers.Serializer):
    restaurant_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    role = serializers.CharField()


class InvitationLinkApi(APIView):
    """The invitation an emailed link stands for (no login)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    error_statuses = (410,)  # invitation_used, invitation_expired

    @extend_schema(responses={200: InvitationLinkSerializer})
    def get(self, request, token: str):
        return Response(InvitationLinkSerializer(invitations.invitation_for_token(token)).data)


class InvitationAcceptApi(APIView):
    """Accept the invitation: a new (or never activated) account sets its ``password``
    (and names); an existing account just joins. Works once."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    error_statuses = (410,)  # invitation_used, invitation_expired

    @extend_schema(
        request=InvitationAcceptInputSerializer, responses={201: InvitationAcceptedSerializer}
    )
    def post(self, request, token: str):
        serializer = InvitationAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = invitations.invitation_accept(token=token, **serializer.validated_data)
        return Response(InvitationAcceptedSerializer(membership).data, status=201)
