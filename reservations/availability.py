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
import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from core.clock import now as clock_now
from core.errors import NotFound
from reservations import rules
from reservations.availability_versions import (
    VERSION_TTL,
)
from reservations.availability_versions import (
    day_version_key as _day_version_key,
)
from reservations.availability_versions import (
    restaurant_version_key as _restaurant_version_key,
)
from reservations.booking_setup import booking_setup
from reservations.models import Reservation
from reservations.pacing import PacingPolicy, SlotLoads
from reservations.selectors import Seating, holding_occupancies, seatings_among
from restaurants.events import RestaurantSetupChanged
from restaurants.models import Restaurant

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)


# --- versions ---------------------------------------------------------------------------------


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


def _seatings(setup: rules.BookingSetup, party_size: int, area: str | None) -> list[Seating]:
    """The party's seatings in booking's order (``seatings_for``'s, from the setup's tables
    and combinations); with ``area``, those whose tables are all in it."""
    active = [table for table in setup.tables.values() if table.is_active]
    seatings = seatings_among(active, list(setup.combinations), party_size)
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# A stay's bounds as integer microseconds since the epoch, computed by PostgreSQL: a day's few
# hundred stays are then read as integers, not decoded as timestamps (a third of an uncached
# answer's Python time was psycopg parsing them). Exact: EXTRACT(EPOCH ...) is numeric.
_MICROS_SQL = '(EXTRACT(EPOCH FROM "reservations_occupancy"."{}") * 1000000)::bigint'


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _busy_by_table(
    table_ids: list[int], start: datetime, end: datetime, now: datetime
) -> tuple[dict[int, list[tuple[int, int]]], datetime | None]:
    """Stays holding each table within ``[start, end)`` (as microseconds since the epoch),
    and the earliest moment a counted pending hold lapses (after which the answer changes).
    One query, decoding only the columns read."""
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    next_lapse = None
    rows = (
        holding_occupancies(start_at=start, end_at=end, now=now)
        .filter(table_id__in=table_ids)
        .order_by()
    )
    if connection.vendor == "postgresql":
        rows = rows.annotate(
            start_us=RawSQL(_MICROS_SQL.format("start_at"), ()),
            end_us=RawSQL(_MICROS_SQL.format("end_at"), ()),
        ).values_list(
            "table_id", "start_us", "end_us", "reservation__status", "reservation__expires_at"
        )
    else:
        rows = [
            (table_id, _micros(start_at), _micros(end_at), status, expires_at)
            for table_id, start_at, end_at, status, expires_at in rows.values_list(
                "table_id", "start_at", "end_at", "reservation__status", "reservation__expires_at"
            )
        ]
    for table_id, start_us, end_us, status, expires_at in rows:
        busy[table_id].append((start_us, end_us))
        if status == Reservation.Status.PENDING and expires_at is not None:
            next_lapse = expires_at if next_lapse is None else min(next_lapse, expires_at)
    return busy, next_lapse


