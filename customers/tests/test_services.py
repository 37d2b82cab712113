"""customers.services: the rules of guest profiles and registration."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from core.errors import (
    NotRestaurantGuest,
    ProfileKeptElsewhere,
    ProfileOwnedByGuest,
    ValidationFailed,
)
from customers.models import Customer, GuestRecord
from customers.services import (
    customer_create,
    customer_find_or_create,
    customer_update,
    email_taken,
    guest_record_update,
    user_register,
    user_update,
)
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from reservations.tests.factories import ReservationFactory
from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db


def fields_of(exc_info) -> set[str]:
    return set(exc_info.value.details)


# --- customer_create ------------------------------------------------------------------------


def test_create_stores_email_lower_case_and_phone_in_e164():
    customer = customer_create(
        first_name=" Ana ", email="  Ana.Lopez@Example.COM ", phone="+34 611 22 33 44"
    )
    customer.refresh_from_db()
    assert customer.email == "ana.lopez@example.com"
    assert customer.phone == "+34611223344"
    assert customer.first_name == "Ana"


def test_create_rejects_an_email_the_restaurant_has_in_another_case():
    restaurant = RestaurantFactory()
    CustomerFactory(email="ana@example.com", created_by_restaurant=restaurant)
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="Ana", email="ANA@Example.com", created_by_restaurant=restaurant)
    assert fields_of(exc_info) == {"email"}
    assert Customer.objects.filter(email__iexact="ana@example.com").count() == 1


def test_create_rejects_a_second_account_profile_with_an_email():
    CustomerFactory(user=UserFactory(email="ana@example.com"), email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="Ana", email="ANA@Example.com", user=UserFactory())
    assert fields_of(exc_info) == {"email"}


def test_an_account_and_each_restaurant_may_each_have_a_profile_with_one_email():
    account = CustomerFactory(user=UserFactory(email="ana@example.com"), email="ana@example.com")
    first, second = RestaurantFactory(), RestaurantFactory()
    ours = customer_create(first_name="Ana", email="Ana@example.com", created_by_restaurant=first)
    theirs = customer_create(
        first_name="Ana", email="ana@example.com", created_by_restaurant=second
    )
    assert len({account.pk, ours.pk, theirs.pk}) == 3


def test_the_database_allows_one_local_profile_per_restaurant_and_email():
    restaurant = RestaurantFactory()
    CustomerFactory(email="ana@example.com", created_by_restaurant=restaurant)
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(email="ANA@example.com", created_by_restaurant=restaurant)
    CustomerFactory(user=UserFactory(), email="ana@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(user=UserFactory(), email="Ana@example.com")


def test_create_without_email_or_phone_names_both_and_writes_nothing():
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="Ana", created_by_restaurant=RestaurantFactory())
    assert fields_of(exc_info) == {"email", "phone"}
    assert not Customer.objects.exists()


def test_create_for_an_account_needs_no_contact_of_its_own():
    user = UserFactory()
    customer = customer_create(first_name="Ana", user=user)
    assert customer.user == user


def test_create_rejects_an_invalid_phone():
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="Ana", phone="12345")
    assert fields_of(exc_info) == {"phone"}
    assert not Customer.objects.exists()


def test_create_rejects_a_blank_first_name_and_a_malformed_email():
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="  ", email="not-an-email")
    assert fields_of(exc_info) == {"first_name", "email"}
    assert not Customer.objects.exists()


def test_two_profiles_may_have_no_email():
    customer_create(first_name="A", phone="+34611000001")
    customer_create(first_name="B", phone="+34611000002")
    assert Customer.objects.filter(email="").count() == 2


# --- email_taken (the one e-mail rule the services and the admin forms share) ---------------


def test_email_taken_compares_only_profiles_of_the_same_kind_in_any_case():
    r, s = RestaurantFactory(), RestaurantFactory()
    account = CustomerFactory(user=UserFactory(email="ana@example.com"), email="ana@example.com")
    local = CustomerFactory(email="ana@example.com", created_by_restaurant=r)
    address = "ana@example.com"
    assert email_taken("ANA@example.com", has_account=True, keeper_id=None)
    assert not email_taken(address, has_account=True, keeper_id=None, exclude_pk=account.pk)
    assert email_taken("Ana@Example.com", has_account=False, keeper_id=r.pk)
    assert not email_taken(address, has_account=False, keeper_id=r.pk, exclude_pk=local.pk)
    assert not email_taken(address, has_account=False, keeper_id=s.pk)
    # Local profiles no restaurant keeps are not compared, as in the database's constraint.
    assert not email_taken(address, has_account=False, keeper_id=None)
    assert not email_taken("", has_account=True, keeper_id=None)


# --- customer_find_or_create ----------------------------------------------------------------


def assert_untouched(customer: Customer) -> None:
    before = {f: getattr(customer, f) for f in ("first_name", "email", "phone", "updated_at")}
    customer.refresh_from_db()
    assert {f: getattr(customer, f) for f in before} == before


def test_find_or_create_finds_its_restaurants_guest_by_email_in_any_case_unchanged():
    restaurant = RestaurantFactory()
    existing = CustomerFactory(
        email="ana@example.com", first_name="Ana", phone="", created_by_restaurant=restaurant
    )
    found = customer_find_or_create(
        restaurant=restaurant,
        first_name="Someone Else",
        email="ANA@example.com",
        phone="+34611999999",
    )
    assert found.pk == existing.pk
    # Nothing is filled in or overwritten, not even the blank phone.
    assert_untouched(existing)
    assert existing.phone == ""
    assert Customer.objects.count() == 1


def test_find_or_create_uses_only_profiles_the_restaurant_keeps():
    """A local profile another restaurant keeps is not the restaurant's own, even with a
    reservation there: the booking gets a profile the restaurant keeps."""
    restaurant = RestaurantFactory()
    booked_here = CustomerFactory(created_by_restaurant=RestaurantFactory())
    ReservationFactory(past=True, customer=booked_here, table__restaurant=restaurant)
    found = customer_find_or_create(
        restaurant=restaurant, first_name="X", email=booked_here.email.upper()
    )
    assert found.pk != booked_here.pk
    assert (found.user, found.created_by_restaurant) == (None, restaurant)
    assert found.email == booked_here.email
    assert_untouched(booked_here)


def test_find_or_create_finds_its_restaurants_guest_by_phone_in_any_format():
    restaurant = RestaurantFactory()
    existing = CustomerFactory(email="", phone="+34611223344", created_by_restaurant=restaurant)
    found = customer_find_or_create(
        restaurant=restaurant, first_name="Ana", phone="+34 611-22-33-44"
    )
    assert found.pk == existing.pk
    assert_untouched(existing)


def test_find_or_create_makes_a_local_profile_for_an_accounts_email_elsewhere():
    """Issue 11: a staff booking with an account's address never reaches the account."""
    user = UserFactory(email="ana@example.com")
    registered = CustomerFactory(user=user, email="ana@example.com", phone="", allergies="nuts")
    restaurant = RestaurantFactory()
    found = customer_find_or_create(
        restaurant=restaurant,
        first_name="Someone",
        email="Ana@Example.com",
        phone="+34611999999",
    )
    assert found.pk != registered.pk
    assert (found.user, found.created_by_restaurant, found.allergies) == (None, restaurant, "")
    assert (found.first_name, found.email) == ("Someone", "ana@example.com")
    assert_untouched(registered)
    # The next booking with the address finds the restaurant's local profile, not the account.
    again = customer_find_or_create(restaurant=restaurant, first_name="X", email="ana@example.com")
    assert again.pk == found.pk


