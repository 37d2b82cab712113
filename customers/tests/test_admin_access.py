"""Who gets into the admin and what is a superuser's alone (docs/admin.md): the login lets in
superusers and restaurants' managers, never hosts or guests; accounts, groups, guest
profiles and notifications are closed to managers whatever their flags and Django
permissions; every registered admin says whose it is."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission

from core.tests.assertions import ADMIN_KEPT_OUT, ADMIN_ROLES
from customers.models import GuestRecord
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from reservations.tests.factories import ReservationFactory
from restaurants.admin_access import (
    RestaurantScopedAdmin,
    RestaurantScopedInline,
    SuperuserOnlyAdmin,
)
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db

WHO = ADMIN_ROLES
KEPT_OUT = ADMIN_KEPT_OUT


@pytest.fixture
def restaurant():
    return RestaurantFactory(name="Casa Erre")


@pytest.fixture
def cast(restaurant):
    manager, host = StaffMembership.Role.MANAGER, StaffMembership.Role.HOST
    guest = UserFactory()
    CustomerFactory(user=guest, email=guest.email)
    return {
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        # Flags and permissions a manager may have been given by mistake change nothing.
        "manager_r": StaffMembershipFactory(
            restaurant=restaurant, role=manager, user__is_staff=True
        ).user,
        "manager_s": StaffMembershipFactory(role=manager).user,
        "host_r": StaffMembershipFactory(
            restaurant=restaurant, role=host, user__is_staff=True
        ).user,
        "guest": guest,
        "anonymous": None,
    }


def grant_every_permission(user):
    user.user_permissions.set(Permission.objects.all())


# --- the login ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "manager_r", "manager_s", "host_r", "guest"])
def test_the_login_lets_in_superusers_and_managers_only(client, cast, who):
    user = cast[who]
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/admin/"},
    )
    if who in KEPT_OUT:
        assert response.status_code == 200
        assert "Please enter the correct email and password" in response.content.decode()
        assert "_auth_user_id" not in client.session
    else:
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.session["_auth_user_id"] == str(user.pk)


def test_an_inactive_manager_is_kept_out(client, cast):
    manager = cast["manager_r"]
    client.force_login(manager)
    manager.is_active = False
    manager.save()
    assert client.get("/admin/").status_code == 302


# --- a superuser's alone -----------------------------------------------------------------------

SUPERUSER_PAGES = {
    "users": "/admin/accounts/user/",
    "groups": "/admin/auth/group/",
    "customers": "/admin/customers/customer/",
    "guest records": "/admin/customers/guestrecord/",
    "notifications": "/admin/notifications/notification/",
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", SUPERUSER_PAGES)
def test_lists_across_restaurants_are_a_superusers(sign_in, cast, who, page):
    url = SUPERUSER_PAGES[page]
    if cast[who] is not None:
        grant_every_permission(cast[who])
    response = sign_in(who).get(url)
    if who in KEPT_OUT:
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"
    elif who == "superuser":
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert sign_in(who).get(url + "add/").status_code == 403


@pytest.mark.parametrize("who", ["manager_r", "manager_s"])
def test_a_manager_cannot_make_themselves_superuser(sign_in, cast, who):
    manager = cast[who]
    grant_every_permission(manager)
    url = f"/admin/accounts/user/{manager.pk}/change/"
    client = sign_in(who)
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "email": manager.email,
            "first_name": manager.first_name,
            "last_name": manager.last_name,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    manager.refresh_from_db()
    assert not manager.is_superuser
    group = Group.objects.create(name="everything")
    assert client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "x"}).status_code == 403


def test_a_manager_sees_no_guest_profile_of_any_restaurant(sign_in, cast, restaurant):
    theirs = CustomerFactory(created_by_restaurant=restaurant)
    record = GuestRecord.objects.create(restaurant=restaurant, customer=theirs, notes="Regular")
    grant_every_permission(cast["manager_r"])
    client = sign_in("manager_r")
    assert client.get(f"/admin/customers/customer/{theirs.pk}/change/").status_code == 403
    assert client.get(f"/admin/customers/guestrecord/{record.pk}/change/").status_code == 403


# --- every admin says whose it is --------------------------------------------------------------


class FakeRequest:
    def __init__(self, user):
        self.user = user


def test_every_registered_admin_is_scoped_or_a_superusers(cast, restaurant):
    """A model admin registered without a scope would fall back on Django's model
    permissions: here a manager holding every one of them (and is_staff) is refused by each
    superuser-only admin, and each scoped admin offers them nothing of another restaurant."""
    ReservationFactory(table=TableFactory(restaurant=restaurant))
    manager = cast["manager_s"]
    manager.is_staff = True
    manager.save()
    grant_every_permission(manager)
    request = FakeRequest(manager)
    assert admin.site._registry, "no admin registered"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SuperuserOnlyAdmin | RestaurantScopedAdmin), model
        if isinstance(model_admin, SuperuserOnlyAdmin):
            assert not model_admin.has_module_permission(request), model
            assert not model_admin.has_view_permission(request), model
            assert not model_admin.has_change_permission(request), model
            assert not model_admin.has_delete_permission(request), model
            assert not model_admin.get_model_perms(request)["add"], model
        else:
            assert (
                not model_admin.get_queryset(request)
                .exclude(**{f"{model_admin.restaurant_lookup}__in": _managed(manager)})
                .exists()
            ), model
        for inline in model_admin.inlines:
            assert issubclass(inline, RestaurantScopedInline), inline


def _managed(user):
    return StaffMembership.objects.filter(user=user).values_list("restaurant_id", flat=True)
