"""Limits against hold squatting (reservations.services.limits): live pending holds per guest
and restaurant and per account, booking attempts per client address, staff exempt; refusals
are 429 with Retry-After and write nothing; the hold limit holds under a race and without
Redis, and the attempt counter fails open."""

import logging
import threading
from datetime import time, timedelta

import pytest
import redis
import time_machine
from django.core.cache.backends.redis import RedisCache
from django.db import connections

from core import locking, throttling
from core.errors import HoldLimit
from customers.models import Customer
from customers.tests.factories import CustomerFactory, UserFactory
from notifications.models import Notification
from reservations.actors import Actor
from reservations.callers import reservation_book_anonymous, reservation_create
from reservations.models import Reservation
from reservations.services import reservation_confirm
from reservations.tests.factories import NOW, SEED_DATE, open_every_day
from restaurants.tests.factories import RestaurantFactory, TableFactory

URL = "/api/reservations/"
ADDRESS = "203.0.113.7"
CLOSED = "redis://127.0.0.1:1/0"
Status = Reservation.Status


@pytest.fixture
def tables(restaurant):
    return [TableFactory(restaurant=restaurant, number=f"t{n}", capacity=4) for n in range(7)]


def other_restaurant():
    restaurant = RestaurantFactory(
        timezone="Europe/Madrid", min_notice_minutes=60, hold_minutes=15, max_days_ahead=90
    )
    open_every_day(restaurant)
    TableFactory(restaurant=restaurant, capacity=4)
    return restaurant


def guest_books(user, restaurant, at=time(19), table=None, **extra):
    """A guest's own booking through the core, as the API makes it (with an address)."""
    return reservation_create(
        user=user,
        restaurant_id=restaurant.pk,
        table_id=table.pk if table else None,
        reservation_date=SEED_DATE,
        reservation_time=at,
        party_size=2,
        client_address=extra.pop("client_address", ADDRESS),
        **extra,
    )


def written() -> tuple[int, int, int]:
    return Reservation.objects.count(), Notification.objects.count(), Customer.objects.count()


# --- holds per guest and restaurant -----------------------------------------------------------


def test_a_guest_holds_two_at_a_restaurant_and_the_third_is_429(
    still, restaurant, tables, guest_user
):
    first = guest_books(guest_user, restaurant, time(13))
    still.shift(timedelta(minutes=4))
    guest_books(guest_user, restaurant, time(15))
    before = written()

    with pytest.raises(HoldLimit) as refused:
        guest_books(guest_user, restaurant, time(17))

    assert refused.value.status == 429 and refused.value.code == "hold_limit"
    # The earliest hold lapses 15 minutes after NOW, 11 minutes from now.
    assert first.expires_at == NOW + timedelta(minutes=15)
    assert refused.value.retry_after == 11 * 60
    assert refused.value.headers() == {"Retry-After": "660"}
    assert refused.value.details == {"scope": "restaurant", "limit": 2, "retry_after": 660}
    assert written() == before


def test_a_lapsed_hold_no_longer_counts(still, restaurant, tables, guest_user):
    guest_books(guest_user, restaurant, time(13))
    guest_books(guest_user, restaurant, time(15))
    still.shift(timedelta(minutes=15))  # expires_at <= now: lapsed, though not yet swept
    assert Reservation.objects.filter(status=Status.PENDING).count() == 2

    third = guest_books(guest_user, restaurant, time(17))

    assert third.status == Status.PENDING


def test_a_confirmed_booking_is_no_hold(still, restaurant, tables, guest_user):
    first = guest_books(guest_user, restaurant, time(13))
    guest_books(guest_user, restaurant, time(15))
    reservation_confirm(reservation=first, actor=Actor.guest(guest_user))

    assert guest_books(guest_user, restaurant, time(17)).status == Status.PENDING
    with pytest.raises(HoldLimit):
        guest_books(guest_user, restaurant, time(20))


