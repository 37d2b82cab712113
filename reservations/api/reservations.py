"""The reservations API (docs/api-reservations.md): thin views over reservations.callers (who
may ask, as which actor), reservations.selectors and reservations.services. Plain serializers
(no ModelSerializer introspection) on these hot paths; every body is strict (core.serializers),
so a misspelt or foreign key is a 400."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import SecretField, idempotent
from core.pagination import PageNumberPagination
from core.serializers import (
    BIGINT_MAX,
    PrebuiltOutputSerializer,
    StrictCharField,
    StrictDateField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictTimeField,
    parse_query,
)
from core.throttling import client_address
from reservations import callers, selectors, services
from reservations.models import Reservation
from reservations.services.booking import MAX_SEATING_TABLES

CREATED_MESSAGE = "Reservation created successfully"
# Every answer carries the guest's manage token: kept answers hold it as null, and a replay
# reads it from the reservation again.
MANAGE_TOKEN = SecretField(
    "manage_token", recall=lambda body: selectors.manage_token_of(body["id"])
)


def _id_field(**kwargs) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=BIGINT_MAX, **kwargs)


def table_ids_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=_id_field(),
        min_length=1,
        max_length=MAX_SEATING_TABLES,
        required=False,
        help_text=help_text,
    )


def _override_tables_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False,
        default=False,
        help_text="Managers only: seat the party at table_ids even when they are no "
        "combination (their seats together must hold it).",
    )


# --- serializers -----------------------------------------------------------------------------


class ReservationSerializer(PrebuiltOutputSerializer):
    """A reservation as its guest and the restaurant's staff see it (the only callers who can
    see one here, so ``manage_token`` is always included). Its fields are built once
    (core.serializers.PrebuiltOutputSerializer)."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    restaurant_id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    table_id = serializers.IntegerField(help_text="The first of table_ids.")
    table_ids = serializers.SerializerMethodField(
        help_text="Every table it holds, sorted (several for joined tables)."
    )
    party_size = serializers.IntegerField()
    reservation_date = serializers.DateField(help_text="Local date in the restaurant's zone.")
    reservation_time = StrictTimeField(help_text="Local time in the restaurant's zone.")
    start_at = serializers.DateTimeField(help_text="UTC.")
    end_at = serializers.DateTimeField(help_text="UTC.")
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="UTC; when a pending hold lapses. Null once confirmed."
    )
    confirmed_at = serializers.DateTimeField(allow_null=True)
    seated_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellation_reason = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    allergies = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=Reservation.Source.choices)
    language = serializers.CharField(help_text="The guest's language: their e-mails use it.")
    manage_token = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_table_ids(self, reservation) -> list[int]:
        return sorted(occupancy.table_id for occupancy in reservation.occupancies.all())


class ReservationCreatedSerializer(ReservationSerializer):
    message = serializers.CharField(default=CREATED_MESSAGE)


class GuestSerializer(StrictInputSerializer):
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = StrictCharField(max_length=32, required=False, allow_blank=True, default="")


class ReservationCreateSerializer(StrictInputSerializer):
    restaurant_id = _id_field()
    customer_id = _id_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff: the guest. A guest may leave it out (it is them).",
    )
    customer = GuestSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff: find the guest by e-mail or phone, or create the profile.",
    )
    table_id = _id_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out (and no table_ids): the smallest free table that seats the party, "
        "else the combination of tables with the fewest spare seats.",
    )
    table_ids = table_ids_field(
        help_text="Staff: the tables to join for the party, sorted or not: one of the "
        "restaurant's combinations, or any of its tables with override_tables. Not with "
        "table_id."
    )
    override_tables = _override_tables_field()
    reservation_date = StrictDateField(help_text="YYYY-MM-DD, local date.")
    reservation_time = StrictTimeField(help_text="HH:MM (or HH:MM:00), local time.")
    party_size = StrictIntegerField(min_value=1, max_value=1000)
    notes = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")
    allergies = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")
    source = serializers.ChoiceField(
        choices=Reservation.Source.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff only (default staff; a guest's booking is online). walk_in is a party "
        "seated now: 400 here, seat it with the walk-ins operation.",
    )
    override_notice = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: ignore the minimum notice."
    )
    language = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=35,
        default="",
        help_text="The guest's language for their e-mails (en, es). Left out: for a guest's "
        "own booking the request's language (Accept-Language), for staff the default.",
    )


class ReservationChangeSerializer(StrictInputSerializer):
    reservation_date = StrictDateField(required=False)
    reservation_time = StrictTimeField(required=False)
    party_size = StrictIntegerField(min_value=1, max_value=1000, required=False)
    table_id = _id_field(required=False)
    table_ids = table_ids_field(
        help_text="Staff: move the party to these tables (a combination of the restaurant, "
        "or any of its tables with override_tables). Not with table_id."
    )
    notes = StrictCharField(required=False, allow_blank=True, max_length=2000)
    allergies = StrictCharField(required=False, allow_blank=True, max_length=2000)
    override_notice = serializers.BooleanField(required=False, default=False)
    override_tables = _override_tables_field()


class ReservationCancelSerializer(StrictInputSerializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=300, default="")


