"""Availability: the API's answers, the cache that must never be stale, and the number of
queries an answer costs. The property test that availability and booking agree is in
test_availability_property.py."""

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.tests.factories import CustomerFactory
from reservations.tests.factories import NOW, SEED_DATE, SEED_TIME, ReservationFactory
from restaurants import services as restaurant_services
from restaurants.combinations import table_combination_create
from restaurants.tests.factories import RestaurantFactory, TableFactory

URL = "/api/restaurants/{}/availability/"
DAYS_URL = "/api/restaurants/{}/availability/days/"


@pytest.fixture
def tables(restaurant):
    return [
        TableFactory(restaurant=restaurant, number="1", capacity=2, min_capacity=1),
        TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="3", capacity=6, min_capacity=3, area="outdoor"),
    ]


def day(api_client, restaurant, **params):
    params.setdefault("date", SEED_DATE.isoformat())
    params.setdefault("party_size", 2)
    response = api_client.get(URL.format(restaurant.pk), params)
    return response


def slot_at(body, hhmm):
    return next((s for s in body["slots"] if s["time"] == hhmm), None)


def table_numbers(slot):
    return [t["number"] for t in slot["tables"]] if slot else []


@pytest.mark.django_db
class TestDayAnswer:
    def test_shape_local_times_and_tables_in_booking_order(self, api_client, tables, clock):
        response = day(api_client, tables[0].restaurant)
        assert response.status_code == 200
        body = response.json()
        assert body["restaurant_id"] == tables[0].restaurant_id
        assert body["date"] == "2025-08-30" and body["party_size"] == 2
        assert body["timezone"] == "Europe/Madrid"
        first = body["slots"][0]
        # Open 12:00-23:30 Madrid (UTC+2), 90-minute stays: 12:00 .. 22:00 every 15 minutes.
        assert first["time"] == "12:00"
        assert first["start_at"] == "2025-08-30T10:00:00Z"
        assert first["end_at"] == "2025-08-30T11:30:00Z"
        assert body["slots"][-1]["time"] == "22:00"
        assert len(body["slots"]) == 41
        assert first["tables"] == [
            {"id": tables[0].pk, "number": "1", "capacity": 2, "area": "indoor"},
            {"id": tables[1].pk, "number": "2", "capacity": 4, "area": "indoor"},
        ]

    def test_anonymous_may_ask(self, api_client, tables, clock):
        assert day(api_client, tables[0].restaurant).status_code == 200

    def test_party_size_filters_tables(self, api_client, tables, clock):
        body = day(api_client, tables[0].restaurant, party_size=5).json()
        assert table_numbers(body["slots"][0]) == ["3"]

    def test_area_filters_tables(self, api_client, tables, clock):
        body = day(api_client, tables[0].restaurant, party_size=3, area="outdoor").json()
        assert table_numbers(body["slots"][0]) == ["3"]
        none = day(api_client, tables[0].restaurant, area="bar").json()
        assert none["slots"] == []

    def test_busy_table_is_left_out_for_overlapping_starts_only(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        start = datetime(2025, 8, 30, 17, 0, tzinfo=UTC)  # 19:00 Madrid
        ReservationFactory(table=tables[0], start_at=start)
        body = day(api_client, restaurant).json()
        assert table_numbers(slot_at(body, "17:30")) == ["1", "2"]  # ends 19:00 exactly
        assert table_numbers(slot_at(body, "17:45")) == ["2"]
        assert table_numbers(slot_at(body, "20:15")) == ["2"]
        assert table_numbers(slot_at(body, "20:30")) == ["1", "2"]

    def test_a_time_with_no_free_table_is_not_offered(self, api_client, restaurant, clock):
        only = TableFactory(restaurant=restaurant, capacity=2)
        ReservationFactory(
            table=only,
            reservation_date=SEED_DATE,
            reservation_time=SEED_TIME,
        )
        body = day(api_client, restaurant).json()
        assert slot_at(body, "19:00") is None and slot_at(body, "18:00") is None
        assert slot_at(body, "17:30") is not None

    def test_time_window_returns_nearest_first(self, api_client, tables, clock):
        body = day(api_client, tables[0].restaurant, time="19:05", window=20).json()
        assert [s["time"] for s in body["slots"]] == ["19:00", "19:15", "18:45"]

    def test_closed_day_has_no_slots(self, api_client, tables, clock):
        restaurant_services.closure_create(
            restaurant=tables[0].restaurant, starts_on=SEED_DATE, ends_on=SEED_DATE
        )
        assert day(api_client, tables[0].restaurant).json()["slots"] == []

    def test_today_respects_the_notice(self, api_client, tables, clock):
        # Just past 12:00 in Madrid (the clock ticks); 60 minutes' notice: 13:15 comes first.
        body = day(api_client, tables[0].restaurant, date="2025-08-28").json()
        assert body["slots"][0]["time"] == "13:15"


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"date": ""}, "date"),
            ({"date": "2025-13-01"}, "date"),
            ({"party_size": "many"}, "party_size"),
            ({"party_size": 0}, "party_size"),
            ({"time": "25:00"}, "time"),
            ({"window": "x", "time": "19:00"}, "window"),
            ({"window": "30"}, "time"),
        ],
    )
    def test_malformed_query_is_400_naming_the_field(self, api_client, tables, params, field):
        response = day(api_client, tables[0].restaurant, **params)
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["details"]

    def test_party_size_outside_the_restaurants_range_is_400(self, api_client, tables, clock):
        response = day(api_client, tables[0].restaurant, party_size=13)
        assert response.status_code == 400
        assert "party_size" in response.json()["details"]

    def test_unknown_and_inactive_restaurants_are_404(self, api_client, tables, clock):
        assert (
            api_client.get(URL.format(999999), {"date": "2025-08-30", "party_size": 2}).json()[
                "code"
            ]
            == "not_found"
        )
        restaurant = tables[0].restaurant
        restaurant_services.restaurant_deactivate(restaurant=restaurant)
        assert day(api_client, restaurant).status_code == 404


