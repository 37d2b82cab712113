"""customers.selectors: who sees which profiles, search, and the derived visit figures."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.errors import ValidationFailed
from customers.models import Customer
from customers.selectors import (
    customer_search,
    customer_staff_list,
    customers_in_staff_scope,
    customers_visible_to,
)
from customers.tests.factories import CustomerFactory
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_anonymous_sees_no_profile(world):
    assert ids(customers_visible_to(AnonymousUser())) == set()


def test_a_plain_customer_sees_only_their_own_profile(world):
    assert ids(customers_visible_to(world.guest_user)) == {world.guest.pk}
    assert ids(customers_in_staff_scope(world.guest_user)) == set()


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_see_guests_booked_at_or_created_by_their_restaurant(world, role):
    user = getattr(world, role)
    assert ids(customers_visible_to(user)) == {world.booked_at_r.pk, world.created_by_r.pk}


def test_the_scope_follows_the_restaurant_not_the_person(world):
    assert ids(customers_visible_to(world.other_host)) == {
        world.booked_at_other.pk,
        world.created_by_other.pk,
    }


def test_a_guest_with_many_reservations_is_one_row(world):
    ReservationFactory(past=True, customer=world.booked_at_r, table__restaurant=world.r)
    ReservationFactory(past=True, customer=world.booked_at_r, table__restaurant=world.r)
    rows = list(customers_visible_to(world.host).values_list("pk", flat=True))
    assert sorted(rows) == sorted({world.booked_at_r.pk, world.created_by_r.pk})


def test_superuser_sees_every_profile(world):
    assert ids(customers_visible_to(world.superuser)) == set(
        Customer.objects.values_list("pk", flat=True)
    )


def test_staff_who_are_also_guests_read_their_own_profile_as_guests(world):
    own = CustomerFactory(user=world.host, email=world.host.email)
    ReservationFactory(past=True, customer=own, table__restaurant=world.r)
    assert own.pk in ids(customers_visible_to(world.host))
    assert own.pk not in ids(customers_in_staff_scope(world.host))


def test_visit_counts_are_derived_in_one_query_and_scoped_to_the_callers_restaurants(
    world, django_assert_num_queries
):
    guest = world.booked_at_r  # one completed visit at r already
    ReservationFactory(past=True, customer=guest, table__restaurant=world.r, status="no_show")
    ReservationFactory(past=True, customer=guest, table__restaurant=world.r, status="cancelled")
    ReservationFactory(past=True, customer=guest, table__restaurant=world.other)
    ReservationFactory(past=True, customer=guest, table__restaurant=world.other, status="no_show")
    other_guest = world.created_by_r
    ReservationFactory(past=True, customer=other_guest, table__restaurant=world.r)
    ReservationFactory(past=True, customer=other_guest, table__restaurant=world.r)

    # One query for the staff ids, one for the rows with both counts.
    with django_assert_num_queries(2):
        rows = {c.pk: (c.visit_count, c.no_show_count) for c in customer_staff_list(world.host)}
    assert rows == {guest.pk: (1, 1), other_guest.pk: (2, 0)}

    every_restaurant = customer_staff_list(world.superuser)
    assert {c.pk: (c.visit_count, c.no_show_count) for c in every_restaurant}[guest.pk] == (2, 2)


def test_search_matches_every_word_over_names_email_and_phone(db):
    ana = CustomerFactory(first_name="Ana", last_name="López", email="a1@example.com")
    luis = CustomerFactory(first_name="Luis", last_name="Ana", email="luis@mail.test")
    phone = CustomerFactory(first_name="P", last_name="Q", phone="+34611223344")
    everyone = Customer.objects.all()
    assert ids(customer_search(everyone, q="ana")) == {ana.pk, luis.pk}
    assert ids(customer_search(everyone, q="ana lópez")) == {ana.pk}
    assert ids(customer_search(everyone, q="MAIL.TEST")) == {luis.pk}
    assert ids(customer_search(everyone, q="611-22")) == {phone.pk}
    assert ids(customer_search(everyone, q="+34 6112")) == {phone.pk}
    assert ids(customer_search(everyone, q="")) == ids(everyone)


def test_search_finds_names_with_or_without_their_accents(db):
    lopez = CustomerFactory(first_name="María", last_name="López", email="m@example.com")
    perez = CustomerFactory(first_name="Luis", last_name="Perez", email="l@example.com")
    nunez = CustomerFactory(first_name="Íñigo", last_name="Núñez", email="i@example.com")
    everyone = Customer.objects.all()
    assert ids(customer_search(everyone, q="maria lopez")) == {lopez.pk}
    assert ids(customer_search(everyone, q="LÓPEZ")) == {lopez.pk}
    assert ids(customer_search(everyone, q="pérez")) == {perez.pk}
    assert ids(customer_search(everyone, q="inigo nunez")) == {nunez.pk}
    assert ids(customer_search(everyone, q="ÍÑIGO")) == {nunez.pk}
    # Regular-expression characters typed are plain characters.
    assert ids(customer_search(everyone, q="l.pez")) == set()
    assert ids(customer_search(everyone, q="(")) == set()


def test_staff_list_orders_by_a_known_field_only(world):
    counts = [c.visit_count for c in customer_staff_list(world.superuser, ordering="-visit_count")]
    assert counts[0] == 1 and counts[-1] == 0
    assert counts == sorted(counts, reverse=True)
    with pytest.raises(ValidationFailed) as exc_info:
        customer_staff_list(world.superuser, ordering="notes")
    assert set(exc_info.value.details) == {"ordering"}
