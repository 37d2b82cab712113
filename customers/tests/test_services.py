"""customers.services: the rules of guest profiles and registration."""

import pytest

from core.errors import ValidationFailed
from customers.models import Customer, User
from customers.services import (
    customer_create,
    customer_find_or_create,
    customer_update,
    user_register,
)
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
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


def test_create_rejects_an_email_taken_in_another_case():
    CustomerFactory(email="ana@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(first_name="Ana", email="ANA@Example.com")
    assert fields_of(exc_info) == {"email"}
    assert Customer.objects.filter(email__iexact="ana@example.com").count() == 1


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


# --- customer_find_or_create ----------------------------------------------------------------


def test_find_or_create_finds_by_email_in_any_case_and_keeps_what_it_records():
    existing = CustomerFactory(email="ana@example.com", first_name="Ana", phone="+34611000001")
    found = customer_find_or_create(
        restaurant=RestaurantFactory(),
        first_name="Someone Else",
        email="ANA@example.com",
        phone="+34611999999",
    )
    assert found.pk == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "Ana"
    assert existing.phone == "+34611000001"
    assert Customer.objects.count() == 1


def test_find_or_create_fills_a_blank_phone_of_the_profile_found():
    existing = CustomerFactory(email="ana@example.com", phone="")
    customer_find_or_create(
        restaurant=RestaurantFactory(),
        first_name="Ana",
        email="ana@example.com",
        phone="+34 611 999 999",
    )
    existing.refresh_from_db()
    assert existing.phone == "+34611999999"


def test_find_or_create_finds_by_phone_in_any_format():
    existing = CustomerFactory(email="", phone="+34611223344")
    found = customer_find_or_create(
        restaurant=RestaurantFactory(), first_name="Ana", phone="+34 611-22-33-44"
    )
    assert found.pk == existing.pk


def test_find_or_create_does_not_merge_a_different_email_sharing_the_phone():
    sharer = CustomerFactory(email="ana@example.com", phone="+34611223344")
    restaurant = RestaurantFactory()
    found = customer_find_or_create(
        restaurant=restaurant, first_name="Luis", email="luis@example.com", phone="+34611223344"
    )
    assert found.pk != sharer.pk
    assert found.email == "luis@example.com"
    assert found.created_by_restaurant == restaurant


def test_find_or_create_finds_a_phone_only_profile_and_records_the_email_given():
    phone_only = CustomerFactory(email="", phone="+34611223344")
    found = customer_find_or_create(
        restaurant=RestaurantFactory(),
        first_name="Ana",
        email="Ana@Example.com",
        phone="+34611223344",
    )
    assert found.pk == phone_only.pk
    phone_only.refresh_from_db()
    assert phone_only.email == "ana@example.com"
    assert Customer.objects.count() == 1


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
    customer = CustomerFactory(notes="keep", allergies="")
    updated = customer_update(
        customer=customer, data={"phone": "+34 699 000 111", "allergies": "nuts"}
    )
    customer.refresh_from_db()
    assert updated.phone == customer.phone == "+34699000111"
    assert customer.allergies == "nuts"
    assert customer.notes == "keep"


def test_update_rejects_an_email_of_another_profile_in_another_case():
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")
    with pytest.raises(ValidationFailed) as exc_info:
        customer_update(customer=customer, data={"email": "TAKEN@example.com"})
    assert fields_of(exc_info) == {"email"}
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


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


def test_register_takes_over_a_staff_created_profile_with_that_email():
    restaurant = RestaurantFactory()
    standalone = CustomerFactory(
        email="ana@example.com",
        first_name="A.",
        last_name="",
        phone="+34611000001",
        notes="staff note",
        created_by_restaurant=restaurant,
    )
    customer = user_register(
        email="ANA@example.com", password=DEFAULT_PASSWORD, first_name="Ana", last_name="López"
    )
    assert customer.pk == standalone.pk
    standalone.refresh_from_db()
    assert standalone.user == User.objects.get(email="ana@example.com")
    assert (standalone.first_name, standalone.last_name) == ("Ana", "López")
    assert standalone.phone == "+34611000001"  # kept: none was given
    assert standalone.notes == "staff note"
    assert standalone.created_by_restaurant == restaurant
    assert Customer.objects.count() == 1


def test_register_fails_when_the_profile_with_that_email_has_another_account():
    other_account = UserFactory(email="old-login@example.com")
    CustomerFactory(email="ana@example.com", user=other_account)
    with pytest.raises(ValidationFailed) as exc_info:
        user_register(
            email="ana@example.com", password=DEFAULT_PASSWORD, first_name="A", last_name="B"
        )
    assert fields_of(exc_info) == {"email"}
    assert User.objects.count() == 1


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