@pytest.mark.django_db
class TestCalendar:
    def test_days_with_counts(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        restaurant_services.closure_create(
            restaurant=restaurant, starts_on=date(2025, 8, 31), ends_on=date(2025, 8, 31)
        )
        response = api_client.get(
            DAYS_URL.format(restaurant.pk),
            {"from": "2025-08-30", "to": "2025-09-01", "party_size": 2},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["timezone"] == "Europe/Madrid"
        assert body["days"] == [
            {"date": "2025-08-30", "available": True, "slots": 41},
            {"date": "2025-08-31", "available": False, "slots": 0},
            {"date": "2025-09-01", "available": True, "slots": 41},
        ]

    def test_counts_agree_with_the_day_answer(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        ReservationFactory(
            table=tables[0],
            reservation_date=SEED_DATE,
            reservation_time=SEED_TIME,
        )
        calendar = api_client.get(
            DAYS_URL.format(restaurant.pk),
            {"from": "2025-08-28", "to": "2025-09-03", "party_size": 1},
        ).json()
        for entry in calendar["days"]:
            answer = day(api_client, restaurant, date=entry["date"], party_size=1).json()
            assert entry["slots"] == len(answer["slots"]), entry["date"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"to": "2025-09-01", "party_size": 2}, "from"),
            ({"from": "2025-08-30", "party_size": 2}, "to"),
            ({"from": "30/08/2025", "to": "2025-09-01", "party_size": 2}, "from"),
            ({"from": "2025-09-02", "to": "2025-09-01", "party_size": 2}, "to"),
            ({"from": "2025-08-01", "to": "2025-10-02", "party_size": 2}, "to"),
            ({"from": "2025-08-30", "to": "2025-09-01"}, "party_size"),
        ],
    )
    def test_bad_ranges_are_400(self, api_client, tables, params, field):
        response = api_client.get(DAYS_URL.format(tables[0].restaurant_id), params)
        assert response.status_code == 400
        assert field in response.json()["details"]

    def test_62_days_is_the_limit(self, api_client, tables, clock):
        response = api_client.get(
            DAYS_URL.format(tables[0].restaurant_id),
            {"from": "2025-08-28", "to": "2025-10-28", "party_size": 2},
        )
        assert response.status_code == 200
        assert len(response.json()["days"]) == 62


