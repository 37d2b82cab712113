"""/api/restaurants/{id}/staff/: adding, changing and removing staff members."""

import pytest

from customers.tests.factories import UserFactory
from restaurants.models import StaffMembership

pytestmark = pytest.mark.django_db


def staff_url(restaurant, membership_id=None):
    suffix = f"{membership_id}/" if membership_id else ""
    return f"/api/restaurants/{restaurant.pk}/staff/{suffix}"


def test_add_staff_by_user_id(as_manager, restaurant):
    user = UserFactory(first_name="Lola", last_name="Vega")
    response = as_manager.post(staff_url(restaurant), {"user_id": user.pk, "role": "manager"})
    assert response.status_code == 201
    body = response.json()
    membership = StaffMembership.objects.get(pk=body["id"])
    assert (membership.user, membership.restaurant, membership.role) == (
        user,
        restaurant,
        "manager",
    )
    assert (body["email"], body["first_name"], body["last_name"]) == (user.email, "Lola", "Vega")


def test_staff_list_filters_by_role(as_manager, restaurant, host, manager):
    hosts = as_manager.get(staff_url(restaurant) + "?role=host").json()["results"]
    assert [m["user_id"] for m in hosts] == [host.pk]


def test_patch_without_role_changes_nothing(as_manager, restaurant, host):
    membership = StaffMembership.objects.get(user=host)
    response = as_manager.patch(staff_url(restaurant, membership.pk), {})
    assert response.status_code == 200 and response.json()["role"] == "host"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nobody@example.com", "role": "host"}, "email"),
        ({"user_id": 999999, "role": "host"}, "user_id"),
        ({"role": "host"}, "user_id"),
        ({"role": "owner", "user_id": 1}, "role"),
        ({"user_id": "me", "role": "host"}, "user_id"),
    ],
)
def test_bad_staff_requests_name_the_field(as_manager, restaurant, body, field):
    before = StaffMembership.objects.count()
    response = as_manager.post(staff_url(restaurant), body)
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert StaffMembership.objects.count() == before


def test_user_id_and_email_together_are_refused(as_manager, restaurant):
    user = UserFactory()
    response = as_manager.post(
        staff_url(restaurant), {"user_id": user.pk, "email": user.email, "role": "host"}
    )
    assert response.status_code == 400
    assert "email" in response.json()["details"]


def test_a_user_already_on_staff_is_refused(as_manager, restaurant, host):
    response = as_manager.post(staff_url(restaurant), {"email": host.email, "role": "manager"})
    assert response.status_code == 400
    assert "user_id" in response.json()["details"]
    assert StaffMembership.objects.get(user=host).role == "host"


def test_an_inactive_account_cannot_join_staff(as_manager, restaurant):
    user = UserFactory(is_active=False)
    response = as_manager.post(staff_url(restaurant), {"user_id": user.pk, "role": "host"})
    assert response.status_code == 400
    assert not StaffMembership.objects.filter(user=user).exists()


def test_a_bad_role_on_patch_is_refused(as_manager, restaurant, host):
    membership = StaffMembership.objects.get(user=host)
    response = as_manager.patch(staff_url(restaurant, membership.pk), {"role": "chef"})
    assert response.status_code == 400
    assert "role" in response.json()["details"]