def test_the_limit_is_a_setting(still, restaurant, tables, guest_user, settings):
    settings.HOLD_LIMIT_PER_RESTAURANT = 1
    guest_books(guest_user, restaurant, time(13))
    with pytest.raises(HoldLimit) as refused:
        guest_books(guest_user, restaurant, time(15))
    assert refused.value.details["limit"] == 1

    settings.HOLD_LIMIT_PER_RESTAURANT = 0  # off
    guest_books(guest_user, restaurant, time(15))
    guest_books(guest_user, restaurant, time(17))


# --- holds per account, across restaurants ----------------------------------------------------


def test_an_account_holds_five_in_all_and_the_sixth_is_429(still, restaurant, tables, guest_user):
    second, third = other_restaurant(), other_restaurant()
    guest_books(guest_user, restaurant, time(13))
    guest_books(guest_user, restaurant, time(15))
    guest_books(guest_user, second, time(13))
    guest_books(guest_user, second, time(15))
    still.shift(timedelta(minutes=2))
    guest_books(guest_user, third, time(13))
    before = written()

    with pytest.raises(HoldLimit) as refused:
        guest_books(guest_user, other_restaurant(), time(13))

    assert refused.value.details == {"scope": "account", "limit": 5, "retry_after": 13 * 60}
    assert written()[:2] == before[:2]


# --- staff ------------------------------------------------------------------------------------


def test_staff_bookings_are_exempt_and_do_not_use_up_the_guests_allowance(
    still, restaurant, tables, staff_user, guest_user, guest
):
    for n, at in enumerate([time(13), time(15), time(17), time(20)]):
        reservation_create(
            user=staff_user,
            restaurant_id=restaurant.pk,
            customer_id=guest.pk,
            table_id=tables[n].pk,
            reservation_date=SEED_DATE,
            reservation_time=at,
            party_size=2,
            client_address=ADDRESS,
        )
    assert Reservation.objects.filter(customer=guest, status=Status.PENDING).count() == 4

    # The guest's own two holds are still theirs to take.
    guest_books(guest_user, restaurant, time(13), table=tables[4])
    guest_books(guest_user, restaurant, time(13), table=tables[5])
    with pytest.raises(HoldLimit):
        guest_books(guest_user, restaurant, time(22))


def test_a_superuser_is_exempt(still, restaurant, tables, guest):
    admin = UserFactory(is_superuser=True, is_staff=True)
    for at in [time(13), time(15), time(17)]:
        reservation_create(
            user=admin,
            restaurant_id=restaurant.pk,
            customer_id=guest.pk,
            reservation_date=SEED_DATE,
            reservation_time=at,
            party_size=2,
            client_address=ADDRESS,
        )
    assert Reservation.objects.filter(status=Status.PENDING).count() == 3


# --- the race ---------------------------------------------------------------------------------


