"""The guest's manage link without a login: ``/api/reservations/manage/<token>/`` and its
confirm and cancel twins. The token stands for the guest, so the guest's rules apply (confirm
while the hold lives, cancel before the start) through the same services as everywhere."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent, url_secret_scope
from core.throttling import FailOpenAnonRateThrottle, client_address
from reservations import callers, selectors, services
from reservations.api.reservations import (
    MANAGE_TOKEN,
    ReservationCancelSerializer,
    ReservationSerializer,
)


class ManageLinkThrottle(FailOpenAnonRateThrottle):
    # Guessing tokens is hopeless (256 bits), and this keeps anyone from trying at speed.
    rate = "120/min"
    scope = "manage_link"


# A key belongs to its token, and only a token that names a reservation takes one: a guessed
# token's 404 is not kept, so anonymous callers cannot fill the idempotency table.
TOKEN_SCOPE = url_secret_scope("token", resolves=selectors.manage_token_exists)


class _ManageApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ManageLinkThrottle]

    def reservation(self, request, token: str):
        """The reservation and its guest's actor. Unknown tokens also count against the
        address's miss limit, shared with the page."""
        return callers.manage_link_reservation(token=token, address=client_address(request))


class ManageReservationApi(_ManageApi):
    @extend_schema(responses=ReservationSerializer)
    def get(self, request, token: str):
        reservation, _ = self.reservation(request, token)
        return Response(ReservationSerializer(reservation).data)


class ManageConfirmApi(_ManageApi):
    @extend_schema(request=None, responses=ReservationSerializer)
    @idempotent(scope=TOKEN_SCOPE, secret=MANAGE_TOKEN)
    def post(self, request, token: str):
        reservation, actor = self.reservation(request, token)
        reservation = services.reservation_confirm(reservation=reservation, actor=actor)
        return Response(ReservationSerializer(reservation).data)


class ManageCancelApi(_ManageApi):
    @extend_schema(request=ReservationCancelSerializer, responses=ReservationSerializer)
    @idempotent(scope=TOKEN_SCOPE, secret=MANAGE_TOKEN)
    def post(self, request, token: str):
        # The token first: an unknown one is a miss whatever the body says.
        reservation, actor = self.reservation(request, token)
        data = ReservationCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.reservation_cancel(
            reservation=reservation,
            actor=actor,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(ReservationSerializer(reservation).data)
