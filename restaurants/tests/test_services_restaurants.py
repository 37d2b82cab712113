"""The restaurant services' rules, called directly (the admin and other apps use them too)."""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction

from core.clock import now
from core.errors import Conflict, ValidationFailed
from restaurants import services
from restaurants.models import DurationRule, OpeningHours, Restaurant, Table
from restaurants.tests.factories import (
    DurationRuleFactory,
    RestaurantFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db


def add_period(restaurant, weekday, opens, closes):
    return services.opening_hours_create(
        restaurant=restaurant, weekday=weekday, opens_at=opens, closes_at=closes
    )


# --- restaurants ----------------------------------------------------------------------------


def test_restaurant_create_refuses_unknown_fields():
    with pytest.raises(ValidationFailed) as caught:
        services.restaurant_create(name="X", timezone="UTC", stars=5)
    assert "stars" in caught.value.details
    assert not Restaurant.objects.exists()


def test_restaurant_create_accepts_field_values_as_strings():
    """Values from a form or a command line are converted by the model's fields."""
    restaurant = services.restaurant_create(
        name="Texto", timezone="UTC", max_party_size="6", slot_interval_minutes="30"
    )
    restaurant.refresh_from_db()
    assert (restaurant.max_party_size, restaurant.slot_interval_minutes) == (6, 30)


def test_restaurant_create_reports_a_field_error_before_cross_field_rules():
    with pytest.raises(ValidationFailed) as caught:
        services.restaurant_create(name="X", timezone="UTC", max_party_size="many")
    assert set(caught.value.details) == {"max_party_size"}


def test_restaurant_update_normalizes_the_phone():
    restaurant = RestaurantFactory()
    services.restaurant_update(restaurant=restaurant, data={"phone": "+34 911 22 33 44"})
    restaurant.refresh_from_db()
    assert restaurant.phone == "+34911223344"


def test_restaurant_deactivate_keeps_the_restaurant():
    restaurant = RestaurantFactory()
    services.restaurant_deactivate(restaurant=restaurant)
    assert Restaurant.objects.get(pk=restaurant.pk).is_active is False


# --- changing the time zone -------------------------------------------------------------------

NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("status", "starts_in"),
    [
        ("pending", timedelta(days=1)),
        ("confirmed", timedelta(days=30)),
        ("seated", timedelta(minutes=-30)),  # in progress: it has not ended
    ],
)
def test_timezone_change_is_refused_while_reservations_are_ahead(book_table, status, starts_in):
    table = TableFactory()
    restaurant = table.restaurant
    name = restaurant.name
    book_table(table=table, start_at=now() + starts_in, status=status)
    with pytest.raises(Conflict) as caught:
        services.restaurant_update(
            restaurant=restaurant, data={"timezone": NEW_YORK, "name": "Renamed"}
        )
    assert caught.value.code == "timezone_has_reservations"
    assert caught.value.details == {
        "timezone": ["1 pending, confirmed or seated reservation(s) ahead."]
    }
    stored = Restaurant.objects.get(pk=restaurant.pk)
    # Nothing of the refused change is kept.
    assert (stored.timezone, stored.name) == ("Europe/Madrid", name)


@pytest.mark.parametrize(
    ("status", "starts_in"),
    [
        ("cancelled", timedelta(days=1)),
        ("expired", timedelta(days=1)),
        ("completed", timedelta(days=-2)),
        ("confirmed", timedelta(hours=-2)),  # 90 minutes long: over half an hour ago
        ("no_show", timedelta(days=-1)),
    ],
)
def test_timezone_change_is_allowed_with_only_past_or_inactive_reservations(
    book_table, status, starts_in
):
    table = TableFactory()
    book_table(table=table, start_at=now() + starts_in, status=status)
    services.restaurant_update(restaurant=table.restaurant, data={"timezone": NEW_YORK})
    assert Restaurant.objects.get(pk=table.restaurant_id).timezone == NEW_YORK


def test_timezone_change_is_allowed_without_reservations():
    restaurant = RestaurantFactory()
    services.restaurant_update(restaurant=restaurant, data={"timezone": NEW_YORK})
    assert Restaurant.objects.get(pk=restaurant.pk).timezone == NEW_YORK


def test_reservations_ahead_block_only_a_change_of_zone(book_table):
    table = TableFactory()
    restaurant = table.restaurant
    book_table(table=table)
    services.restaurant_update(
        restaurant=restaurant, data={"timezone": restaurant.timezone, "name": "Renamed"}
    )
    assert Restaurant.objects.get(pk=restaurant.pk).name == "Renamed"


def test_an_unknown_zone_is_a_400_even_with_reservations_ahead(book_table):
    table = TableFactory()
    book_table(table=table)
    with pytest.raises(ValidationFailed) as caught:
        services.restaurant_update(restaurant=table.restaurant, data={"timezone": "Mars/Base"})
    assert list(caught.value.details) == ["timezone"]


# --- opening hours --------------------------------------------------------------------------


def test_adjacent_periods_do_not_overlap():
    restaurant = RestaurantFactory()
    add_period(restaurant, 0, time(12), time(16))
    add_period(restaurant, 0, time(16), time(20))
    # Monday's late shift ends at 02:00 Tuesday, exactly when Tuesday's early shift opens.
    add_period(restaurant, 0, time(22), time(2))
    add_period(restaurant, 1, time(2), time(6))
    assert OpeningHours.objects.filter(restaurant=restaurant).count() == 4


def test_a_period_after_midnight_blocks_the_next_days_early_hours():
    restaurant = RestaurantFactory()
    add_period(restaurant, 4, time(20), time(3))
    with pytest.raises(ValidationFailed) as caught:
        add_period(restaurant, 5, time(2, 30), time(5))
    assert "opens_at" in caught.value.details