@pytest.mark.django_db
class TestNeverStale:
    def test_a_booking_removes_its_table_from_the_very_next_answer(
        self, api_client, tables, staff_user, guest, clock, django_capture_on_commit_callbacks
    ):
        restaurant = tables[0].restaurant
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["1", "2"]
        api_client.force_authenticate(staff_user)
        with django_capture_on_commit_callbacks(execute=True):
            created = api_client.post(
                "/api/reservations/",
                {
                    "restaurant_id": restaurant.pk,
                    "customer_id": guest.pk,
                    "table_id": tables[0].pk,
                    "reservation_date": "2025-08-30",
                    "reservation_time": "19:00",
                    "party_size": 2,
                },
            )
        assert created.status_code == 201
        api_client.force_authenticate(None)
        body = day(api_client, restaurant).json()
        assert table_numbers(slot_at(body, "19:00")) == ["2"]
        assert table_numbers(slot_at(body, "18:00")) == ["2"]

    def test_a_cancellation_brings_the_table_back(
        self, api_client, tables, staff_user, guest, clock, django_capture_on_commit_callbacks
    ):
        from reservations.actors import Actor
        from reservations.callers import reservation_create
        from reservations.services import reservation_cancel

        restaurant = tables[0].restaurant
        with django_capture_on_commit_callbacks(execute=True):
            reservation = reservation_create(
                user=staff_user,
                restaurant_id=restaurant.pk,
                customer_id=guest.pk,
                table_id=tables[0].pk,
                reservation_date=SEED_DATE,
                reservation_time=time(19, 0),
                party_size=2,
            )
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["2"]
        with django_capture_on_commit_callbacks(execute=True):
            reservation_cancel(reservation=reservation, actor=Actor.host(staff_user, restaurant.pk))
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["1", "2"]

    def test_restaurant_changes_invalidate(
        self, api_client, tables, clock, django_capture_on_commit_callbacks
    ):
        restaurant = tables[0].restaurant
        assert len(day(api_client, restaurant).json()["slots"]) == 41
        with django_capture_on_commit_callbacks(execute=True):
            restaurant_services.table_update(table=tables[0], data={"is_active": False})
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["2"]
        with django_capture_on_commit_callbacks(execute=True):
            restaurant_services.closure_create(
                restaurant=restaurant, starts_on=SEED_DATE, ends_on=SEED_DATE
            )
        assert day(api_client, restaurant).json()["slots"] == []
        with django_capture_on_commit_callbacks(execute=True):
            restaurant_services.restaurant_update(restaurant=restaurant, data={"is_active": False})
        assert day(api_client, restaurant).status_code == 404

    def test_a_cached_slot_that_fell_inside_the_notice_is_not_served(
        self, api_client, tables, clock
    ):
        restaurant = tables[0].restaurant
        body = day(api_client, restaurant, date="2025-08-28").json()
        assert body["slots"][0]["time"] == "13:15"
        clock.move_to(NOW + timedelta(minutes=20))  # 12:20 local: 13:15 is inside the notice
        body = day(api_client, restaurant, date="2025-08-28").json()
        assert body["slots"][0]["time"] == "13:30"

    def test_a_lapsed_hold_frees_its_table_in_a_warm_cache(self, api_client, restaurant, clock):
        only = TableFactory(restaurant=restaurant, capacity=2)
        ReservationFactory(
            table=only,
            reservation_date=SEED_DATE,
            reservation_time=SEED_TIME,
            status="pending",
            expires_at=NOW + timedelta(minutes=10),
        )
        assert slot_at(day(api_client, restaurant).json(), "19:00") is None
        clock.move_to(NOW + timedelta(minutes=11))
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == [only.number]

    def test_the_horizon_moves_at_the_restaurants_midnight(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        far = (NOW.date() + timedelta(days=91)).isoformat()  # local today + 91: beyond 90
        assert day(api_client, restaurant, date=far).json()["slots"] == []
        clock.move_to(datetime(2025, 8, 28, 22, 1, tzinfo=UTC))  # 00:01 in Madrid
        assert len(day(api_client, restaurant, date=far).json()["slots"]) == 41

    def test_cache_down_gives_the_same_answer_with_a_warning(
        self, api_client, tables, clock, monkeypatch, caplog
    ):
        from django.core.cache.backends.redis import RedisCache

        import reservations.availability as availability

        restaurant = tables[0].restaurant
        expected = day(api_client, restaurant).json()
        down = RedisCache(
            "redis://127.0.0.1:1/0",
            {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}},
        )
        monkeypatch.setattr(availability, "cache", down)
        with caplog.at_level(logging.WARNING):
            response = day(api_client, restaurant)
        assert response.status_code == 200
        assert response.json() == expected
        assert "Availability cache unavailable" in caplog.text


@pytest.fixture
def busy_restaurant(db):
    """40 tables, 20 combinations of them and 300 reservations on one day, as the issue
    sizes it."""
    from reservations.tests.factories import open_every_day

    restaurant = RestaurantFactory(timezone="Europe/Madrid", max_party_size=8)
    open_every_day(restaurant, opens=time(10, 0), closes=time(0, 0))
    customer = CustomerFactory()
    tables = [TableFactory(restaurant=restaurant, number=str(n), capacity=4) for n in range(40)]
    for n in range(20):
        table_combination_create(
            restaurant=restaurant, table_ids=[tables[2 * n].pk, tables[2 * n + 1].pk]
        )
    first = datetime(2025, 8, 30, 8, 0, tzinfo=UTC)  # 10:00 Madrid
    count = 0
    for table in tables:
        for n in range(8):
            if count == 300:
                break
            ReservationFactory(
                table=table, customer=customer, start_at=first + timedelta(minutes=95 * n)
            )
            count += 1
    return restaurant