def race_for_the_last_hold(threads: int, book) -> list[str]:
    """Release ``threads`` calls of ``book(n)`` at once; each ends "booked", "hold_limit" or
    the repr of whatever else it raised (which fails the caller's assertion)."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    guard = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            book(n)
            outcome = "booked"
        except HoldLimit:
            outcome = "hold_limit"
        except Exception as exc:  # anything else fails the test below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with guard:
            outcomes.append(outcome)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_by_one_guest_cannot_both_take_the_last_hold(
    restaurant, tables, guest_user
):
    """One hold left: several bookings of different tables (so no table lock orders them)
    released at once; exactly one wins, the rest are hold_limit. Also run on SQLite."""
    threads = 6
    with time_machine.travel(NOW, tick=True):
        guest_books(guest_user, restaurant, time(13), table=tables[0])
        outcomes = race_for_the_last_hold(
            threads,
            lambda n: guest_books(guest_user, restaurant, time(19), table=tables[n + 1]),
        )

    assert sorted(outcomes) == ["booked"] + ["hold_limit"] * (threads - 1), outcomes
    assert Reservation.objects.filter(status=Status.PENDING).count() == 2


# --- booking attempts per address --------------------------------------------------------------


def book_over_api(client, restaurant, at="19:00", address=ADDRESS, **headers):
    return client.post(
        URL,
        {
            "restaurant_id": restaurant.pk,
            "reservation_date": SEED_DATE.isoformat(),
            "reservation_time": at,
            "party_size": 2,
        },
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.mark.django_db
def test_the_eleventh_attempt_from_an_address_in_ten_minutes_is_429(
    still, api_client, restaurant, tables, guest_user
):
    api_client.force_authenticate(guest_user)
    assert book_over_api(api_client, restaurant, "13:00").status_code == 201
    still.shift(timedelta(minutes=4))
    # Refused attempts count as well: a hold limit, a closed hour.
    assert book_over_api(api_client, restaurant, "15:00").status_code == 201
    assert book_over_api(api_client, restaurant, "17:00").status_code == 429
    for _ in range(7):
        assert book_over_api(api_client, restaurant, "03:00").status_code == 400
    before = written()

    response = book_over_api(api_client, restaurant, "21:00")

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    # Windows of 600 s from the epoch: NOW (10:00 UTC) opens one, 4 minutes have passed.
    assert response.headers["Retry-After"] == "360"
    assert body["details"] == {"retry_after": 360, "limit": 10, "window_seconds": 600}
    assert written() == before

    # Another address is counted on its own (and meets the guest's hold limit instead).
    other = book_over_api(api_client, restaurant, "21:00", address="198.51.100.1")
    assert other.json()["code"] == "hold_limit"
    # The next window starts afresh.
    still.shift(timedelta(minutes=6))
    assert book_over_api(api_client, restaurant, "21:00").json()["code"] == "hold_limit"


@pytest.mark.django_db
def test_the_addresses_of_one_ipv6_network_count_as_one_client(
    still, api_client, restaurant, tables, guest_user, settings
):
    """A /64 is one client's (a home line, a cloud machine): a new address per attempt from
    it is still counted against the one limit; another /64 is another client."""
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 3
    api_client.force_authenticate(guest_user)
    for n in range(3):
        address = f"2001:db8:1:2::{n + 1:x}"
        assert book_over_api(api_client, restaurant, "03:00", address=address).status_code == 400
    refused = book_over_api(api_client, restaurant, "03:00", address="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    other = book_over_api(api_client, restaurant, "03:00", address="2001:db8:1:3::1")
    assert other.status_code == 400
    # An IPv4 address seen through IPv6 is that IPv4 address.
    for _ in range(3):
        book_over_api(api_client, restaurant, "03:00", address="192.0.2.7")
    mapped = book_over_api(api_client, restaurant, "03:00", address="::ffff:192.0.2.7")
    assert mapped.status_code == 429


@pytest.mark.django_db
def test_the_address_follows_num_proxies(
    still, api_client, restaurant, tables, guest_user, settings
):
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    try:
        settings.BOOKING_ATTEMPTS_PER_ADDRESS = 1
        api_client.force_authenticate(guest_user)
        proxy = "10.0.0.1"
        first = book_over_api(api_client, restaurant, address=proxy, HTTP_X_FORWARDED_FOR=ADDRESS)
        assert first.status_code == 201
        # Another client behind the same proxy is not the first one.
        other = book_over_api(
            api_client, restaurant, "21:00", address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.9"
        )
        assert other.status_code == 201
        again = book_over_api(
            api_client, restaurant, "17:00", address=proxy, HTTP_X_FORWARDED_FOR=ADDRESS
        )
        assert again.status_code == 429 and again.json()["code"] == "throttled"
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()


@pytest.mark.django_db
def test_staff_attempts_are_not_counted(
    still, api_client, restaurant, tables, staff_user, guest, guest_user, settings
):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 2
    closed_hour = {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "reservation_date": SEED_DATE.isoformat(),
        "reservation_time": "03:00",
        "party_size": 2,
    }
    api_client.force_authenticate(staff_user)
    for _ in range(5):
        response = api_client.post(URL, closed_hour, format="json", REMOTE_ADDR=ADDRESS)
        assert response.status_code == 400, response.json()

    # A guest at the same address still has the whole allowance.
    api_client.force_authenticate(guest_user)
    del closed_hour["customer_id"]
    for _ in range(2):
        response = api_client.post(URL, closed_hour, format="json", REMOTE_ADDR=ADDRESS)
        assert response.status_code == 400, response.json()
    response = api_client.post(URL, closed_hour, format="json", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 429 and response.json()["code"] == "throttled"


# --- Redis down -------------------------------------------------------------------------------


@pytest.fixture
def redis_down(monkeypatch):
    down = RedisCache(CLOSED, {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}})
    monkeypatch.setattr(throttling.AttemptLimit, "cache", down)
    client = redis.Redis.from_url(CLOSED, socket_connect_timeout=0.1, socket_timeout=0.1)
    monkeypatch.setattr(locking, "redis_client", lambda: client)


@pytest.mark.django_db
def test_without_redis_attempts_pass_and_the_hold_limit_still_holds(
    still, api_client, restaurant, tables, guest_user, redis_down, settings, caplog
):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 2
    api_client.force_authenticate(guest_user)
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        assert book_over_api(api_client, restaurant, "13:00").status_code == 201
        assert book_over_api(api_client, restaurant, "15:00").status_code == 201
        for _ in range(3):  # far over the attempt limit, but the counter is unreachable
            assert book_over_api(api_client, restaurant, "03:00").status_code == 400
        refused = book_over_api(api_client, restaurant, "17:00")

    assert refused.status_code == 429 and refused.json()["code"] == "hold_limit"
    assert refused.headers["Retry-After"] == "900"
    assert Reservation.objects.count() == 2
    assert "Attempt limit booking skipped: cache unavailable" in caplog.text


# --- upcoming reservations: book, confirm, book again ----------------------------------------


def test_booking_and_confirming_in_turn_stops_at_the_upcoming_limit(
    still, restaurant, tables, guest_user, settings
):
    assert settings.UPCOMING_LIMIT_PER_RESTAURANT == 4  # the documented default
    for hour in (12, 14, 16, 18):
        reservation_confirm(
            reservation=guest_books(guest_user, restaurant, time(hour)),
            actor=Actor.guest(guest_user),
        )
    before = written()
    with pytest.raises(HoldLimit) as refused:
        guest_books(guest_user, restaurant, time(20))
    assert refused.value.details["scope"] == "upcoming_restaurant"
    first_start = Reservation.objects.order_by("start_at").first().start_at
    assert refused.value.retry_after == int((first_start - NOW).total_seconds())
    assert written() == before


def test_auto_confirmed_bookings_count_towards_the_upcoming_limit(
    still, restaurant, tables, guest_user, settings
):
    restaurant.auto_confirm = True
    restaurant.save()
    settings.UPCOMING_LIMIT_PER_RESTAURANT = 2
    guest_books(guest_user, restaurant, time(12))
    guest_books(guest_user, restaurant, time(14))
    with pytest.raises(HoldLimit):
        guest_books(guest_user, restaurant, time(16))


def test_staff_bookings_for_the_guest_do_not_count_towards_the_upcoming_limit(
    still, restaurant, tables, guest_user, staff_user, settings
):
    settings.UPCOMING_LIMIT_PER_RESTAURANT = 1
    guest = Customer.objects.get(user=guest_user)
    reservation_create(
        user=staff_user,
        restaurant_id=restaurant.pk,
        customer_id=guest.pk,
        reservation_date=SEED_DATE,
        reservation_time=time(12),
        party_size=2,
    )
    guest_books(guest_user, restaurant, time(14))
    with pytest.raises(HoldLimit):
        guest_books(guest_user, restaurant, time(16))


# --- guests without an account (the booking page) ---------------------------------------------


def anonymous_books(restaurant, at=time(19), **details):
    values = {
        "restaurant_id": restaurant.pk,
        "reservation_date": SEED_DATE,
        "reservation_time": at,
        "party_size": 2,
        "first_name": "Marta",
        "email": "marta@example.com",
        "client_address": ADDRESS,
        **details,
    }
    return reservation_book_anonymous(**values)


def test_an_email_without_an_account_holds_two_and_the_third_is_429(still, restaurant, tables):
    anonymous_books(restaurant, time(13))
    anonymous_books(restaurant, time(19))
    before = written()
    with pytest.raises(HoldLimit) as refused:
        anonymous_books(restaurant, time(21), email="MARTA@example.com")
    assert refused.value.details["scope"] == "restaurant"
    assert written() == before


def test_one_phone_behind_new_emails_holds_two_and_the_third_is_429(still, restaurant, tables):
    anonymous_books(restaurant, time(13), email="a@example.com", phone="+34 600 123 456")
    anonymous_books(restaurant, time(14), email="b@example.com", phone="+34 600 12 34 56")
    before = written()
    with pytest.raises(HoldLimit) as refused:
        anonymous_books(restaurant, time(19), email="c@example.com", phone="+34600123456")
    assert refused.value.details["scope"] == "restaurant_phone"
    assert refused.value.retry_after > 0
    assert written() == before
    # Another phone, or none, is another guest.
    anonymous_books(restaurant, time(19), email="d@example.com", phone="+34 611 000 111")
    anonymous_books(restaurant, time(20), email="e@example.com")


def test_the_phone_limit_counts_only_live_holds_at_this_restaurant(
    still, restaurant, tables, settings
):
    settings.HOLD_LIMIT_PER_RESTAURANT = 1
    phone = "+34 600 123 456"
    anonymous_books(restaurant, time(13), email="a@example.com", phone=phone)
    # Another restaurant's hold with the same phone is that restaurant's business.
    anonymous_books(other_restaurant(), time(13), email="a@example.com", phone=phone)
    with pytest.raises(HoldLimit):
        anonymous_books(restaurant, time(19), email="b@example.com", phone=phone)
    still.move_to(NOW + timedelta(minutes=16))  # the 15-minute hold has lapsed
    anonymous_books(restaurant, time(19), email="b@example.com", phone=phone)


@pytest.mark.django_db(transaction=True)
def test_concurrent_holds_with_one_phone_cannot_pass_the_limit(restaurant, tables):
    """Six guests without an account, six e-mails, one phone, six days (so no table lock,
    taken per table and day, orders them), released at once with one hold left: exactly one
    wins. Also run on SQLite."""
    threads = 6
    phone = "+34 600 123 456"
    with time_machine.travel(NOW, tick=True):
        anonymous_books(restaurant, time(13), email="first@example.com", phone=phone)
        outcomes = race_for_the_last_hold(
            threads,
            lambda n: anonymous_books(
                restaurant,
                time(19),
                reservation_date=SEED_DATE + timedelta(days=n),
                email=f"g{n}@example.com",
                phone=phone,
            ),
        )

    assert sorted(outcomes) == ["booked"] + ["hold_limit"] * (threads - 1), outcomes
    assert Reservation.objects.filter(status=Status.PENDING).count() == 2


def test_the_phone_typed_counts_even_where_the_email_found_a_profile_without_it(
    still, restaurant, tables
):
    """A known e-mail's profile is never edited, so the number typed with it is kept on the
    booking (contact_phone) and counted there."""
    CustomerFactory(created_by_restaurant=restaurant, email="known@example.com", phone="")
    phone = "+34 600 123 456"
    anonymous_books(restaurant, time(13), email="known@example.com", phone=phone)
    anonymous_books(restaurant, time(14), email="new@example.com", phone=phone)
    with pytest.raises(HoldLimit) as refused:
        anonymous_books(restaurant, time(19), email="third@example.com", phone=phone)
    assert refused.value.details["scope"] == "restaurant_phone"


def test_the_same_details_sent_again_are_the_same_hold(still, restaurant, tables):
    """A second tap while the first answer is on its way: one hold, one e-mail."""
    first = anonymous_books(restaurant, time(19), phone="+34 600 123 456")
    again = anonymous_books(restaurant, time(19), email="MARTA@example.com", phone="+34600123456")
    assert again == first
    assert Reservation.objects.count() == 1 and Notification.objects.count() == 1
    # Another time, party or phone is another booking.
    anonymous_books(restaurant, time(19), party_size=3, phone="+34 600 123 456")
    assert Reservation.objects.count() == 2
