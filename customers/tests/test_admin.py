"""The admin for accounts (e-mail login) and guest profiles."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from core.errors import NotRestaurantGuest
from customers.models import Customer, GuestRecord
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from reservations.tests.factories import ReservationFactory
from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    return client


def test_user_changelist_renders_and_searches_by_email(admin_client):
    UserFactory(email="findme@example.com")
    UserFactory(email="other@example.com")
    response = admin_client.get("/admin/accounts/user/", {"q": "findme"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "findme@example.com" in content
    assert "other@example.com" not in content


def test_user_add_form_creates_an_email_account_with_a_working_password(admin_client):
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Host@Example.com",
            "first_name": "New",
            "last_name": "Host",
            "usable_password": "true",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.host@example.com")
    assert user.check_password(DEFAULT_PASSWORD)
    assert admin_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200


def test_user_add_form_rejects_an_email_taken_in_another_case(admin_client):
    UserFactory(email="taken@example.com")
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_user_password_change_page_works(admin_client):
    user = UserFactory()
    url = f"/admin/accounts/user/{user.pk}/password/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "An0ther-long-pass",
            "password2": "An0ther-long-pass",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-long-pass")


def test_customer_changelist_renders_with_reservation_counts_and_search(admin_client):
    restaurant = RestaurantFactory()
    ana = CustomerFactory(first_name="Anastasia", last_name="Zed", phone="+34611223344")
    CustomerFactory(first_name="Bob", last_name="Other")
    ReservationFactory(past=True, customer=ana, table__restaurant=restaurant)
    ReservationFactory(past=True, customer=ana, table__restaurant=restaurant)
    response = admin_client.get("/admin/customers/customer/")
    assert response.status_code == 200
    for q in ("anastasia", "611223344", ana.email.upper()):
        response = admin_client.get("/admin/customers/customer/", {"q": q})
        result = response.context["cl"].result_list
        assert [c.pk for c in result] == [ana.pk]
        assert result[0].reservation_total == 2


def test_customer_add_goes_through_the_service_rules(admin_client):
    restaurant = RestaurantFactory()
    base = {
        "first_name": "Ana",
        "last_name": "",
        "email": "Ana@Example.com",
        "phone": "+34 611 22 33 44",
        "allergies": "",
        "notes": "",
        "user": "",
        "created_by_restaurant": restaurant.pk,
    }
    response = admin_client.post("/admin/customers/customer/add/", base)
    assert response.status_code == 302
    created = Customer.objects.get()
    assert (created.email, created.phone) == ("ana@example.com", "+34611223344")

    response = admin_client.post(
        "/admin/customers/customer/add/", {**base, "email": "ANA@example.com", "phone": "123"}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"email", "phone"} <= set(errors)
    assert Customer.objects.count() == 1


def test_customer_change_saves_through_the_service(admin_client):
    customer = CustomerFactory(phone="+34611000001")
    url = f"/admin/customers/customer/{customer.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": "+34 699 000 111",
            "allergies": "Gluten",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.phone, customer.allergies) == ("+34699000111", "Gluten")


def user_change_body(user: User, **overrides) -> dict:
    """The admin's change form for ``user`` as a browser posts it, with ``overrides``."""
    body = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    body.update(overrides)
    return body


def test_user_email_change_moves_the_guest_profiles_email_with_it(admin_client):
    user = UserFactory(email="ana@example.com")
    profile = CustomerFactory(user=user, email="ana@example.com")
    url = f"/admin/accounts/user/{user.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, user_change_body(user, email="Ana.New@Example.com"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.email == profile.email == "ana.new@example.com"


@pytest.mark.parametrize("taken_by", ["account", "profile"])
def test_user_email_change_to_an_address_another_account_or_profile_has(admin_client, taken_by):
    if taken_by == "account":
        UserFactory(email="taken@example.com")
    else:
        CustomerFactory(email="taken@example.com", user=UserFactory(email="old@example.com"))
    user = UserFactory(email="ana@example.com")
    profile = CustomerFactory(user=user, email="ana@example.com")
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        user_change_body(user, email="TAKEN@example.com"),
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.email == profile.email == "ana@example.com"


def test_user_change_of_other_fields_keeps_the_profile_and_saves_them(admin_client):
    user = UserFactory(email="host@example.com")
    profile = CustomerFactory(user=user, email="host@example.com")
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        user_change_body(user, first_name="Hostess", is_staff="on"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    profile.refresh_from_db()
    assert (user.first_name, user.is_staff) == ("Hostess", True)
    assert profile.email == "host@example.com"


def test_guest_record_add_refuses_a_guest_not_the_restaurants(admin_client):
    r, s = RestaurantFactory(), RestaurantFactory()
    theirs = CustomerFactory(created_by_restaurant=s)
    ours = CustomerFactory(created_by_restaurant=r)
    url = "/admin/customers/guestrecord/add/"
    response = admin_client.post(url, {"restaurant": r.pk, "customer": theirs.pk, "notes": "x"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["customer"] == [NotRestaurantGuest.message]
    assert not GuestRecord.objects.exists()

    response = admin_client.post(url, {"restaurant": r.pk, "customer": ours.pk, "notes": "Ours"})
    assert response.status_code == 302
    assert GuestRecord.objects.get().notes == "Ours"


def test_legacy_notes_are_shown_read_only_to_superusers_only(admin_client, client):
    customer = CustomerFactory(legacy_notes="From before guest records")
    url = f"/admin/customers/customer/{customer.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "From before guest records" in response.content.decode()

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(codename="view_customer"),
        Permission.objects.get(codename="change_customer"),
    )
    client.force_login(clerk)
    # Guest profiles are for superusers alone, whatever an account was granted.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Saving the change form never touches them.
    body = {f: getattr(customer, f) for f in ("first_name", "last_name", "email", "phone")}
    response = admin_client.post(url, {**body, "allergies": "", "legacy_notes": "Overwritten"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.legacy_notes == "From before guest records"


# An account the changelist's "delete selected" deletes (a queryset delete, which never calls
# User.delete) is forgotten by the API's account cache at once.
def test_a_token_of_an_account_deleted_from_the_changelist_is_refused_at_once(
    admin_client, settings
):
    settings.AUTH_ACCOUNT_CACHE_SECONDS = 300
    gone = UserFactory(email="gone@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(gone)}")
    assert api.get("/api/reservations/").status_code == 200  # the account is now cached
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=gone.pk).exists()
    assert api.get("/api/reservations/").status_code == 401
