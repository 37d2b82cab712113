"""Accounts and guest profiles over HTTP: registration, the caller's own profile, and the
staff's guest list. Views validate the input's shape, call one service or selector and
serialize out; the scoping lives in customers.selectors.

Two representations of a profile: the guest's (never with staff ``notes`` or the visit
figures) and the staff's (visit and no-show counts, and the notes when they are the caller's
to keep: see ``customers.selectors.may_keep_notes``). The caller's own profile is always shown
as the guest's, wherever it is read.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.pagination import PageNumberPagination
from core.serializers import StrictInputSerializer
from customers.models import Customer
from customers.selectors import (
    CUSTOMER_ORDERINGS,
    customer_staff_detail,
    customer_staff_list,
    customers_visible_to,
    is_customer_staff,
    restaurant_where_staff,
)
from customers.services import customer_create, customer_update, user_register

ERROR_RESPONSES = {
    400: OpenApiResponse(description="validation_error: the failing fields under `details`."),
    401: OpenApiResponse(description="not_authenticated"),
}


class StrictCharField(serializers.CharField):
    """A CharField that takes only strings: DRF's own would turn 12 or 1.5 into "12"."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- output ---------------------------------------------------------------------------------


class CustomerGuestSerializer(serializers.ModelSerializer):
    """A profile as its guest reads it: no staff notes, no visit figures."""

    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "allergies",
            "has_account",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_account(self, obj: Customer) -> bool:
        return obj.user_id is not None


class CustomerStaffSerializer(CustomerGuestSerializer):
    """A profile as staff read it; the counts come from ``with_visit_counts`` and whether the
    notes are shown from ``with_notes_access`` (absent unless the row says so)."""

    # Not read-only, only so the schema marks it optional: this serializer is output only.
    notes = serializers.CharField(
        required=False,
        help_text=(
            "Staff notes. Present only for superusers and the staff of the restaurant that "
            "created the profile (`created_by_restaurant_id`); absent for everyone else."
        ),
    )
    visit_count = serializers.IntegerField(help_text="Completed reservations.")
    no_show_count = serializers.IntegerField(help_text="Reservations marked no-show.")
    created_by_restaurant_id = serializers.IntegerField(allow_null=True)

    class Meta(CustomerGuestSerializer.Meta):
        fields = [
            *CustomerGuestSerializer.Meta.fields,
            "notes",
            "created_by_restaurant_id",
            "visit_count",
            "no_show_count",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "may_keep_notes", False):
            del data["notes"]
        return data


# --- input ----------------------------------------------------------------------------------


class RegisterInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150, allow_blank=True)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)


class CustomerGuestUpdateSerializer(StrictInputSerializer):
    """What guests may change about themselves: names, phone, allergies."""

    first_name = StrictCharField(max_length=150, required=False)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    allergies = StrictCharField(required=False, allow_blank=True, max_length=2000)


class CustomerStaffUpdateSerializer(CustomerGuestUpdateSerializer):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    notes = StrictCharField(required=False, allow_blank=True, max_length=5000)