def test_sundays_late_shift_runs_into_monday():
    restaurant = RestaurantFactory()
    add_period(restaurant, 0, time(1), time(4))
    with pytest.raises(ValidationFailed):
        add_period(restaurant, 6, time(23), time(1, 30))
    add_period(restaurant, 6, time(23), time(1))  # ends as Monday's opens: fine


def test_equal_opening_and_closing_times_make_a_whole_day():
    restaurant = RestaurantFactory()
    add_period(restaurant, 2, time(8), time(8))
    for weekday, opens, closes in [(2, time(20), time(21)), (3, time(7), time(7, 30))]:
        with pytest.raises(ValidationFailed):
            add_period(restaurant, weekday, opens, closes)
    add_period(restaurant, 3, time(8), time(9))


def test_periods_of_other_restaurants_do_not_count():
    add_period(RestaurantFactory(), 0, time(12), time(16))
    add_period(RestaurantFactory(), 0, time(12), time(16))
    assert OpeningHours.objects.count() == 2


def test_updating_a_period_does_not_collide_with_itself():
    restaurant = RestaurantFactory()
    period = add_period(restaurant, 0, time(12), time(16))
    services.opening_hours_update(period=period, data={"closes_at": time(17)})
    period.refresh_from_db()
    assert period.closes_at == time(17)


# --- duration rules -------------------------------------------------------------------------


def test_touching_duration_rules_are_fine():
    restaurant = RestaurantFactory()
    for low, high in [(1, 2), (3, 4), (5, None)]:
        services.duration_rule_create(
            restaurant=restaurant, min_party=low, max_party=high, duration_minutes=90
        )
    assert DurationRule.objects.filter(restaurant=restaurant).count() == 3


def test_two_open_ended_rules_overlap():
    restaurant = RestaurantFactory()
    services.duration_rule_create(
        restaurant=restaurant, min_party=8, max_party=None, duration_minutes=180
    )
    with pytest.raises(ValidationFailed) as caught:
        services.duration_rule_create(
            restaurant=restaurant, min_party=12, max_party=None, duration_minutes=200
        )
    assert "min_party" in caught.value.details


@pytest.mark.postgres_only(reason="the exclusion constraint exists on PostgreSQL only")
def test_the_database_refuses_overlapping_rules_the_service_did_not_see():
    """The exclusion constraint is the final guard (a write that skipped the service)."""
    restaurant = RestaurantFactory()
    DurationRuleFactory(restaurant=restaurant, min_party=1, max_party=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        DurationRule.objects.create(
            restaurant=restaurant, min_party=3, max_party=6, duration_minutes=60
        )


# --- tables ---------------------------------------------------------------------------------


def test_table_create_names_the_duplicate_number():
    restaurant = RestaurantFactory()
    services.table_create(restaurant=restaurant, number="1", capacity=2)
    with pytest.raises(ValidationFailed) as caught:
        services.table_create(restaurant=restaurant, number="1", capacity=4)
    assert set(caught.value.details) == {"number"}


def test_table_delete_refuses_while_reservations_are_ahead(book_table):
    table = TableFactory()
    book_table(table=table, start_at=now() + timedelta(hours=2))
    with pytest.raises(Conflict) as caught:
        services.table_delete(table=table)
    assert caught.value.code == "table_has_reservations"
    assert Table.objects.filter(pk=table.pk, is_active=True).exists()


def test_table_delete_counts_a_reservation_in_progress_as_ahead(book_table):
    table = TableFactory()
    book_table(table=table, start_at=now() - timedelta(minutes=30), status="seated")
    with pytest.raises(Conflict):
        services.table_delete(table=table)


def test_table_delete_keeps_a_table_with_history(book_table):
    table = TableFactory()
    book_table(table=table, start_at=now() - timedelta(days=2), status="completed")
    kept = services.table_delete(table=table)
    assert kept is not None and kept.pk == table.pk
    assert Table.objects.get(pk=table.pk).is_active is False


def test_table_delete_removes_a_table_without_reservations():
    table = TableFactory()
    assert services.table_delete(table=table) is None
    assert not Table.objects.filter(pk=table.pk).exists()


# --- closures -------------------------------------------------------------------------------


def test_a_one_day_closure_is_fine_a_backwards_one_is_not():
    restaurant = RestaurantFactory()
    day = now().date()
    services.closure_create(restaurant=restaurant, starts_on=day, ends_on=day)
    with pytest.raises(ValidationFailed) as caught:
        services.closure_create(restaurant=restaurant, starts_on=day, ends_on=day - timedelta(1))
    assert set(caught.value.details) == {"ends_on"}


def test_closure_update_checks_the_resulting_range():
    restaurant = RestaurantFactory()
    day = now().date()
    closure = services.closure_create(restaurant=restaurant, starts_on=day, ends_on=day)
    with pytest.raises(ValidationFailed):
        services.closure_update(closure=closure, data={"starts_on": day + timedelta(days=3)})
    closure.refresh_from_db()
    assert closure.starts_on == day


def test_a_unique_violation_the_checks_missed_still_names_the_field():
    """The database's answer to a concurrent insert of the same number: a 400 on "number"
    (the check is skipped here, as if the other insert landed just after it ran)."""
    restaurant = RestaurantFactory()
    TableFactory(restaurant=restaurant, number="1")
    duplicate = Table(restaurant=restaurant, number="1", capacity=2)
    with pytest.raises(ValidationFailed) as caught:
        services._save(duplicate, exclude=["restaurant"])
    assert set(caught.value.details) == {"number"}
    assert Table.objects.filter(restaurant=restaurant).count() == 1
