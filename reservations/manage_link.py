"""The guest's manage link under a miss limit, shared by the page ``/r/<token>/`` and its API
twin ``/api/reservations/manage/<token>/`` (one budget: switching between them gains nothing).

Only misses count, against the client address's budget (``MANAGE_LINK_MISSES_PER_ADDRESS``
per ``MANAGE_LINK_MISS_WINDOW_SECONDS``); over it, a miss is 429 until the window ends. A valid
token is always served, whoever else missed from the same address (an office NAT, a proxy):
a prober over its budget learns nothing from its 429s, and guessing a 256-bit token one
request at a time is hopeless anyway.
"""

from django.conf import settings

from core.errors import NotFound
from core.throttling import AttemptLimit
from reservations import selectors
from reservations.models import Reservation


def _misses() -> AttemptLimit:
    return AttemptLimit(
        "manage_link_misses",
        settings.MANAGE_LINK_MISSES_PER_ADDRESS,
        settings.MANAGE_LINK_MISS_WINDOW_SECONDS,
    )


def reservation_for_manage_link(*, token: str, address: str) -> Reservation:
    """The reservation the token names; for an unknown token a miss is counted against
    ``address``: ``NotFound``, or ``Throttled`` once the address is over its miss budget."""
    try:
        return selectors.reservation_by_manage_token(token)
    except NotFound:
        _misses().take(address)
        raise
