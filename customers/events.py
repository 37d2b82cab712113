"""What the customers app tells the apps above it (core.events), published by
customers.services inside the writing transaction."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class GuestProfileChanged(Event):
    """A guest profile's name, contact or allergies changed (customers.services): what the
    pages of the restaurants where the guest has reservations show of them."""

    customer_id: int