def small_restaurant():
    from reservations.tests.factories import open_every_day

    restaurant = RestaurantFactory(timezone="Europe/Madrid")
    open_every_day(restaurant, opens=time(10, 0), closes=time(0, 0))
    table = TableFactory(restaurant=restaurant, capacity=4)
    ReservationFactory(table=table, start_at=datetime(2025, 8, 30, 9, 0, tzinfo=UTC))
    return restaurant


@pytest.mark.django_db
class TestQueries:
    def test_uncached_answer_takes_the_same_few_queries_whatever_the_size(
        self, api_client, busy_restaurant, clock
    ):
        small = small_restaurant()
        with CaptureQueriesContext(connection) as big_queries:
            big = day(api_client, busy_restaurant)
        with CaptureQueriesContext(connection) as small_queries:
            day(api_client, small)
        assert big.status_code == 200 and big.json()["slots"]
        # The restaurant, its periods, closures and turn times, its combinations, the tables
        # (single and combined) and the day's occupancy.
        assert len(big_queries) == len(small_queries) <= 7

    def test_cached_answer_makes_no_query(self, api_client, busy_restaurant, clock):
        day(api_client, busy_restaurant)
        with CaptureQueriesContext(connection) as queries:
            response = day(api_client, busy_restaurant)
        assert response.status_code == 200
        assert len(queries) == 0

    def test_calendar_of_62_days_takes_few_queries_then_none(
        self, api_client, busy_restaurant, clock
    ):
        params = {"from": "2025-08-28", "to": "2025-10-28", "party_size": 2}
        with CaptureQueriesContext(connection) as first:
            assert api_client.get(DAYS_URL.format(busy_restaurant.pk), params).status_code == 200
        with CaptureQueriesContext(connection) as second:
            api_client.get(DAYS_URL.format(busy_restaurant.pk), params)
        assert len(first) <= 7
        assert len(second) == 0


def test_versions_survive_eviction_without_serving_old_answers(db, tables, clock, api_client):
    restaurant = tables[0].restaurant
    assert day(api_client, restaurant).status_code == 200
    cache.delete(f"avail:v:{restaurant.pk}")  # evicted version: a new key space
    ReservationFactory(table=tables[0], reservation_date=SEED_DATE, reservation_time=SEED_TIME)
    assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["2"]


@pytest.mark.django_db(transaction=True)
class TestCachedSetup:
    """Outside a transaction (a request) the uncached answer reads the restaurant's booking
    setup from the cache: one query, the day's occupancy; every setup change still shows at
    the next answer."""

    def test_uncached_answer_is_one_query_with_the_setup_cached(self, api_client, tables, clock):
        from reservations.availability import availability_invalidate

        restaurant = tables[0].restaurant
        first = day(api_client, restaurant).json()  # stores the setup and the answer
        availability_invalidate(restaurant_id=restaurant.pk, dates=[SEED_DATE])
        with CaptureQueriesContext(connection) as queries:
            again = day(api_client, restaurant)
        assert len(queries) == 1
        assert "reservations_occupancy" in queries.captured_queries[0]["sql"]
        assert again.json() == first

    def test_setup_changes_show_at_the_next_answer(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["1", "2"]
        restaurant_services.table_update(table=tables[0], data={"is_active": False})
        assert table_numbers(slot_at(day(api_client, restaurant).json(), "19:00")) == ["2"]
        table_combination_create(restaurant=restaurant, table_ids=[tables[1].pk, tables[2].pk])
        combined = day(api_client, restaurant, party_size=8).json()
        assert slot_at(combined, "19:00")["seatings"][0]["table_ids"] == sorted(
            [tables[1].pk, tables[2].pk]
        )
        restaurant_services.closure_create(
            restaurant=restaurant, starts_on=SEED_DATE, ends_on=SEED_DATE
        )
        assert day(api_client, restaurant).json()["slots"] == []
        restaurant_services.restaurant_update(restaurant=restaurant, data={"is_active": False})
        assert day(api_client, restaurant).status_code == 404

    def test_a_cached_answer_is_sent_as_stored(self, api_client, tables, clock):
        restaurant = tables[0].restaurant
        first = day(api_client, restaurant)
        second = day(api_client, restaurant)
        assert second.content == first.content
        assert second["Content-Type"] == "application/json"
        indented = api_client.get(
            URL.format(restaurant.pk),
            {"date": SEED_DATE.isoformat(), "party_size": 2},
            HTTP_ACCEPT="application/json; indent=4",
        )
        assert indented.content.startswith(b"{\n  ")
        assert indented.json() == first.json()
