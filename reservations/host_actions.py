"""The actions the host stand offers on a reservation (docs/host-stand.md, "Actions"): the
state machine's transitions staff ask for from a button, defined once with their address,
their button's text and their service, and which of them a reservation allows now."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reservations import services
from reservations.models import Reservation
from reservations.services.transitions import TRANSITIONS, effective_status, has_started


@dataclass(frozen=True)
class HostAction:
    """A transition the host stand offers as a button: the state machine's name for it, its
    address (``/host/<slug>/reservations/<id>/<slug>/``), its button's text and its service."""

    name: str
    slug: str
    label: Promise
    service: Callable[..., Reservation]


# The host stand's actions, in the order their buttons show.
HOST_ACTIONS = (
    HostAction("confirm", "confirm", _("Confirm"), services.reservation_confirm),
    HostAction("seat", "seat", _("Seat"), services.reservation_seat),
    HostAction("complete", "complete", _("Complete"), services.reservation_complete),
    HostAction("no_show", "no-show", _("No-show"), services.reservation_mark_no_show),
    HostAction("cancel", "cancel", _("Cancel"), services.reservation_cancel),
)
ACTION_BY_SLUG = {action.slug: action for action in HOST_ACTIONS}


def host_actions(reservation: Reservation, now: datetime) -> tuple[HostAction, ...]:
    """The actions staff may ask for now, in HOST_ACTIONS' order: the state machine's sources
    (a lapsed hold read as expired), and a no-show only once the reservation has started
    (transitions.has_started, the service's rule). The services decide again under the row
    lock."""
    status = effective_status(reservation, now)
    return tuple(
        action
        for action in HOST_ACTIONS
        if status in TRANSITIONS[action.name].sources
        and (action.name != "no_show" or has_started(reservation, now))
    )