@pytest.mark.parametrize("by", ["email", "phone"])
def test_find_or_create_never_uses_an_account_profile_of_the_restaurants_guest(by):
    """An account that booked at the restaurant itself, or one made in the admin for it, is
    the restaurant's guest, but its unverified e-mail and phone never decide a booking: the
    restaurant's local profile is found (or made) instead (attack finding on issue 11)."""
    restaurant = RestaurantFactory()
    user = UserFactory(email="ana@example.com")
    registered = CustomerFactory(user=user, email="ana@example.com", phone="+34611223344")
    ReservationFactory(
        past=True, customer=registered, table__restaurant=restaurant, created_by=user
    )
    admin_user = UserFactory(email="admin-made@example.com")
    admin_made = CustomerFactory(
        user=admin_user,
        email="admin-made@example.com",
        phone="+34611223344",
        created_by_restaurant=restaurant,
    )
    contact = {"email": "ANA@example.com"} if by == "email" else {"phone": "+34 611 22 33 44"}
    created = customer_find_or_create(restaurant=restaurant, first_name="Ana", **contact)
    assert created.pk not in (registered.pk, admin_made.pk)
    assert (created.user, created.created_by_restaurant) == (None, restaurant)
    assert_untouched(registered)
    assert_untouched(admin_made)
    # The restaurant's local profile, once it exists, is what later bookings find.
    local = CustomerFactory(
        email="admin-made@example.com", phone="+34699000000", created_by_restaurant=restaurant
    )
    assert (
        customer_find_or_create(
            restaurant=restaurant, first_name="X", email="Admin-Made@example.com"
        )
        == local
    )
    assert customer_find_or_create(restaurant=restaurant, first_name="X", **contact) == created