class CustomerListQuerySerializer(serializers.Serializer):
    """The list's filters. Through a serializer so that what reaches the database is a clean
    string (DRF's CharField refuses NUL bytes, which PostgreSQL cannot take: a 500 before)."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words to find in first/last name, e-mail or phone.",
    )
    ordering = serializers.ChoiceField(
        choices=[o for name in CUSTOMER_ORDERINGS for o in (name, f"-{name}")],
        required=False,
        allow_blank=True,
        help_text="`-` for descending; by last name, then first name when not given.",
        error_messages={"invalid_choice": f"Order by one of: {', '.join(CUSTOMER_ORDERINGS)}."},
    )


class CustomerStaffCreateSerializer(CustomerStaffUpdateSerializer):
    restaurant_id = serializers.IntegerField(
        help_text="The restaurant creating the profile; the caller must be on its staff."
    )
    first_name = StrictCharField(max_length=150)


# --- views ----------------------------------------------------------------------------------


def _staff_view_of(user, pk: int) -> Customer:
    customer = customer_staff_detail(user, pk)
    if customer is None:
        raise NotFound("No customer with this id.")
    return customer


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=RegisterInputSerializer,
        responses={201: CustomerGuestSerializer, 400: ERROR_RESPONSES[400]},
        description=(
            "Create an account (e-mail login) and its guest profile; then log in with "
            "`POST /api/auth/token/`. Django's password validators apply. An e-mail that "
            "an account or a guest profile already has (a restaurant booked the guest with "
            "it) is a 400 naming `email`: without e-mail verification, registering cannot "
            "claim an existing profile."
        ),
    )
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = user_register(**serializer.validated_data)
        return Response(CustomerGuestSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerMeApi(APIView):
    def _own_profile(self, request) -> Customer:
        customer = Customer.objects.filter(user=request.user).first()
        if customer is None:
            raise NotFound("This account has no guest profile.")
        return customer

    @extend_schema(
        operation_id="customers_me_retrieve",
        tags=["customers"],
        responses={200: CustomerGuestSerializer, 401: ERROR_RESPONSES[401]},
        description="The caller's own guest profile (never with staff notes).",
    )
    def get(self, request):
        return Response(CustomerGuestSerializer(self._own_profile(request)).data)

    @extend_schema(
        operation_id="customers_me_partial_update",
        tags=["customers"],
        request=CustomerGuestUpdateSerializer,
        responses={200: CustomerGuestSerializer, **ERROR_RESPONSES},
        description="Change your names, phone or allergies; any other key is a 400.",
    )
    def patch(self, request):
        customer = self._own_profile(request)
        serializer = CustomerGuestUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, data=serializer.validated_data)
        return Response(CustomerGuestSerializer(customer).data)


class CustomerListApi(APIView):
    def _require_staff(self, request) -> None:
        if not is_customer_staff(request.user):
            raise PermissionDenied(
                "The guest list is for restaurant staff; your own profile is at /api/customers/me/."
            )

    @extend_schema(
        operation_id="customers_list",
        tags=["customers"],
        parameters=[
            CustomerListQuerySerializer,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={
            200: CustomerStaffSerializer(many=True),
            **ERROR_RESPONSES,
            403: OpenApiResponse(description="permission_denied: the caller is not staff."),
        },
        description=(
            "Staff only: the guests with a reservation at the caller's restaurants and the "
            "profiles their staff created (all for a superuser)."
        ),
    )
    def get(self, request):
        self._require_staff(request)
        query = CustomerListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customers = customer_staff_list(request.user, **query.validated_data)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(customers, request, view=self)
        return paginator.get_paginated_response(CustomerStaffSerializer(page, many=True).data)

    @extend_schema(
        operation_id="customers_create",
        tags=["customers"],
        request=CustomerStaffCreateSerializer,
        responses={
            201: CustomerStaffSerializer,
            **ERROR_RESPONSES,
            403: OpenApiResponse(description="permission_denied: the caller is not staff."),
        },
        description=(
            "Staff only: create a guest profile (a phone booking) for `restaurant_id`, a "
            "restaurant the caller is on the staff of (otherwise 400 naming `restaurant_id`). "
            "An e-mail or a phone is required."
        ),
    )
    def post(self, request):
        self._require_staff(request)
        serializer = CustomerStaffCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        restaurant = restaurant_where_staff(request.user, data.pop("restaurant_id"))
        if restaurant is None:
            raise ValidationFailed.field(
                "restaurant_id", "No restaurant with this id where you are on the staff."
            )
        customer = customer_create(**data, created_by_restaurant=restaurant)
        return Response(
            CustomerStaffSerializer(_staff_view_of(request.user, customer.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CustomerDetailApi(APIView):
    def _visible(self, request, pk: int) -> Customer:
        customer = customers_visible_to(request.user).filter(pk=pk).first()
        if customer is None:
            raise NotFound("No customer with this id.")
        return customer

    def _is_own(self, request, customer: Customer) -> bool:
        return customer.user_id == request.user.pk

    @extend_schema(
        operation_id="customers_retrieve",
        tags=["customers"],
        responses={
            200: CustomerStaffSerializer,
            401: ERROR_RESPONSES[401],
            404: OpenApiResponse(description="not_found: outside the caller's scope."),
        },
        description=(
            "Staff read a guest in their scope (with visit counts, and `notes` when the caller "
            "is a superuser or on the staff of the restaurant that created the profile); a "
            "guest reads only their own profile, in the guest representation (no notes, no "
            "counts)."
        ),
    )
    def get(self, request, pk: int):
        customer = self._visible(request, pk)
        if self._is_own(request, customer):
            return Response(CustomerGuestSerializer(customer).data)
        return Response(CustomerStaffSerializer(_staff_view_of(request.user, pk)).data)

    @extend_schema(
        operation_id="customers_partial_update",
        tags=["customers"],
        request=CustomerStaffUpdateSerializer,
        responses={
            200: CustomerStaffSerializer,
            **ERROR_RESPONSES,
            404: OpenApiResponse(description="not_found: outside the caller's scope."),
        },
        description=(
            "Staff change any field of a guest in their scope (a profile linked to an "
            "account keeps the account's e-mail); `notes` only as a superuser or on the staff "
            "of the restaurant that created the profile, else 400 naming `notes`. On their "
            "own profile a guest may change names, phone and allergies only."
        ),
    )
    def patch(self, request, pk: int):
        customer = self._visible(request, pk)
        if self._is_own(request, customer):
            serializer = CustomerGuestUpdateSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            customer = customer_update(customer=customer, data=serializer.validated_data)
            return Response(CustomerGuestSerializer(customer).data)
        serializer = CustomerStaffUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer_update(customer=customer, data=serializer.validated_data, staff_user=request.user)
        return Response(CustomerStaffSerializer(_staff_view_of(request.user, pk)).data)