def _blocked_masks(
    slots: list[rules.Slot], busy: dict[int, list[tuple[int, int]]]
) -> dict[int, int]:
    """For each busy table, the slots (by index, as bits) whose stay overlaps one of its
    stays. A day's slots are in time order and all last the party's turn time, so the slots a
    stay ``[b, e)`` overlaps (start < e and end > b) are one run of indexes, found by two
    bisections: the work grows with the stays, not with stays times slots."""
    starts = [_micros(slot.start_at) for slot in slots]
    ends = [_micros(slot.end_at) for slot in slots]
    ordered = all(a < b for a, b in pairwise(starts)) and all(a <= b for a, b in pairwise(ends))
    masks = {}
    for table_id, stays in busy.items():
        mask = 0
        for stay_start, stay_end in stays:
            if ordered:
                first = bisect.bisect_right(ends, stay_start)
                last = bisect.bisect_left(starts, stay_end)
                if first < last:
                    mask |= ((1 << (last - first)) - 1) << first
            else:  # never met (starts are sorted by local time, which UTC keeps): the plain test
                for i, (slot_start, slot_end) in enumerate(zip(starts, ends, strict=True)):
                    if slot_start < stay_end and slot_end > stay_start:
                        mask |= 1 << i
        masks[table_id] = mask
    return masks


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _day_slots(
    slots: list[rules.Slot],
    seatings: list[Seating],
    entries: list[tuple[dict | None, dict]],
    busy: dict[int, list[tuple[int, int]]],
    loads: SlotLoads | None,
    party_size: int,
) -> list[dict]:
    """The offered slots of one day: each start with a free seating (and, under pacing
    limits, room for the party), with its free single tables and seatings in booking's
    order."""
    masks = _blocked_masks(slots, busy)
    seating_masks = []
    for seating in seatings:
        mask = 0
        for pk in seating.table_ids:
            mask |= masks.get(pk, 0)
        seating_masks.append(mask)
    pairs = list(zip(entries, seating_masks, strict=True))
    offered = []
    for i, slot in enumerate(slots):
        free = [entry for entry, mask in pairs if not mask >> i & 1]
        if free and (loads is None or loads.admits(slot.start_at, party_size)):
            offered.append(
                {
                    "time": _hhmm(slot.local_time),
                    "start_at": _iso(slot.start_at),
                    "end_at": _iso(slot.end_at),
                    # The single tables, as before combinations: empty where only joined
                    # tables are free.
                    "tables": [table for table, _ in free if table is not None],
                    "seatings": [seating for _, seating in free],
                }
            )
    return offered


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
    setup: rules.BookingSetup | None = None,
) -> dict[date, DayAnswer]:
    """The answers for ``days`` (sorted), from the restaurant's booking ``setup`` (the cached
    one, reservations.booking_setup; loaded here in five queries when not given or when its
    closures do not reach the first day) and the occupancy of the days (one query; under
    pacing limits two more)."""
    if setup is None or days[0] <= setup.closures_from:
        setup = rules.load_booking_setup(
            restaurant, closures_from=rules.shift_date(days[0], -1), closures_to=days[-1]
        )
    context = setup.context(date_from=days[0], date_to=days[-1])
    starts = {day: list(rules.candidate_starts(context, day, party_size, now)) for day in days}
    seatings = _seatings(setup, party_size, area)
    # One entry per seating, shared by every slot it is free at (the answer is read as JSON).
    entries = [
        (_table_entry(s) if s.combination_id is None else None, _seating_entry(s)) for s in seatings
    ]
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
        slots = (
            _day_slots(starts[day], seatings, entries, busy, loads, party_size) if seatings else []
        )
        valid_until = ceiling
        if starts[day]:
            # The earliest start passing the rules drops out when it enters the notice window.
            valid_until = min(valid_until, min(s.start_at for s in starts[day]) - notice)
        answers[day] = DayAnswer(slots=slots, valid_until=valid_until)
    return answers


def _answer_key(restaurant_id: int, day: date, party_size: int, area: str | None) -> str:
    # "a3": one entry per question, carrying the versions it was computed under and its
    # slots as JSON; entries of the earlier formats are never read as one. The area is the
    # client's text: hashed, so the key is short and of safe characters whatever it holds.
    area_part = hashlib.blake2b(area.encode(), digest_size=16).hexdigest() if area else ""
    return f"avail:a3:{restaurant_id}:{day.isoformat()}:{party_size}:{area_part}"


@dataclass(frozen=True)
class _Entry:
    """One day's answer as stored: its slots as JSON, and how many."""

    meta: dict
    count: int
    slots_json: bytes