def test_find_or_create_does_not_match_a_registered_guest_by_phone_alone():
    user = UserFactory()
    registered = CustomerFactory(user=user, email=user.email, phone="+34611223344")
    restaurant = RestaurantFactory()
    created = customer_find_or_create(restaurant=restaurant, first_name="Ana", phone="+34611223344")
    assert created.pk != registered.pk
    assert created.created_by_restaurant == restaurant
    assert_untouched(registered)


def test_find_or_create_makes_a_new_profile_for_another_restaurants_phone_only_guest():
    theirs = RestaurantFactory()
    phone_only = CustomerFactory(email="", phone="+34611223344", created_by_restaurant=theirs)
    ReservationFactory(past=True, customer=phone_only, table__restaurant=theirs)
    ours = RestaurantFactory()
    created = customer_find_or_create(
        restaurant=ours,
        first_name="Mallory",
        email="Attacker@Evil.example",
        phone="+34 611 22 33 44",
    )
    assert created.pk != phone_only.pk
    assert (created.email, created.phone) == ("attacker@evil.example", "+34611223344")
    assert created.created_by_restaurant == ours
    assert_untouched(phone_only)
    assert phone_only.email == ""
    # Without an e-mail, too: a phone elsewhere is no match.
    again = customer_find_or_create(
        restaurant=RestaurantFactory(), first_name="M", phone="+34611223344"
    )
    assert again.pk not in (phone_only.pk, created.pk)


def test_find_or_create_makes_its_own_profile_for_the_email_of_another_restaurants_guest():
    theirs = RestaurantFactory()
    standalone = CustomerFactory(email="ana@example.com", created_by_restaurant=theirs)
    ReservationFactory(past=True, customer=standalone, table__restaurant=theirs)
    ours = RestaurantFactory()
    created = customer_find_or_create(
        restaurant=ours, first_name="Ana", email="ANA@example.com", phone="+34611999999"
    )
    assert created.pk != standalone.pk
    assert created.created_by_restaurant == ours
    assert_untouched(standalone)


def test_find_or_create_with_an_email_does_not_take_a_phone_match_it_could_not_record():
    restaurant = RestaurantFactory()
    phone_only = CustomerFactory(email="", phone="+34611223344", created_by_restaurant=restaurant)
    sharer = CustomerFactory(
        email="ana@example.com", phone="+34611223344", created_by_restaurant=restaurant
    )
    created = customer_find_or_create(
        restaurant=restaurant, first_name="Luis", email="luis@example.com", phone="+34611223344"
    )
    assert created.pk not in (phone_only.pk, sharer.pk)
    assert created.email == "luis@example.com"
    assert created.created_by_restaurant == restaurant
    assert_untouched(phone_only)
    assert_untouched(sharer)


