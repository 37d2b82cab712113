from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"

    def ready(self):
        from django.urls import register_converter

        from core.events import subscribe
        from customers.events import GuestProfileChanged
        from customers.hooks import GuestHistory, guest_history
        from reservations import availability, host_day, selectors
        from reservations.models import ManageTokenConverter
        from restaurants.events import RestaurantSetupChanged
        from restaurants.hooks import ReservationGuard, reservation_guard

        # Used by the guest's manage URLs (config/urls.py and reservations/urls.py).
        register_converter(ManageTokenConverter, "manage_token")

        # The apps below never import this one: they publish events and ask hooks, and this
        # app answers here, at start-up (docs/architecture.md).
        subscribe(RestaurantSetupChanged, availability.availability_on_setup_changed)
        subscribe(GuestProfileChanged, host_day.host_days_on_guest_changed)
        reservation_guard.register(
            ReservationGuard(
                reservations_ahead=selectors.reservations_ahead_count,
                table_has_reservations_ahead=selectors.table_has_reservations_ahead,
            )
        )
        guest_history.register(
            GuestHistory(
                guests_with_reservations_at=selectors.guests_with_reservations_at,
                guests_who_booked_at=selectors.guests_who_booked_at,
                visit_count=selectors.guest_visit_count,
                no_show_count=selectors.guest_no_show_count,
            )
        )