class ReservationFilterSerializer(serializers.Serializer):
    restaurant_id = _id_field(required=False)
    customer_id = _id_field(required=False)
    table_id = _id_field(required=False)
    date = StrictDateField(required=False)
    date_from = StrictDateField(required=False)
    date_to = StrictDateField(required=False)
    status = serializers.CharField(
        required=False, help_text="One status or several, comma-separated."
    )

    def validate_status(self, value: str) -> list[str]:
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in Reservation.Status.values]
        if unknown:
            known = ", ".join(Reservation.Status.values)
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; one of {known}."
            )
        return statuses

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_to"] < attrs["date_from"]
        ):
            raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
        return attrs


# --- views -----------------------------------------------------------------------------------

_FILTER_PARAMETERS = [
    OpenApiParameter("restaurant_id", int),
    OpenApiParameter("customer_id", int),
    OpenApiParameter("table_id", int),
    OpenApiParameter("date", str, description="Local date of the start, YYYY-MM-DD."),
    OpenApiParameter("date_from", str, description="From this local date (inclusive)."),
    OpenApiParameter("date_to", str, description="To this local date (inclusive)."),
    OpenApiParameter("status", str, description="Status, or statuses comma-separated."),
]


class ReservationListCreateApi(APIView):
    pagination_class = PageNumberPagination
    # The table's booking lock; a guest's hold limit and booking attempts (core.schema).
    error_statuses = {"POST": (423, 429)}

    @extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses=ReservationSerializer(many=True),
        description="The caller's reservations (guest: own; staff: their restaurants; "
        "superuser: all), in start order, paginated.",
    )
    def get(self, request):
        filters = parse_query(ReservationFilterSerializer, request.query_params)
        reservations = selectors.reservation_list(user=request.user, filters=filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reservations, request, view=self)
        return paginator.get_paginated_response(ReservationSerializer(page, many=True).data)

    @extend_schema(
        request=ReservationCreateSerializer,
        responses={201: ReservationCreatedSerializer},
        description="Book a table. 400 naming the field for a broken rule, 403 booking for "
        "another guest, 409 slot_unavailable, 423 slot_locked (retry after Retry-After), "
        "429 hold_limit (the guest holds too many pending reservations) or throttled (too "
        "many attempts from the address), with Retry-After.",
    )
    @idempotent(secret=MANAGE_TOKEN)
    def post(self, request):
        data = ReservationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = callers.reservation_create(
            user=request.user,
            client_address=client_address(request),
            request_language=request.LANGUAGE_CODE,
            **data.validated_data,
        )
        body = {**ReservationSerializer(reservation).data, "message": CREATED_MESSAGE}
        return Response(body, status=201)


class ReservationDetailApi(APIView):
    error_statuses = {"PATCH": (423,)}  # a change takes the table's booking lock

    @extend_schema(responses=ReservationSerializer)
    def get(self, request, reservation_id):
        reservation = selectors.reservation_for_user(request.user, reservation_id)
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        request=ReservationChangeSerializer,
        responses=ReservationSerializer,
        description="Change date, time, party size, table, notes or allergies (the guest "
        "before the start, staff any time). The same rules, lock and constraint as a booking.",
    )
    def patch(self, request, reservation_id):
        reservation, actor = callers.user_reservation(request.user, reservation_id)
        data = ReservationChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        override_notice = changes.pop("override_notice", False)
        override_tables = changes.pop("override_tables", False)
        reservation = services.reservation_change(
            reservation=reservation,
            actor=actor,
            data=changes,
            override_notice=override_notice,
            override_tables=override_tables,
        )
        return Response(ReservationSerializer(reservation).data)


class _TransitionApi(APIView):
    """POST moves the reservation through one transition of the state machine; a retry with
    the same Idempotency-Key gets the first answer again (core.idempotency)."""

    input_serializer: type[serializers.Serializer] | None = None

    def run(self, reservation, actor, **data):
        raise NotImplementedError

    @extend_schema(request=None, responses=ReservationSerializer)
    @idempotent(secret=MANAGE_TOKEN)
    def post(self, request, reservation_id):
        reservation, actor = callers.user_reservation(request.user, reservation_id)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        reservation = self.run(reservation, actor, **data)
        return Response(ReservationSerializer(reservation).data)


@extend_schema_view(
    post=extend_schema(description="pending -> confirmed (guest while the hold lives, or staff).")
)
class ReservationConfirmApi(_TransitionApi):
    def run(self, reservation, actor, **data):
        return services.reservation_confirm(reservation=reservation, actor=actor)


@extend_schema_view(
    post=extend_schema(
        request=ReservationCancelSerializer,
        description="pending|confirmed -> cancelled (guest before the start, staff any time).",
    )
)
class ReservationCancelApi(_TransitionApi):
    input_serializer = ReservationCancelSerializer

    def run(self, reservation, actor, **data):
        return services.reservation_cancel(
            reservation=reservation, actor=actor, reason=data.get("reason", "")
        )


@extend_schema_view(post=extend_schema(description="confirmed -> seated (staff)."))
class ReservationSeatApi(_TransitionApi):
    def run(self, reservation, actor, **data):
        return services.reservation_seat(reservation=reservation, actor=actor)


@extend_schema_view(post=extend_schema(description="seated -> completed (staff)."))
class ReservationCompleteApi(_TransitionApi):
    def run(self, reservation, actor, **data):
        return services.reservation_complete(reservation=reservation, actor=actor)


@extend_schema_view(
    post=extend_schema(description="confirmed -> no_show (staff, after the start).")
)
class ReservationNoShowApi(_TransitionApi):
    def run(self, reservation, actor, **data):
        return services.reservation_mark_no_show(reservation=reservation, actor=actor)
