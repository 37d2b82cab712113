"""Availability: which seatings are free at which starts, from the same rules booking applies.

The time rules come from ``reservations.rules.candidate_starts`` (the function booking's own
check is built from); the seatings are booking's own (``selectors.seatings_for``: the active
tables that seat the party alone, then the restaurant's combinations that seat it, in the
order booking picks them). A seating is free for a start when no reservation holds any of its
tables during the stay (``selectors.holding_occupancies``' rule: the occupancy rows of active
reservations, lapsed pending holds not counted); a start is offered when a seating is free and,
at a restaurant with pacing limits, the party would not pass them (reservations.pacing), which
is exactly when booking without a table succeeds. One day's answer takes a fixed number of
queries whatever the number of tables, combinations or reservations: the restaurant, its
periods, closures and turn times, its combinations, the tables, and the occupancy of the day
(with pacing limits, also its pacing counters and pending holds).

Answers are cached under keys that carry two versions: the restaurant's (bumped by any change
of its policy, hours, closures, turn times or tables) and the (restaurant, local date)'s
(bumped by every reservation change on that date or next to it). Versions are bumped after
commit, so a reader never stores the state before a commit under the version after it. An
answer is cached only until the first moment it could change by the clock alone: its earliest
offered start falling inside the notice window, the earliest counted hold lapsing, or the
restaurant's midnight moving the booking horizon. A cache that fails is skipped with a warning:
the answer is computed from the database, the same as it would have been.
"""

from __future__ import annotations

import bisect
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.clock import now as clock_now
from core.errors import NotFound
from reservations import rules
from reservations.models import Reservation
from reservations.pacing import PacingPolicy, SlotLoads
from reservations.selectors import Seating, holding_occupancies, seatings_for
from restaurants.events import RestaurantSetupChanged
from restaurants.models import Restaurant

logger = logging.getLogger(__name__)

# A version only has to outlive the answers stored under it; when it expires, the next answer
# simply starts a new key space.
VERSION_TTL = 60 * 60 * 24
ONE_DAY = timedelta(days=1)


# --- versions ---------------------------------------------------------------------------------


def _restaurant_version_key(restaurant_id: int) -> str:
    return f"avail:v:{restaurant_id}"


def _day_version_key(restaurant_id: int, day: date) -> str:
    return f"avail:v:{restaurant_id}:{day.isoformat()}"


def availability_invalidate(*, restaurant_id: int, dates: Iterable[date] | None = None) -> None:
    """New versions for the given local dates, or for the whole restaurant when ``dates`` is
    None: every answer cached under the old ones is unreachable from now on."""
    keys = (
        [_restaurant_version_key(restaurant_id)]
        if dates is None
        else [_day_version_key(restaurant_id, day) for day in dates]
    )
    try:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=VERSION_TTL)
    except Exception as exc:  # the cache is an optimisation; its TTL bounds what stays stale
        logger.warning("Availability cache: could not bump versions %s (%s)", keys, exc)


def availability_invalidate_on_commit(
    *, restaurant_id: int, dates: Iterable[date] | None = None
) -> None:
    dates = None if dates is None else tuple(dates)
    # robust: a failing hook never turns a committed change into an error (the bump itself
    # already logs and swallows cache errors).
    transaction.on_commit(
        lambda: availability_invalidate(restaurant_id=restaurant_id, dates=dates), robust=True
    )


def availability_on_setup_changed(event: RestaurantSetupChanged) -> None:
    """A restaurant's policy, tables, hours, closures or turn times changed (subscribed in
    ReservationsConfig.ready): every answer cached for it is unreachable once that commits."""
    availability_invalidate_on_commit(restaurant_id=event.restaurant_id)


def restaurant_version_key(restaurant_id: int) -> str:
    return _restaurant_version_key(restaurant_id)


def restaurant_version(restaurant_id: int) -> str | None:
    """The restaurant's version, created when missing (add() keeps one another process
    created meanwhile); None when the cache fails."""
    key = _restaurant_version_key(restaurant_id)
    try:
        cache.add(key, uuid.uuid4().hex, timeout=VERSION_TTL)
        return cache.get(key)
    except Exception as exc:
        logger.warning("Availability cache: could not read version %s (%s)", key, exc)
        return None


def _versions(restaurant_id: int, days: list[date]) -> dict[date, str | None]:
    """The cache-key version of each day (restaurant and day versions combined), or None where
    a version is missing: that day is a miss. Reading never creates keys, so requests for
    unknown restaurants or far dates leave nothing behind."""
    keys = {day: _day_version_key(restaurant_id, day) for day in days}
    restaurant_key = _restaurant_version_key(restaurant_id)
    found = cache.get_many([restaurant_key, *keys.values()])
    rv = found.get(restaurant_key)
    return {
        day: f"{rv}.{found[key]}" if rv is not None and key in found else None
        for day, key in keys.items()
    }


