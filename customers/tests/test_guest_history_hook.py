"""customers reads what only reservations know (whose guests a restaurant sees, visit and
no-show counts) through the guest_history hook, never by importing reservations; the scope
rules stay here: local profiles with any reservation, account profiles only when their own
account booked."""

import pytest
from django.db.models import Value

from customers.hooks import GuestHistory, guest_history
from customers.models import Customer
from customers.selectors import customers_known_to, with_visit_counts
from customers.tests.factories import CustomerFactory, UserFactory
from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_in(monkeypatch):
    """A guest history that names its guests directly, in place of the registered one."""
    named = {"with_reservations": [], "booked": []}

    def ids(key):
        return lambda restaurant_ids: Customer.objects.filter(pk__in=named[key]).values("pk")

    monkeypatch.setattr(
        guest_history,
        "_answer",
        GuestHistory(
            guests_with_reservations_at=ids("with_reservations"),
            guests_who_booked_at=ids("booked"),
            visit_count=lambda restaurant_ids: Value(7),
            no_show_count=lambda restaurant_ids: Value(2),
        ),
    )
    return named


def test_a_restaurants_guests_are_those_the_history_names_under_customers_rules(stand_in):
    restaurant = RestaurantFactory()
    kept_here = CustomerFactory(created_by_restaurant=restaurant)
    local = CustomerFactory()
    account = CustomerFactory(user=UserFactory())
    booked_themselves = CustomerFactory(user=UserFactory())
    stand_in["with_reservations"] = [local.pk, account.pk]
    stand_in["booked"] = [booked_themselves.pk]

    known = set(customers_known_to({restaurant.pk}).values_list("pk", flat=True))
    # An account's profile is not brought in by a reservation alone (staff may have made it).
    assert known == {kept_here.pk, local.pk, booked_themselves.pk}


def test_visit_figures_come_from_the_history(stand_in):
    guest = CustomerFactory()
    annotated = with_visit_counts(Customer.objects.filter(pk=guest.pk), restaurant_ids=None).get()
    assert (annotated.visit_count, annotated.no_show_count) == (7, 2)
