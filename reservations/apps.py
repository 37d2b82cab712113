from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"

    def ready(self):
        from django.urls import register_converter

        from reservations.models import ManageTokenConverter

        # Used by the guest's manage URLs (config/urls.py and reservations/urls.py).
        register_converter(ManageTokenConverter, "manage_token")
