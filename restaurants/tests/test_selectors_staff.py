"""The staff selectors every side shares: the one superuser predicate (active accounts only)
and the restaurants a user works at (where their host stand opens)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from customers.tests.factories import UserFactory
from restaurants.admin_access import admin_scope
from restaurants.selectors import (
    is_active_superuser,
    restaurant_ids_seen_fully_by,
    restaurants_staffed_by,
)

pytestmark = pytest.mark.django_db


def test_only_an_active_signed_in_superuser_is_one(superuser, manager):
    assert is_active_superuser(superuser)
    superuser.is_active = False
    assert not is_active_superuser(superuser)
    assert not is_active_superuser(manager)
    assert not is_active_superuser(AnonymousUser())
    assert not is_active_superuser(None)


def test_an_inactive_superuser_sees_only_what_their_memberships_give(
    superuser, restaurant, other_restaurant
):
    assert set(restaurants_staffed_by(superuser)) == {restaurant, other_restaurant}
    assert restaurant_ids_seen_fully_by(superuser) is None
    superuser.is_active = False
    assert list(restaurants_staffed_by(superuser)) == []
    assert restaurant_ids_seen_fully_by(superuser) == set()


def test_the_admin_reads_the_same_predicate(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    assert admin_scope(request) is None
    superuser.is_active = False
    request = rf.get("/admin/")
    request.user = superuser
    assert admin_scope(request) == set()


def test_staff_work_at_their_restaurants_only(manager, host, guest, restaurant, other_restaurant):
    assert list(restaurants_staffed_by(manager)) == [restaurant]
    assert list(restaurants_staffed_by(host)) == [restaurant]
    assert list(restaurants_staffed_by(guest)) == []
    assert list(restaurants_staffed_by(AnonymousUser())) == []
    assert list(restaurants_staffed_by(UserFactory())) == []
