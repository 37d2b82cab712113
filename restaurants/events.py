"""What the restaurants app tells the apps above it (core.events), published by
restaurants.services inside the writing transaction."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class RestaurantSetupChanged(Event):
    """What a booking stands on changed at restaurant ``restaurant_id``: the restaurant itself
    (its booking policy), or one of its tables, table combinations, opening hours, closures
    or turn times was created, changed or deleted. Staff changes are not part of it."""

    restaurant_id: int


@dataclass(frozen=True)
class StaffInvited(Event):
    """An invitation to a restaurant's staff was written (restaurants.invitations); its email
    is owed to the invited address."""

    invitation_id: int
