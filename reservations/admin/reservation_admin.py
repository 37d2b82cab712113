"""The reservations' ModelAdmin: the list, the add and change pages (their forms ask the
booking core: reservations.admin.forms) and the actions (reservations.admin.actions)."""

from datetime import UTC, datetime

from django.contrib import admin
from django.contrib.admin.options import csrf_protect_m
from django.db.models import QuerySet

from reservations.admin.actions import TRANSITION_ACTIONS, admin_action
from reservations.admin.forms import ReservationAddForm, ReservationChangeForm
from reservations.models import Reservation
from restaurants.admin_access import RestaurantScopedAdmin, admin_scope

TIMES = ("starts", "ends", "hold_expires", "confirmed", "seated", "completed", "cancelled")
SHOWN = ("id", "restaurant_name", "guest", "seating", "status", "source", "created", "updated")


def instant(value: datetime | None, zone) -> str:
    """An instant in UTC with the restaurant's local time and zone beside it."""
    if value is None:
        return "-"
    local = value.astimezone(zone)
    return (
        f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC · "
        f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone.key})"
    )


def _instant_field(attribute: str, description: str):
    @admin.display(description=description)
    def show(self, reservation: Reservation) -> str:
        return instant(getattr(reservation, attribute), reservation.restaurant.tz)

    return show


@admin.register(Reservation)
class ReservationAdmin(RestaurantScopedAdmin, admin.ModelAdmin):
    list_display = (
        "local_start",
        "restaurant",
        "tables",
        "guest_name",
        "party",
        "status",
        "source",
    )
    list_filter = ("status", ("restaurant", admin.RelatedOnlyFieldListFilter), "reservation_date")
    search_fields = (
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        # Part of the id (as text) is enough: the list shows none, the guest reads it out.
        "id",
    )
    list_select_related = ("restaurant", "table", "customer")
    ordering = ("-start_at",)
    date_hierarchy = "reservation_date"
    save_as = False
    actions = tuple(admin_action(spec) for spec in TRANSITION_ACTIONS)

    starts = _instant_field("start_at", "starts")
    ends = _instant_field("end_at", "ends")
    hold_expires = _instant_field("expires_at", "hold expires")
    confirmed = _instant_field("confirmed_at", "confirmed")
    seated = _instant_field("seated_at", "seated")
    completed = _instant_field("completed_at", "completed")
    cancelled = _instant_field("cancelled_at", "cancelled")
    created = _instant_field("created_at", "created")
    updated = _instant_field("updated_at", "updated")

    def get_queryset(self, request) -> QuerySet[Reservation]:
        return super().get_queryset(request).prefetch_related("occupancies__table")

    def changelist_view(self, request, extra_context=None):
        # The list needs the width (its columns fit 1280 pixels beside the filters): the
        # apps' sidebar stays on the other pages.
        extra_context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*SHOWN, *TIMES, "cancellation_reason", "language", "manage_token")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    "Where and when",
                    {
                        "fields": [
                            "restaurant",
                            ("reservation_date", "reservation_time"),
                            "party_size",
                            "tables",
                            "override_tables",
                            "override_notice",
                            "source",
                        ]
                    },
                ),
                ("Guest", {"fields": [("first_name", "last_name"), "email", "phone"]}),
                ("Remarks", {"fields": ["notes", "allergies"]}),
            ]
        zone = obj.restaurant.timezone
        return [
            (None, {"fields": ["id", "restaurant_name", "guest", "seating", "status", "source"]}),
            (f"Times: UTC, then local in {zone}", {"fields": [*TIMES, "created", "updated"]}),
            (
                "Change (through the booking core)",
                {
                    "fields": [
                        ("reservation_date", "reservation_time"),
                        "party_size",
                        "tables",
                        "override_tables",
                        "override_notice",
                        "notes",
                        "allergies",
                        "seen",
                    ]
                },
            ),
            ("More", {"fields": ["cancellation_reason", "language", "manage_token"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The forms are the core's callers, not model forms of the row's fields: no
        # modelform_factory, whose model validation would run after the core had booked.
        base = ReservationChangeForm if obj is not None else ReservationAddForm
        return type(
            base.__name__,
            (base,),
            {"admin_user": request.user, "admin_scope": admin_scope(request)},
        )

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Django runs a submit inside one transaction; the booking core takes its table locks
        # and opens its own transaction, as for the API, so the lock is held until the row is
        # committed. The core writes everything or nothing on its own.
        return self._changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # The core wrote the row when the form was validated; the admin goes on with ``obj``
        # (its log entry and redirect need the saved row).
        saved = form.saved
        for field in Reservation._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change):
        # Nothing related is the form's: the core wrote the seating with the row.
        pass

    def has_delete_permission(self, request, obj=None) -> bool:
        # Reservations are the restaurant's history; cancel them instead.
        return False

    @admin.display(description="Tables")
    def tables(self, reservation: Reservation) -> str:
        """Every table it holds (joined tables for a combination), by number."""
        numbers = sorted(o.table.number for o in reservation.occupancies.all())
        return " + ".join(numbers) or str(reservation.table)

    @admin.display(description="tables held")
    def seating(self, reservation: Reservation) -> str:
        return self.tables(reservation)

    @admin.display(description="restaurant")
    def restaurant_name(self, obj: Reservation) -> str:
        return str(obj.restaurant)

    def get_list_display(self, request):
        # Every row of a manager of one restaurant is at that restaurant: the column would
        # only take width from the others.
        scope = admin_scope(request)
        if scope is not None and len(scope) == 1:
            return tuple(name for name in self.list_display if name != "restaurant")
        return self.list_display

    @admin.display(description="guest", ordering="customer__last_name")
    def guest_name(self, obj: Reservation) -> str:
        return str(obj.customer)

    @admin.display(description="party", ordering="party_size")
    def party(self, obj: Reservation) -> int:
        return obj.party_size

    @admin.display(description="guest")
    def guest(self, obj: Reservation) -> str:
        customer = obj.customer
        contact = " · ".join(part for part in (customer.email, customer.phone) if part)
        return f"{customer} ({contact})" if contact else str(customer)

    @admin.display(description="local start", ordering="start_at")
    def local_start(self, obj: Reservation) -> str:
        local = obj.start_at.astimezone(obj.restaurant.tz)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
