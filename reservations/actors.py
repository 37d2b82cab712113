"""Who acts on a reservation: the rules differ for the guest, the restaurant and the system."""

from enum import StrEnum


class Actor(StrEnum):
    # The guest the reservation is for (logged in, or later through the manage link).
    GUEST = "guest"
    # A manager or host of the reservation's restaurant, or a superuser.
    STAFF = "staff"
    # Scheduled work (the expiry sweep): no person, no permission checks.
    SYSTEM = "system"
