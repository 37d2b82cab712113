"""Walk-ins (docs/api-reservations.md, "Walk-ins"): the restaurant's staff seat a party that
came in, now. A thin view over reservations.callers.reservation_walk_in, which decides who may
ask and hands the booking core the rest."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.serializers import StrictCharField, StrictInputSerializer, StrictIntegerField
from reservations import callers
from reservations.api.reservations import (
    CREATED_MESSAGE,
    MANAGE_TOKEN,
    ReservationCreatedSerializer,
    ReservationSerializer,
    table_ids_field,
)


class WalkInSerializer(StrictInputSerializer):
    party_size = StrictIntegerField(min_value=1, max_value=1000)
    guest_name = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=150,
        default="",
        help_text='The name the party gave, if any (the profile is named "Walk-in" without).',
    )
    phone = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=32,
        default="",
        help_text="Optional: with a phone or e-mail the guest is the restaurant's local "
        "profile found or made by them.",
    )
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional. No e-mail is sent either way: the guest is seated at once.",
    )
    notes = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")
    table_ids = table_ids_field(
        "The seating the host chose: a table, or a combination of the restaurant (a manager "
        "may name any of its tables). Without it the first free seating is taken."
    )


class WalkInApi(APIView):
    # The tables' booking lock (core.schema lists the rest from the operation).
    error_statuses = {"POST": (423,)}

    @extend_schema(
        request=WalkInSerializer,
        responses={201: ReservationCreatedSerializer},
        description="Staff: seat a walk-in party now (status seated, source walk_in), at "
        "the first free seating or at table_ids. 400 naming the field (a party no table "
        "seats: party_size), 401, 403 (not the restaurant's staff), 404 no such restaurant, "
        "409 no_table_free_now (with next_free_at when a seating frees up soon), "
        "slot_unavailable (table_ids taken) or restaurant_closed_now, 423 slot_locked.",
    )
    @idempotent(secret=MANAGE_TOKEN)
    def post(self, request, restaurant_id: int):
        data = WalkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = callers.reservation_walk_in(
            user=request.user, restaurant_id=restaurant_id, **data.validated_data
        )
        body = {**ReservationSerializer(reservation).data, "message": CREATED_MESSAGE}
        return Response(body, status=201)