def _answers(
    *, restaurant_id: int, days: list[date], party_size: int, area: str | None, now: datetime
) -> tuple[dict, dict[date, _Entry]]:
    """Each day's answer, from one cache read (the restaurant's version, the days' versions
    and the days' entries together) when every day is there and still true; otherwise the
    missing days are computed together and stored under the versions read before their
    database reads."""
    rv_key = _restaurant_version_key(restaurant_id)
    day_keys = {day: _day_version_key(restaurant_id, day) for day in days}
    answer_keys = {day: _answer_key(restaurant_id, day, party_size, area) for day in days}
    cache_up = True
    try:
        found = cache.get_many([rv_key, *day_keys.values(), *answer_keys.values()])
    except Exception as exc:
        logger.warning("Availability cache unavailable (%s); answering from the database", exc)
        found, cache_up = {}, False
    rv = found.get(rv_key)
    moment = now.timestamp()
    meta = None
    result: dict[date, _Entry] = {}
    missing = []
    for day in days:
        dv, entry = found.get(day_keys[day]), found.get(answer_keys[day])
        # An entry answers only under the versions it was computed under, and only until the
        # moment it stops being true by the clock (the cache's TTL is only a net).
        if (
            entry is not None
            and rv is not None
            and dv is not None
            and entry[0] == rv
            and entry[1] == dv
            and entry[2] > moment
        ):
            meta = entry[3]
            result[day] = _Entry(meta=meta, count=entry[4], slots_json=entry[5])
        else:
            missing.append(day)
    if not missing:
        return meta, result

    setup = booking_setup(restaurant_id)
    if setup is None or not setup.restaurant.is_active:
        raise NotFound("No such restaurant.")
    restaurant = setup.restaurant
    meta = {"restaurant_id": restaurant.pk, "timezone": restaurant.timezone}
    storable = [day for day in missing if _within_horizon(restaurant, day, now)]
    versions: dict[date, tuple[str, str]] = {}
    if cache_up and storable:
        try:
            versions = _versions_before_reading(restaurant_id, storable, rv, found, day_keys)
        except Exception as exc:
            logger.warning("Availability cache: could not read versions (%s)", exc)
    answers = compute_days(
        restaurant=restaurant,
        days=missing,
        party_size=party_size,
        area=area,
        now=now,
        setup=setup,
    )
    to_store, timeouts = {}, []
    for day, answer in answers.items():
        slots_json = orjson.dumps(answer.slots)
        result[day] = _Entry(meta=meta, count=len(answer.slots), slots_json=slots_json)
        ttl = int((answer.valid_until - now).total_seconds())
        if day in versions and ttl > 0:
            day_rv, day_dv = versions[day]
            to_store[answer_keys[day]] = (
                day_rv,
                day_dv,
                answer.valid_until.timestamp(),
                meta,
                len(answer.slots),
                slots_json,
            )
            timeouts.append(ttl)
    if to_store:
        try:
            # One TTL for the batch, the shortest; each entry's own validity is checked on read.
            cache.set_many(to_store, timeout=min(timeouts))
        except Exception as exc:
            logger.warning("Availability cache: could not store answers (%s)", exc)
    return meta, result


def _versions_before_reading(
    restaurant_id: int,
    days: list[date],
    rv: str | None,
    found: dict,
    day_keys: dict[date, str],
) -> dict[date, tuple[str, str]]:
    """The (restaurant, day) versions to store the answers of ``days`` under, known before
    the answers are read from the database: a commit bumps them after it, so an answer read
    before a commit is never stored under the version after it. The versions read with the
    entries are used where both were there; missing ones are created (add() keeps one another
    process created meanwhile) and read back."""
    if rv is not None and all(found.get(day_keys[day]) is not None for day in days):
        return {day: (rv, found[day_keys[day]]) for day in days}
    rv_key = _restaurant_version_key(restaurant_id)
    for key in [rv_key, *(day_keys[day] for day in days)]:
        cache.add(key, uuid.uuid4().hex, timeout=VERSION_TTL)
    now_found = cache.get_many([rv_key, *(day_keys[day] for day in days)])
    rv = now_found.get(rv_key)
    if rv is None:
        return {}
    return {day: (rv, now_found[day_keys[day]]) for day in days if day_keys[day] in now_found}


def days_availability(
    *,
    restaurant_id: int,
    days: list[date],
    party_size: int,
    area: str | None = None,
    now: datetime | None = None,
) -> tuple[dict, dict[date, list[dict]]]:
    """The public answer for each of ``days`` (sorted): ({"restaurant_id", "timezone"},
    {day: slots}). Served from the cache when every day is there, from one cache read and
    without any database query; otherwise the missing days are computed together and stored.
    An unknown or inactive restaurant is 404; a party size outside its range is 400."""
    meta, entries = _answers(
        restaurant_id=restaurant_id,
        days=days,
        party_size=party_size,
        area=area,
        now=now or clock_now(),
    )
    return meta, {day: orjson.loads(entry.slots_json) for day, entry in entries.items()}


def day_availability_json(
    *, restaurant_id: int, day: date, party_size: int, area: str | None = None
) -> tuple[dict, bytes]:
    """One day's answer as ``days_availability`` gives it, its slots as JSON bytes (what the
    cache holds), so a cached answer is sent without decoding and encoding it again."""
    meta, entries = _answers(
        restaurant_id=restaurant_id, days=[day], party_size=party_size, area=area, now=clock_now()
    )
    return meta, entries[day].slots_json


def days_slot_counts(
    *,
    restaurant_id: int,
    days: list[date],
    party_size: int,
    area: str | None = None,
    now: datetime | None = None,
) -> tuple[dict, dict[date, int]]:
    """How many starts each of ``days`` offers (the calendars), from the same answers,
    without decoding their slots."""
    meta, entries = _answers(
        restaurant_id=restaurant_id,
        days=days,
        party_size=party_size,
        area=area,
        now=now or clock_now(),
    )
    return meta, {day: entry.count for day, entry in entries.items()}


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
