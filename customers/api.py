"""Accounts and guest profiles over HTTP: registration, the caller's own profile, and the
staff's guest list. Views validate the input's shape, call one service or selector and
serialize out; the scoping lives in customers.selectors.

Two representations of a profile: the guest's (no visit figures) and the staff's (visit and
no-show counts). The caller's own profile is always shown as the guest's, wherever it is read.
What a restaurant records about a guest (its notes) is a resource of its own, the guest
record (``GuestRecordApi``), never part of a profile.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.pagination import PageNumberPagination
from core.serializers import (
    BIGINT_MAX,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    parse_query,
)
from core.throttling import client_address
from customers.login_limits import login_attempt_begin, login_attempt_succeeded
from customers.models import Customer
from customers.selectors import (
    CUSTOMER_ORDERINGS,
    customer_staff_detail,
    customer_staff_list,
    customers_visible_to,
    guest_record_scope,
    is_customer_staff,
    restaurant_where_staff,
    staff_edit_refusal,
)
from customers.services import (
    customer_create,
    customer_update,
    guest_record_update,
    user_register,
)

# --- output ---------------------------------------------------------------------------------


class CustomerGuestSerializer(serializers.ModelSerializer):
    """A profile as its guest reads it: no visit figures."""

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
    """A profile as staff read it; the counts come from ``with_visit_counts``."""

    # Absent for a guest reading their own profile here (GET /customers/{id}/ answers the guest
    # representation then).
    schema_optional_fields = [
        "created_by_restaurant_id",
        "visit_count",
        "no_show_count",
        "updated_at",
    ]

    visit_count = serializers.IntegerField(help_text="Completed reservations.")
    no_show_count = serializers.IntegerField(help_text="Reservations marked no-show.")
    created_by_restaurant_id = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "The restaurant that keeps this local profile (only its staff change it); for a "
            "profile with an account (`has_account`), which only its guest changes, history."
        ),
    )

    class Meta(CustomerGuestSerializer.Meta):
        fields = [
            *CustomerGuestSerializer.Meta.fields,
            "created_by_restaurant_id",
            "visit_count",
            "no_show_count",
            "updated_at",
        ]
        read_only_fields = fields


class GuestRecordSerializer(serializers.Serializer):
    """What one restaurant records about one guest."""

    restaurant_id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    notes = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="Null while the restaurant has recorded nothing."
    )


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


class GuestRecordUpdateSerializer(StrictInputSerializer):
    notes = StrictCharField(allow_blank=True, max_length=5000)


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
    restaurant_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="The restaurant creating the profile; the caller must be on its staff.",
    )
    first_name = StrictCharField(max_length=150)


# --- views ----------------------------------------------------------------------------------


def _staff_view_of(user, pk: int) -> Customer:
    customer = customer_staff_detail(user, pk)
    if customer is None:
        raise NotFound("No customer with this id.")
    return customer


class TokenObtainApi(TokenObtainPairView):
    """JWT login; wrong credentials are a 401 (simplejwt reads no credentials of the caller,
    so the schema would not know it)."""

    error_statuses = (401, 429)  # wrong credentials; the sign-in limits (customers.login_limits)


class TokenRefreshApi(TokenRefreshView):
    error_statuses = (401,)  # an invalid or expired refresh token


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    error_statuses = (429,)  # registrations per client address (customers.services)

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=RegisterInputSerializer,
        responses={201: CustomerGuestSerializer},
        description=(
            "Create an account (e-mail login) and its guest profile; then log in with "
            "`POST /api/auth/token/`. Django's password validators apply. An e-mail that "
            "an account already has is a 400 naming `email`; a restaurant's own guest "
            "profile with that e-mail neither blocks the registration nor is linked to the "
            "new account (without e-mail verification, registering proves nothing). "
            "Attempts per client address are limited "
            "(`REGISTRATIONS_PER_ADDRESS` per `REGISTRATIONS_WINDOW_SECONDS`): 429 `throttled`."
        ),
    )
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = user_register(
            client_address=client_address(request), **serializer.validated_data
        )
        return Response(CustomerGuestSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerMeApi(APIView):
    error_statuses = (404,)  # an account without a guest profile (a staff account)

    def _own_profile(self, request) -> Customer:
        customer = Customer.objects.filter(user=request.user).first()
        if customer is None:
            raise NotFound("This account has no guest profile.")
        return customer

    @extend_schema(
        operation_id="customers_me_retrieve",
        tags=["customers"],
        responses={200: CustomerGuestSerializer},
        description="The caller's own guest profile (never with staff notes).",
    )
    def get(self, request):
        return Response(CustomerGuestSerializer(self._own_profile(request)).data)

    @extend_schema(
        operation_id="customers_me_partial_update",
        tags=["customers"],
        request=CustomerGuestUpdateSerializer,
        responses={200: CustomerGuestSerializer},
        description="Change your names, phone or allergies; any other key is a 400.",
    )
    def patch(self, request):
        customer = self._own_profile(request)
        serializer = CustomerGuestUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, data=serializer.validated_data)
        return Response(CustomerGuestSerializer(customer).data)


class CustomerListApi(APIView):
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

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
        responses={200: CustomerStaffSerializer(many=True)},
        description=(
            "Staff only: the guests with a reservation at the caller's restaurants and the "
            "profiles their staff created (all for a superuser)."
        ),
    )
    def get(self, request):
        self._require_staff(request)
        query = parse_query(CustomerListQuerySerializer, request.query_params)
        customers = customer_staff_list(request.user, **query)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(customers, request, view=self)
        return paginator.get_paginated_response(CustomerStaffSerializer(page, many=True).data)

    @extend_schema(
        operation_id="customers_create",
        tags=["customers"],
        request=CustomerStaffCreateSerializer,
        responses={201: CustomerStaffSerializer},
        description=(
            "Staff only: create a local guest profile (a phone booking) kept by "
            "`restaurant_id`, a restaurant the caller is on the staff of (otherwise 400 naming "
            "`restaurant_id`). An e-mail or a phone is required; an address another "
            "restaurant or an account also has is no obstacle (each has its own profile)."
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
        responses={200: CustomerStaffSerializer},
        description=(
            "Staff read a guest in their scope (with visit counts); a guest reads only their "
            "own profile, in the guest representation (no counts)."
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
        responses={200: CustomerStaffSerializer},
        description=(
            "Staff change a local profile their restaurant keeps (superusers: any local "
            "profile); a profile with an account is read-only to staff (403 "
            "`profile_owned_by_guest`), and one another restaurant keeps too (403 "
            "`profile_kept_elsewhere`). On their own profile a guest may change names, phone "
            "and allergies only."
        ),
    )
    def patch(self, request, pk: int):
        customer = self._visible(request, pk)
        if self._is_own(request, customer):
            serializer = CustomerGuestUpdateSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            customer = customer_update(customer=customer, data=serializer.validated_data)
            return Response(CustomerGuestSerializer(customer).data)
        # Refused before the body is looked at: whatever is sent, the profile is not theirs.
        refusal = staff_edit_refusal(request.user, customer)
        if refusal is not None:
            raise refusal
        serializer = CustomerStaffUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer_update(customer=customer, data=serializer.validated_data, staff_user=request.user)
        return Response(CustomerStaffSerializer(_staff_view_of(request.user, pk)).data)


class GuestRecordApi(APIView):
    """What a restaurant records about one of its guests: only its staff and superusers, only
    about the restaurant's guests; anything else is a 404 (whether or not it exists)."""

    def _scope(self, request, restaurant_id: int, customer_id: int):
        scope = guest_record_scope(
            request.user, restaurant_id=restaurant_id, customer_id=customer_id
        )
        if scope is None:
            raise NotFound("No guest with this id at a restaurant where you are on the staff.")
        return scope

    def _body(self, restaurant, customer, record) -> dict:
        return GuestRecordSerializer(
            {
                "restaurant_id": restaurant.pk,
                "customer_id": customer.pk,
                "notes": record.notes if record else "",
                "updated_at": record.updated_at if record else None,
            }
        ).data

    @extend_schema(
        operation_id="guest_records_retrieve",
        tags=["customers"],
        responses={200: GuestRecordSerializer},
        description=(
            "The restaurant's notes about one of its guests (empty while none are kept). "
            "Never shown to the guest or to another restaurant."
        ),
    )
    def get(self, request, restaurant_id: int, customer_id: int):
        return Response(self._body(*self._scope(request, restaurant_id, customer_id)))

    @extend_schema(
        operation_id="guest_records_partial_update",
        tags=["customers"],
        request=GuestRecordUpdateSerializer,
        responses={200: GuestRecordSerializer},
        description="Set the restaurant's notes about one of its guests.",
    )
    def patch(self, request, restaurant_id: int, customer_id: int):
        restaurant, customer, _ = self._scope(request, restaurant_id, customer_id)
        serializer = GuestRecordUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = guest_record_update(
            restaurant=restaurant, customer=customer, notes=serializer.validated_data["notes"]
        )
        return Response(self._body(restaurant, customer, record))


class LoginTokenSerializer(TokenObtainPairSerializer):
    """``POST /api/auth/token/`` under the login limits (customers.login_limits): 429
    ``throttled`` with Retry-After over a limit, before the password is checked."""

    def validate(self, attrs):
        attempts = login_attempt_begin(
            email=attrs[self.username_field], address=client_address(self.context["request"])
        )
        data = super().validate(attrs)  # a wrong password raises here: the attempt stays counted
        login_attempt_succeeded(attempts)
        return data
