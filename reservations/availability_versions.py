"""The versions of a restaurant's availability: one for the restaurant (its setup) and one per
(restaurant, local date) (its reservations), in the cache. Answers and the booking setup are
stored under them and read only while they stand (reservations.availability bumps them after
every commit that changes what they describe); kept apart so that both the availability
cache and the booking setup cache (reservations.booking_setup) read them."""

import logging
import uuid
from datetime import date

from django.core.cache import cache

logger = logging.getLogger(__name__)

# A version only has to outlive the answers stored under it; when it expires, the next answer
# simply starts a new key space.
VERSION_TTL = 60 * 60 * 24


def restaurant_version_key(restaurant_id: int) -> str:
    return f"avail:v:{restaurant_id}"


def day_version_key(restaurant_id: int, day: date) -> str:
    return f"avail:v:{restaurant_id}:{day.isoformat()}"


def restaurant_version(restaurant_id: int) -> str | None:
    """The restaurant's version, created when missing (add() keeps one another process
    created meanwhile); None when the cache fails."""
    key = restaurant_version_key(restaurant_id)
    try:
        cache.add(key, uuid.uuid4().hex, timeout=VERSION_TTL)
        return cache.get(key)
    except Exception as exc:
        logger.warning("Availability cache: could not read version %s (%s)", key, exc)
        return None
