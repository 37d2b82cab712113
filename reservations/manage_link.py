"""The guest's manage link under a miss limit, shared by the page ``/r/<token>/`` and its API
twin ``/api/reservations/manage/<token>/`` (one budget: switching between them gains nothing).

Only misses count: every lookup takes an attempt from the client address's budget
(``MANAGE_LINK_MISSES_PER_ADDRESS`` per ``MANAGE_LINK_MISS_WINDOW_SECONDS``) and a hit gives
it back. A valid token from an address that is not over its budget is always served, whatever
other addresses miss. An address over its budget is refused (429) for every token until its
window ends, valid ones included: answering hits there would let it go on telling hits from
misses, which is what the limit is for.
"""

from django.conf import settings

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
    """The reservation the token names, for a client at ``address``: ``Throttled`` when the
    address is over its miss budget, ``NotFound`` (counted as a miss) for an unknown token."""
    limit = _misses()
    attempt = limit.take(address)
    reservation = selectors.reservation_by_manage_token(token)
    limit.give_back(attempt)
    return reservation