def test_find_or_create_creates_a_profile_of_the_restaurant():
    restaurant = RestaurantFactory()
    created = customer_find_or_create(
        restaurant=restaurant, first_name="Ana", last_name="López", email="Ana@Example.com"
    )
    created.refresh_from_db()
    assert created.created_by_restaurant == restaurant
    assert created.email == "ana@example.com"
    assert created.user is None


def test_find_or_create_without_email_or_phone_names_customer():
    with pytest.raises(ValidationFailed) as exc_info:
        customer_find_or_create(restaurant=RestaurantFactory(), first_name="Ana")
    assert fields_of(exc_info) == {"customer"}
    assert not Customer.objects.exists()


def test_find_or_create_rejects_an_invalid_phone():
    with pytest.raises(ValidationFailed) as exc_info:
        customer_find_or_create(restaurant=RestaurantFactory(), first_name="Ana", phone="+1 0")
    assert fields_of(exc_info) == {"phone"}


# --- customer_update ------------------------------------------------------------------------


def test_update_normalizes_and_saves_the_given_fields_only():
    customer = CustomerFactory(last_name="Keep", allergies="")
    updated = customer_update(
        customer=customer, data={"phone": "+34 699 000 111", "allergies": "nuts"}
    )
    customer.refresh_from_db()
    assert updated.phone == customer.phone == "+34699000111"
    assert customer.allergies == "nuts"
    assert customer.last_name == "Keep"


def test_update_rejects_an_email_of_another_profile_of_the_restaurant_in_another_case():
    restaurant = RestaurantFactory()
    CustomerFactory(email="taken@example.com", created_by_restaurant=restaurant)
    CustomerFactory(email="elsewhere@example.com", created_by_restaurant=RestaurantFactory())
    customer = CustomerFactory(email="mine@example.com", created_by_restaurant=restaurant)
    # Another restaurant's address is no clash.
    customer_update(customer=customer, data={"email": "Elsewhere@example.com"})
    with pytest.raises(ValidationFailed) as exc_info:
        customer_update(customer=customer, data={"email": "TAKEN@example.com"})
    assert fields_of(exc_info) == {"email"}
    customer.refresh_from_db()
    assert customer.email == "elsewhere@example.com"