def _ensure_versions(restaurant_id: int, days: list[date]) -> dict[date, str]:
    """Versions for days about to be stored (the restaurant is known to exist): missing ones
    are created; add() keeps one another process created meanwhile."""
    versions = _versions(restaurant_id, days)
    missing = [day for day, version in versions.items() if version is None]
    if missing:
        keys = [_restaurant_version_key(restaurant_id)] + [
            _day_version_key(restaurant_id, day) for day in missing
        ]
        for key in keys:
            cache.add(key, uuid.uuid4().hex, timeout=VERSION_TTL)
        versions.update(_versions(restaurant_id, missing))
    return {day: version for day, version in versions.items() if version is not None}


def availability_day_version(*, restaurant_id: int, day: date) -> str | None:
    """The version of one (restaurant, local date): the restaurant's and the day's together,
    new after every committed change of either (created when missing, so two readers agree
    on it until the next change). None when the cache fails: nothing can be assumed
    unchanged then."""
    try:
        return _ensure_versions(restaurant_id, [day]).get(day)
    except Exception as exc:
        logger.warning("Availability cache: could not read the version of %s (%s)", day, exc)
        return None


# --- the answer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayAnswer:
    """One day's slots (each with its free tables and seatings) and how long the answer
    holds."""

    slots: list[dict]
    valid_until: datetime


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _seatings(restaurant_id: int, party_size: int, area: str | None) -> list[Seating]:
    """The party's seatings in booking's order; with ``area``, those whose tables are all in
    it."""
    seatings = seatings_for(restaurant_id=restaurant_id, party_size=party_size)
    if area:
        seatings = [s for s in seatings if all(table.area == area for table in s.tables)]
    return seatings


def _table_entry(seating: Seating) -> dict:
    [table] = seating.tables
    return {"id": table.pk, "number": table.number, "capacity": table.capacity, "area": table.area}


def _seating_entry(seating: Seating) -> dict:
    return {
        "table_ids": list(seating.table_ids),
        "numbers": [table.number for table in seating.tables],
        "capacity": seating.capacity,
        "combination_id": seating.combination_id,
    }


def _busy_by_table(
    table_ids: list[int], start: datetime, end: datetime, now: datetime
) -> tuple[dict[int, list[tuple[datetime, datetime]]], datetime | None]:
    """Stays holding each table within ``[start, end)`` (sorted), and the earliest moment a
    counted pending hold lapses (after which the answer changes)."""
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    next_lapse = None
    rows = (
        holding_occupancies(start_at=start, end_at=end, now=now)
        .filter(table_id__in=table_ids)
        .order_by()
        .values_list(
            "table_id", "start_at", "end_at", "reservation__status", "reservation__expires_at"
        )
    )
    for table_id, start_at, end_at, status, expires_at in rows:
        busy[table_id].append((start_at, end_at))
        if status == Reservation.Status.PENDING and expires_at is not None:
            next_lapse = expires_at if next_lapse is None else min(next_lapse, expires_at)
    for stays in busy.values():
        stays.sort()
    return busy, next_lapse


