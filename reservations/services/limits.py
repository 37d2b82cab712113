"""Limits against hold squatting (docs/booking.md): a guest may hold only a few pending
reservations at once and have only a few upcoming ones they booked themselves, and one client
address may try to book only so often. Guests are limited (``Actor.is_limited``), the
restaurant's staff never.

The hold limits are decided in the database, inside the booking core's transaction and under a
lock of the guest's account row, so two concurrent bookings by one guest are counted one after
the other. The attempt counter lives in the cache and fails open (core.throttling.AttemptLimit);
the callers that know the client's address count it first (reservations.callers).
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from core.errors import HoldLimit
from core.locking import database_lock
from core.throttling import AttemptLimit
from customers.models import Customer
from reservations.models import Reservation

BOOKING_SCOPE = "booking"


def booking_attempt_count(*, client_address: str | None) -> None:
    """Count a guest's booking attempt from ``client_address``, whatever its outcome; over
    ``BOOKING_ATTEMPTS_PER_ADDRESS`` in the window: 429 ``throttled``."""
    if client_address is None:  # a call from inside (admin, a script, a task)
        return
    AttemptLimit(
        BOOKING_SCOPE,
        settings.BOOKING_ATTEMPTS_PER_ADDRESS,
        settings.BOOKING_ATTEMPTS_WINDOW_SECONDS,
        "Too many booking attempts from your address; retry after Retry-After seconds.",
    ).take(client_address)


def _refuse_over(
    holds, *, limit: int, scope: str, now: datetime, frees_at: str = "expires_at"
) -> None:
    """429 when ``holds`` has ``limit`` rows or more; Retry-After: until the first of them
    frees its place (``frees_at``: a hold's expiry, or a reservation's start)."""
    if limit <= 0:
        return
    ends = list(holds.order_by(frees_at).values_list(frees_at, flat=True)[:limit])
    if len(ends) < limit:
        return
    raise HoldLimit(
        retry_after=(ends[0] - now).total_seconds(),
        details={"scope": scope, "limit": limit},
    )


def refuse_over_hold_limits(
    *,
    user: User | None,
    guest: Customer,
    restaurant_id: int,
    now: datetime,
    pending: bool,
    phone: str = "",
) -> None:
    """Inside the booking's transaction, before a guest's new pending hold is written: 429
    ``hold_limit`` when the guest already has ``HOLD_LIMIT_PER_RESTAURANT`` live holds at this
    restaurant or ``HOLD_LIMIT_PER_ACCOUNT`` in all, with Retry-After the seconds until the
    earliest of them lapses.

    Counted are the holds the guest took themselves (``created_by`` their account, ``user``;
    for a guest without one, ``user`` None, the bookings of their profile ``guest`` made
    without an account): holds a restaurant's staff made for the guest are the restaurant's
    decision, and no restaurant may use up a guest's allowance elsewhere. The account row (or
    the profile's) is locked first (FOR NO KEY UPDATE: it serializes this guest's bookings
    without blocking the foreign-key checks of rows that point at it), so two concurrent
    bookings by one guest are counted one after the other.

    Confirming frees a hold's place, so a squatter could book, confirm and book again: the
    guest's own upcoming reservations (live holds and confirmed ones not yet started) are
    limited too, ``UPCOMING_LIMIT_PER_RESTAURANT`` / ``UPCOMING_LIMIT_PER_ACCOUNT``, for
    every new booking, pending (``pending``) or confirmed at once (auto-confirm).

    A guest without an account is known by e-mail (their profile) and may also give a
    ``phone`` (normalised): the restaurant's live holds made without an account with that
    phone (typed with the booking, ``contact_phone``, or on the profile) count as well,
    ``HOLD_LIMIT_PER_RESTAURANT`` as for the e-mail, so new e-mail addresses with one phone
    number do not add up to an evening of holds. Two such bookings with one phone are
    counted one after the other under a database lock of the number
    (core.locking.database_lock)."""
    if user is not None:
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        own = Reservation.objects.filter(customer=guest, created_by=user)
    else:
        # A guest without an account (the guest booking page): their restaurant's local
        # profile stands for them, and their own bookings are those made without an account.
        Customer.objects.select_for_update(no_key=True).filter(pk=guest.pk).first()
        own = Reservation.objects.filter(customer=guest, created_by__isnull=True)
    live = own.live_holds(now)
    upcoming = (live | own.filter(status=Reservation.Status.CONFIRMED)).filter(start_at__gt=now)
    if pending:
        _refuse_over(
            live.filter(restaurant_id=restaurant_id),
            limit=settings.HOLD_LIMIT_PER_RESTAURANT,
            scope="restaurant",
            now=now,
        )
        if user is None and phone:
            database_lock(f"holds:{restaurant_id}:{phone}")
            _refuse_over(
                Reservation.objects.filter(
                    Q(customer__phone=phone) | Q(contact_phone=phone),
                    restaurant_id=restaurant_id,
                    created_by__isnull=True,
                    customer__user__isnull=True,
                ).live_holds(now),
                limit=settings.HOLD_LIMIT_PER_RESTAURANT,
                scope="restaurant_phone",
                now=now,
            )
        _refuse_over(live, limit=settings.HOLD_LIMIT_PER_ACCOUNT, scope="account", now=now)
    _refuse_over(
        upcoming.filter(restaurant_id=restaurant_id),
        limit=settings.UPCOMING_LIMIT_PER_RESTAURANT,
        scope="upcoming_restaurant",
        now=now,
        frees_at="start_at",
    )
    _refuse_over(
        upcoming,
        limit=settings.UPCOMING_LIMIT_PER_ACCOUNT,
        scope="upcoming_account",
        now=now,
        frees_at="start_at",
    )