def test_update_keeps_the_email_of_a_profile_with_an_account():
    user = UserFactory(email="ana@example.com")
    customer = CustomerFactory(user=user, email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        customer_update(customer=customer, data={"email": "other@example.com"})
    assert fields_of(exc_info) == {"email"}
    # The same address in another case is no change at all.
    customer_update(customer=customer, data={"email": "ANA@example.com"})
    customer.refresh_from_db()
    assert customer.email == "ana@example.com"


def test_update_cannot_remove_the_last_way_to_reach_a_standalone_guest():
    customer = CustomerFactory(email="", phone="+34611223344")
    with pytest.raises(ValidationFailed) as exc_info:
        customer_update(customer=customer, data={"phone": ""})
    assert fields_of(exc_info) == {"email", "phone"}
    customer.refresh_from_db()
    assert customer.phone == "+34611223344"


def test_update_rejects_unknown_fields():
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as exc_info:
        customer_update(customer=customer, data={"user": None, "first_name": "X"})
    assert fields_of(exc_info) == {"user"}
    customer.refresh_from_db()
    assert customer.first_name != "X"


def test_update_by_staff_only_of_local_profiles_their_restaurant_keeps(world):
    for staff_user in (world.host, world.manager, world.superuser):
        customer_update(
            customer=world.created_by_r, data={"allergies": "ok"}, staff_user=staff_user
        )
    customer_update(
        customer=world.booked_at_r, data={"allergies": "HQ"}, staff_user=world.superuser
    )
    for staff_user, customer, error in (
        (world.host, world.booked_at_r, ProfileKeptElsewhere),  # in scope, kept by none
        (world.other_host, world.created_by_r, ProfileKeptElsewhere),
        (world.host, world.guest, ProfileOwnedByGuest),
        (world.superuser, world.guest, ProfileOwnedByGuest),
    ):
        with pytest.raises(error):
            customer_update(customer=customer, data={"allergies": "mine"}, staff_user=staff_user)
    for customer in (world.created_by_r, world.booked_at_r, world.guest):
        customer.refresh_from_db()
    assert (world.created_by_r.allergies, world.booked_at_r.allergies) == ("ok", "HQ")
    assert world.guest.allergies == ""


def test_guest_record_update_creates_one_record_per_restaurant_and_guest(world):
    # The guest booked at both restaurants herself: each may keep its own record.
    ReservationFactory(
        past=True, customer=world.guest, table__restaurant=world.r, created_by=world.guest_user
    )
    ReservationFactory(
        past=True, customer=world.guest, table__restaurant=world.other, created_by=world.guest_user
    )
    first = guest_record_update(restaurant=world.r, customer=world.guest, notes="Quiet table")
    again = guest_record_update(restaurant=world.r, customer=world.guest, notes="Corner table")
    theirs = guest_record_update(restaurant=world.other, customer=world.guest, notes="Theirs")
    assert first.pk == again.pk != theirs.pk
    assert GuestRecord.objects.get(pk=first.pk).notes == "Corner table"
    with pytest.raises(IntegrityError), transaction.atomic():
        GuestRecord.objects.create(restaurant=world.r, customer=world.guest)


def test_guest_record_update_refuses_a_guest_not_the_restaurants(world):
    """The rule is the service's, so the admin and every other caller obey it."""
    # Another restaurant's guests, and an account whose only reservation at r staff made.
    ReservationFactory(
        past=True, customer=world.guest, table__restaurant=world.r, created_by=world.host
    )
    for restaurant, customer in (
        (world.r, world.created_by_other),
        (world.r, world.booked_at_other),
        (world.other, world.created_by_r),
        (world.r, world.guest),
    ):
        with pytest.raises(NotRestaurantGuest) as exc_info:
            guest_record_update(restaurant=restaurant, customer=customer, notes="Mine now")
        assert (exc_info.value.code, exc_info.value.status) == ("not_restaurant_guest", 403)
    assert not GuestRecord.objects.filter(notes="Mine now").exists()
    assert GuestRecord.objects.get(restaurant=world.other).notes == "VIP at the other place."


# --- user_register --------------------------------------------------------------------------


def test_register_creates_the_account_and_its_profile():
    customer = user_register(
        email="Ana@Example.com",
        password=DEFAULT_PASSWORD,
        first_name="Ana",
        last_name="López",
        phone="+34 611 22 33 44",
    )
    user = User.objects.get()
    assert user.email == "ana@example.com"
    assert user.check_password(DEFAULT_PASSWORD)
    assert customer.user == user
    assert customer.email == "ana@example.com"
    assert customer.phone == "+34611223344"
    assert (user.first_name, user.last_name) == ("Ana", "López")


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234"])
def test_register_applies_the_password_validators(password):
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(email="ana@example.com", password=password, first_name="A", last_name="B")
    assert fields_of(exc_info) == {"password"}
    assert not User.objects.exists()
    assert not Customer.objects.exists()


def test_register_rejects_a_password_like_the_email():
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(
            email="anabelen.lopez@example.com",
            password="anabelen.lopez",
            first_name="Ana",
            last_name="B",
        )
    assert fields_of(exc_info) == {"password"}


def test_register_rejects_an_account_email_in_another_case():
    UserFactory(email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(
            email="ANA@example.com", password=DEFAULT_PASSWORD, first_name="A", last_name="B"
        )
    assert fields_of(exc_info) == {"email"}
    assert User.objects.count() == 1
    assert not Customer.objects.exists()


def test_register_refuses_an_email_another_account_profile_has():
    # A profile whose account logs in with another address (made before the admin kept the
    # two in step).
    account = UserFactory(email="old-login@example.com")
    profile = CustomerFactory(email="ana@example.com", user=account)
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(
            email="ANA@example.com", password=DEFAULT_PASSWORD, first_name="Ana", last_name="B"
        )
    assert fields_of(exc_info) == {"email"}
    assert not User.objects.filter(email="ana@example.com").exists()
    profile.refresh_from_db()
    assert profile.user == account
    assert Customer.objects.count() == 1


def test_register_with_the_email_of_restaurants_local_profiles_links_none_of_them():
    restaurant = RestaurantFactory()
    local = CustomerFactory(
        email="ana@example.com", created_by_restaurant=restaurant, allergies="shellfish"
    )
    ReservationFactory(past=True, customer=local, table__restaurant=restaurant)
    own = user_register(
        email="ANA@example.com", password=DEFAULT_PASSWORD, first_name="Ana", last_name="B"
    )
    assert own.pk != local.pk
    assert (own.email, own.allergies, own.user.email) == ("ana@example.com", "", "ana@example.com")
    local.refresh_from_db()
    assert (local.user, local.created_by_restaurant) == (None, restaurant)
    assert not own.reservations.exists()


def test_register_with_an_invalid_phone_writes_nothing():
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(
            email="ana@example.com",
            password=DEFAULT_PASSWORD,
            first_name="A",
            last_name="B",
            phone="123",
        )
    assert fields_of(exc_info) == {"phone"}
    assert not User.objects.exists()


def test_register_with_a_malformed_email_names_it():
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(email="nope", password=DEFAULT_PASSWORD, first_name="A", last_name="B")
    assert fields_of(exc_info) == {"email"}
    assert not User.objects.exists()


# --- user_update ----------------------------------------------------------------------------


def test_user_update_moves_the_profile_email_with_the_login():
    user = UserFactory(email="ana@example.com")
    profile = CustomerFactory(user=user, email="ana@example.com")
    user_update(user=user, data={"email": " Ana.New@Example.com ", "first_name": "Ana"})
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.email == profile.email == "ana.new@example.com"
    assert user.first_name == "Ana"


@pytest.mark.parametrize("taken_by", ["account", "profile"])
def test_user_update_refuses_an_email_another_account_or_profile_has(taken_by):
    if taken_by == "account":
        UserFactory(email="taken@example.com")
    else:
        CustomerFactory(email="taken@example.com", user=UserFactory(email="old@example.com"))
    user = UserFactory(email="ana@example.com")
    profile = CustomerFactory(user=user, email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        user_update(user=user, data={"email": "TAKEN@example.com"})
    assert fields_of(exc_info) == {"email"}
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.email == profile.email == "ana@example.com"


def test_user_update_to_the_email_of_a_restaurants_local_profile():
    local = CustomerFactory(email="taken@example.com", created_by_restaurant=RestaurantFactory())
    user = UserFactory(email="ana@example.com")
    profile = CustomerFactory(user=user, email="ana@example.com")
    user_update(user=user, data={"email": "taken@example.com"})
    profile.refresh_from_db()
    local.refresh_from_db()
    assert profile.email == local.email == "taken@example.com"
    assert local.user is None


def test_user_update_of_an_account_without_a_profile():
    user = UserFactory(email="host@example.com")
    user_update(user=user, data={"email": "HOST2@example.com", "is_staff": True})
    user.refresh_from_db()
    assert (user.email, user.is_staff) == ("host2@example.com", True)
    assert not Customer.objects.exists()


def test_user_update_rejects_unknown_fields_and_a_malformed_email():
    user = UserFactory(email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        user_update(user=user, data={"password": "x"})
    assert fields_of(exc_info) == {"password"}
    with pytest.raises(ValidationFailed) as exc_info:
        user_update(user=user, data={"email": "not-an-email"})
    assert fields_of(exc_info) == {"email"}
    user.refresh_from_db()
    assert user.email == "ana@example.com"
