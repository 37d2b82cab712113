"""Writing through the API as an account rebuilt from the authentication cache
(accounts.authentication): a booking behaves as with the account read from the database, and
nothing writes the partial account back; its staff roles come with it and a removed
membership stops them at the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from reservations.models import Reservation
from restaurants.services import membership_delete

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
USERS = User._meta.db_table


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def on_users_table(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if f'"{USERS}"' in q["sql"]]


def at(seed_body, time: str) -> dict:
    return {**seed_body, "reservation_time": time}


def test_staff_booking_as_the_cached_account_reads_and_writes_no_account_row(
    seed_body, clock, staff_user, guest
):
    client = bearer(staff_user)
    assert client.post(URL, at(seed_body, "13:00"), format="json").status_code == 201  # cached
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, seed_body, format="json")
    assert response.status_code == 201, response.json()
    assert on_users_table(queries) == []
    stored = Reservation.objects.get(pk=response.json()["id"])
    assert stored.created_by_id == staff_user.pk
    assert stored.customer_id == guest.pk
    assert stored.source == response.json()["source"]


def test_a_guest_booking_as_the_cached_account_never_updates_the_account(
    seed_body, clock, guest_user, guest
):
    body = {k: v for k, v in seed_body.items() if k != "customer_id"}
    client = bearer(guest_user)
    assert client.post(URL, at(body, "13:00"), format="json").status_code == 201  # cached
    before = User.objects.values().get(pk=guest_user.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer_id"] == guest.pk
    assert response.json()["source"] == "online"
    # The account's row is locked (the hold limits), never written.
    touching = on_users_table(queries)
    assert touching and all(sql.lstrip().upper().startswith("SELECT") for sql in touching)
    assert User.objects.values().get(pk=guest_user.pk) == before


def test_the_cached_account_refuses_to_be_saved(seed_body, clock, staff_user):
    from accounts.authentication import account_entry, account_from_entry

    user, _ = account_from_entry(account_entry(staff_user))
    user.first_name = "Overwritten"
    with pytest.raises(TypeError):
        user.save()
    assert User.objects.get(pk=staff_user.pk).first_name == staff_user.first_name


def test_a_removed_membership_stops_the_staff_at_the_next_request(
    seed_body, clock, staff_user, restaurant
):
    client = bearer(staff_user)
    assert client.post(URL, at(seed_body, "13:00"), format="json").status_code == 201
    membership_delete(membership=staff_user.memberships.get(restaurant=restaurant))
    response = client.post(URL, seed_body, format="json")
    assert response.status_code == 403, response.json()