def _is_free(stays: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    # Stays on one table never overlap each other, so sorted starts imply sorted ends.
    i = bisect.bisect_left(stays, (end,))  # first stay starting at or after our end
    return i == 0 or stays[i - 1][1] <= start


def _next_local_midnight(tz, now: datetime) -> datetime:
    local_today = now.astimezone(tz).date()
    return datetime.combine(local_today + ONE_DAY, time(0), tzinfo=tz)


def compute_days(
    *,
    restaurant: Restaurant,
    days: list[date],
    party_size: int,
    area: str | None,
    now: datetime,
) -> dict[date, DayAnswer]:
    """The answers for ``days`` (sorted), computed from the database in a fixed number of
    queries whatever the number of days, tables or reservations."""
    context = rules.load_booking_context(restaurant, date_from=days[0], date_to=days[-1])
    starts = {day: list(rules.candidate_starts(context, day, party_size, now)) for day in days}
    seatings = _seatings(restaurant.pk, party_size, area)
    all_starts = [slot for slots in starts.values() for slot in slots]
    busy, next_lapse = {}, None
    if seatings and all_starts:
        busy, next_lapse = _busy_by_table(
            sorted({pk for seating in seatings for pk in seating.table_ids}),
            min(s.start_at for s in all_starts),
            max(s.end_at for s in all_starts),
            now,
        )
    notice = timedelta(minutes=restaurant.min_notice_minutes)
    ceiling = min(
        now + timedelta(seconds=settings.AVAILABILITY_CACHE_SECONDS),
        _next_local_midnight(context.tz, now),
    )
    loads, pacing = None, PacingPolicy.of(restaurant)
    if all_starts and pacing.limited:
        # The counters of the starts inside the candidates' intervals.
        loads = SlotLoads.load(
            restaurant,
            start=min(s.start_at for s in all_starts),
            end=max(s.start_at for s in all_starts) + pacing.interval,
            now=now,
        )
        if loads.next_lapse is not None:
            next_lapse = min(next_lapse or loads.next_lapse, loads.next_lapse)
    if next_lapse is not None:
        ceiling = min(ceiling, next_lapse)
    answers = {}
    for day in days:
        slots = []
        for slot in starts[day]:
            free = [
                seating
                for seating in seatings
                if all(
                    _is_free(busy.get(pk, []), slot.start_at, slot.end_at)
                    for pk in seating.table_ids
                )
            ]
            if free and (loads is None or loads.admits(slot.start_at, party_size)):
                slots.append(
                    {
                        "time": f"{slot.local_time:%H:%M}",
                        "start_at": _iso(slot.start_at),
                        "end_at": _iso(slot.end_at),
                        # The single tables, as before combinations: empty where only joined
                        # tables are free.
                        "tables": [_table_entry(s) for s in free if s.combination_id is None],
                        "seatings": [_seating_entry(s) for s in free],
                    }
                )
        valid_until = ceiling
        if starts[day]:
            # The earliest start passing the rules drops out when it enters the notice window.
            valid_until = min(valid_until, min(s.start_at for s in starts[day]) - notice)
        answers[day] = DayAnswer(slots=slots, valid_until=valid_until)
    return answers


def _answer_key(restaurant_id: int, day: date, party_size: int, area: str | None, version: str):
    # "a2": answers with ``seatings``; one stored before them is never read as one.
    return f"avail:a2:{restaurant_id}:{day.isoformat()}:{party_size}:{area or ''}:{version}"


def _public_restaurant(restaurant_id: int) -> Restaurant:
    restaurant = Restaurant.objects.filter(pk=restaurant_id, is_active=True).first()
    if restaurant is None:
        raise NotFound("No such restaurant.")
    return restaurant


def days_availability(
    *,
    restaurant_id: int,
    days: list[date],
    party_size: int,
    area: str | None = None,
    now: datetime | None = None,
) -> tuple[dict, dict[date, list[dict]]]:
    """The public answer for each of ``days`` (sorted): ({"restaurant_id", "timezone"},
    {day: slots}). Served from the cache when every day is there, without any database query;
    otherwise the missing days are computed together and stored. An unknown or inactive
    restaurant is 404; a party size outside its range is 400."""
    now = now or clock_now()
    cache_up = True
    try:
        versions = _versions(restaurant_id, days)
        keys = {
            day: _answer_key(restaurant_id, day, party_size, area, version)
            for day, version in versions.items()
            if version is not None
        }
        cached = cache.get_many(list(keys.values())) if keys else {}
    except Exception as exc:
        logger.warning("Availability cache unavailable (%s); answering from the database", exc)
        keys, cached, cache_up = {}, {}, False

    meta = None
    result: dict[date, list[dict]] = {}
    missing = []
    for day in days:
        entry = cached.get(keys[day]) if day in keys else None
        # Each entry carries the moment it stops being true; the cache's TTL is only a net.
        if entry is not None and datetime.fromisoformat(entry[0]) > now:
            meta, result[day] = entry[1], entry[2]
        else:
            missing.append(day)
    if not missing:
        return meta, result

    restaurant = _public_restaurant(restaurant_id)
    meta = {"restaurant_id": restaurant.pk, "timezone": restaurant.timezone}
    answers = compute_days(
        restaurant=restaurant, days=missing, party_size=party_size, area=area, now=now
    )
    storable = []
    for day, answer in answers.items():
        result[day] = answer.slots
        if int((answer.valid_until - now).total_seconds()) > 0 and _within_horizon(
            restaurant, day, now
        ):
            storable.append(day)
    if cache_up and storable:
        try:
            versions = _ensure_versions(restaurant_id, storable)
            to_store, timeouts = {}, []
            for day in storable:
                if day in versions:
                    answer = answers[day]
                    key = _answer_key(restaurant_id, day, party_size, area, versions[day])
                    to_store[key] = (answer.valid_until.isoformat(), meta, answer.slots)
                    timeouts.append(int((answer.valid_until - now).total_seconds()))
            # One TTL for the batch, the shortest; each entry's own validity is checked on read.
            if to_store:
                cache.set_many(to_store, timeout=min(timeouts))
        except Exception as exc:
            logger.warning("Availability cache: could not store answers (%s)", exc)
    return meta, result


def _within_horizon(restaurant: Restaurant, day: date, now: datetime) -> bool:
    """Only days a guest can book are cached: others are empty and cheap, and caching them
    would let anyone fill the cache with far dates."""
    today = now.astimezone(restaurant.tz).date()
    return today - ONE_DAY <= day <= today + timedelta(days=restaurant.max_days_ahead + 1)


def _minutes_apart(slot_time: str, wanted: time) -> int:
    hour, minute = map(int, slot_time.split(":"))
    return abs(hour * 60 + minute - (wanted.hour * 60 + wanted.minute))


def slots_near(slots: list[dict], wanted: time, window: int) -> list[dict]:
    """The slots within ``window`` minutes of the wanted local time, nearest first (for
    offering alternatives when the wanted time is taken)."""
    near = [s for s in slots if _minutes_apart(s["time"], wanted) <= window]
    return sorted(near, key=lambda s: (_minutes_apart(s["time"], wanted), s["start_at"]))
