"""Reservations in the admin: read-only rows and actions that go through the services.

Nothing here writes a reservation directly: there is no add form (bookings go through the
rules, the lock and the constraint), the change page only shows the row, and the
actions call the transition services one reservation at a time (never ``queryset.update``),
reporting each refusal as a message. Each action acts as the admin's user
(``reservations.callers.admin_actor``: a superuser, or staff of the reservation's restaurant).
Staff who are not superusers see only their restaurants' reservations.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet

from core.errors import ApplicationError
from reservations import callers, services
from reservations.models import Reservation
from restaurants.selectors import staff_restaurant_ids


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = (
        "local_start",
        "restaurant",
        "tables",
        "guest",
        "party_size",
        "status",
        "source",
    )
    list_filter = ("status", "restaurant", "reservation_date")
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
    actions = ("confirm_selected", "cancel_selected", "mark_no_show_selected")
    # Not editable anywhere, so named to be shown on the (view-only) page.
    readonly_fields = ("id", "tables", "manage_token", "created_at", "updated_at")

    @admin.display(description="Tables")
    def tables(self, reservation: Reservation) -> str:
        """Every table it holds (joined tables for a combination), by number."""
        numbers = sorted(o.table.number for o in reservation.occupancies.all())
        return " + ".join(numbers) or str(reservation.table)

    def get_queryset(self, request) -> QuerySet[Reservation]:
        qs = super().get_queryset(request).prefetch_related("occupancies__table")
        if request.user.is_superuser:
            return qs
        return qs.filter(restaurant_id__in=staff_restaurant_ids(request.user))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # View only: a saved form would write the row around the services.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Reservations are the restaurant's history; cancel them instead.
        return False

    @admin.display(description="guest", ordering="customer__last_name")
    def guest(self, obj: Reservation) -> str:
        return str(obj.customer)

    @admin.display(description="local start", ordering="start_at")
    def local_start(self, obj: Reservation) -> str:
        local = obj.start_at.astimezone(obj.restaurant.tz)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"

    def _each(self, request, queryset, action, done: str) -> None:
        succeeded = 0
        for reservation in queryset.select_related("restaurant", "customer"):
            try:
                action(reservation, callers.admin_actor(request.user, reservation.restaurant_id))
            except ApplicationError as exc:
                self.message_user(request, f"{reservation}: {exc.message}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} reservation(s) {done}.", messages.SUCCESS)

    @admin.action(description="Confirm selected reservations")
    def confirm_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r, actor: services.reservation_confirm(reservation=r, actor=actor),
            "confirmed",
        )

    @admin.action(description="Cancel selected reservations")
    def cancel_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r, actor: services.reservation_cancel(
                reservation=r, actor=actor, reason="Cancelled in the admin."
            ),
            "cancelled",
        )

    @admin.action(description="Mark selected reservations as no-show")
    def mark_no_show_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r, actor: services.reservation_mark_no_show(reservation=r, actor=actor),
            "marked as no-show",
        )
