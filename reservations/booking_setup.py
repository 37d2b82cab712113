"""The restaurant's booking setup (rules.BookingSetup: its policy, periods, closures, turn
times and tables) from the cache, under the restaurant's availability version.

Every change of a restaurant's setup bumps that version once it commits
(reservations.availability, RestaurantSetupChanged), so the entry is read with the version in
one cache call and used only when it was stored under the version in force: a booking reads
the setup from one round trip instead of five queries. A setup stored from a read that raced a
change is stored under the version before the bump, so nobody uses it after. The entry also
lapses after ``SETUP_TTL`` seconds, which bounds how long a lost bump (the cache down at that
moment) can leave an old setup in use. A cache that fails is skipped: the setup is loaded
from the database, as it would have been.

Inside a transaction (a caller's ``atomic`` block) the setup is always read from the database
and never stored: the transaction may itself have changed the restaurant (its writes are in no
cache until it commits, and the versions move only then), and such a caller pays for its
queries anyway. A request's booking runs outside any, and reads the cache.
"""

import logging
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import connection

from reservations import rules
from reservations.availability_versions import restaurant_version, restaurant_version_key
from restaurants.models import Restaurant

logger = logging.getLogger(__name__)

SETUP_TTL = 60
# Closures are kept from two days before the UTC date of the load: a restaurant's local
# date is at most a day off UTC's, and a booking reads the service day before its date.
CLOSURES_MARGIN = timedelta(days=2)
# The setup booking_restaurant read, on the restaurant it returned, for booking_context.
_READ = "_booking_setup_read"


def _setup_key(restaurant_id: int) -> str:
    # "setup2": with the combinations, and the tables in booking's order; an entry stored
    # before them is never read as one.
    return f"book:setup2:{restaurant_id}"


def _today() -> date:
    return datetime.now(UTC).date()


def booking_setup(restaurant_id: int, *, restaurant: Restaurant | None = None):
    """The setup of the restaurant, or None when there is no such restaurant. From the cache
    when an entry stored under the current version is there; else loaded (``restaurant``
    saves its query when the caller has it) and stored."""
    closures_from = _today() - CLOSURES_MARGIN
    if connection.in_atomic_block:
        if restaurant is None:
            restaurant = Restaurant.objects.filter(pk=restaurant_id).first()
        if restaurant is None:
            return None
        return rules.load_booking_setup(restaurant, closures_from=closures_from)
    version_key, key = restaurant_version_key(restaurant_id), _setup_key(restaurant_id)
    try:
        found = cache.get_many([version_key, key])
    except Exception as exc:
        logger.warning("Booking setup cache: read failed (%s)", exc)
        found = None
    if found:
        version, entry = found.get(version_key), found.get(key)
        if version is not None and entry is not None and entry[0] == version:
            setup = entry[1]
            if setup.closures_from <= closures_from:
                return setup
    if restaurant is None:
        restaurant = Restaurant.objects.filter(pk=restaurant_id).first()
        if restaurant is None:
            return None
    version = restaurant_version(restaurant_id) if found is not None else None
    setup = rules.load_booking_setup(restaurant, closures_from=closures_from)
    if version is not None:
        try:
            cache.set(key, (version, setup), timeout=SETUP_TTL)
        except Exception as exc:
            logger.warning("Booking setup cache: write failed (%s)", exc)
    return setup


def booking_restaurant(restaurant_id: int) -> Restaurant | None:
    """The restaurant a booking names, from its cached setup (one query inside a
    transaction)."""
    if connection.in_atomic_block:
        return Restaurant.objects.filter(pk=restaurant_id).first()
    setup = booking_setup(restaurant_id)
    if setup is None:
        return None
    # The booking that asked goes on with booking_context of this restaurant: it takes the
    # setup just read instead of reading it again (once, so it never outlives the request).
    setup.restaurant.__dict__[_READ] = setup
    return setup.restaurant


def booking_context(restaurant: Restaurant, *, local_date: date):
    """The setup (cached) and the booking context of ``local_date`` at ``restaurant``; a date
    older than the cached closures reads the database. Inside a transaction: the periods, the
    closures of the date and the turn times from the database (three queries), no tables (the
    caller reads the one it needs)."""
    if connection.in_atomic_block:
        day_before = local_date - timedelta(days=1)
        setup = rules.load_booking_setup(
            restaurant, closures_from=day_before, closures_to=local_date, tables=False
        )
        return setup, setup.context(date_from=local_date, date_to=local_date)
    setup = restaurant.__dict__.pop(_READ, None) or booking_setup(
        restaurant.pk, restaurant=restaurant
    )
    if setup is None or setup.closures_from > local_date - timedelta(days=1):
        setup = rules.load_booking_setup(restaurant, closures_from=local_date - timedelta(days=1))
    return setup, setup.context(date_from=local_date, date_to=local_date)
