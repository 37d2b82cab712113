from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from core.events import subscribe
        from notifications import recording
        from reservations.events import (
            ReservationChanged,
            ReservationCreated,
            ReservationStatusChanged,
        )

        # The guest's e-mail of a reservation change is recorded inside the change's own
        # transaction (docs/architecture.md lists every event and subscriber).
        subscribe(ReservationCreated, recording.record_reservation_created)
        subscribe(ReservationChanged, recording.record_reservation_changed)
        subscribe(ReservationStatusChanged, recording.record_reservation_status_changed)

        from restaurants.events import StaffInvited

        # A staff invitation's email, recorded inside the inviting transaction.
        subscribe(StaffInvited, recording.record_staff_invited)

        from core.metrics import scrape_collector_register
        from notifications.metrics import outbox_backlog_metrics

        scrape_collector_register(outbox_backlog_metrics)
