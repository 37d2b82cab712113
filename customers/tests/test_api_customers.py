"""The customers API: one test per cell of issue 4's permission table (customers column),
registration and login, the guest's own profile. Who sees and changes which guest data
(issue 11's table) is in test_api_guest_data.py."""

import pytest

from accounts.models import User
from customers.models import Customer, GuestRecord
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db

LIST = "/api/customers/"
ME = "/api/customers/me/"
REGISTER = "/api/auth/register/"


def detail(customer) -> str:
    return f"/api/customers/{customer.pk}/"


def listed_ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


# --- anonymous: register only ---------------------------------------------------------------


def test_anonymous_may_register_then_log_in_with_the_token_endpoint(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "Ana@Example.com",
            "password": DEFAULT_PASSWORD,
            "first_name": "Ana",
            "last_name": "López",
            "phone": "+34 611 22 33 44",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "ana@example.com"
    assert body["phone"] == "+34611223344"
    assert body["has_account"] is True
    assert "notes" not in body and "password" not in body

    token = api_client.post(
        "/api/auth/token/", {"email": "ANA@example.com", "password": DEFAULT_PASSWORD}
    )
    assert token.status_code == 200, token.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", ME),
        ("patch", ME),
        ("get", "/api/customers/1/"),
        ("patch", "/api/customers/1/"),
    ],
)
def test_anonymous_gets_401_everywhere_but_register(api_client, method, url):
    response = getattr(api_client, method)(url, {})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- customer: own profile only -------------------------------------------------------------


def test_customer_reads_their_own_profile_without_notes(api_client, world):
    api_client.force_authenticate(world.guest_user)
    for url in (ME, detail(world.guest)):
        body = api_client.get(url).json()
        assert body["id"] == world.guest.pk
        assert "notes" not in body
        assert "Tips badly." not in str(body)
        assert "visit_count" not in body


def test_customer_edits_names_phone_and_allergies_of_their_own_profile(api_client, world):
    api_client.force_authenticate(world.guest_user)
    response = api_client.patch(
        ME,
        {"first_name": "Ana", "last_name": "Q", "phone": "+34 699 000 111", "allergies": "nuts"},
    )
    assert response.status_code == 200, response.json()
    assert "notes" not in response.json()
    world.guest.refresh_from_db()
    assert (world.guest.first_name, world.guest.phone, world.guest.allergies) == (
        "Ana",
        "+34699000111",
        "nuts",
    )
    response = api_client.patch(detail(world.guest), {"allergies": "shellfish"})
    assert response.status_code == 200
    assert "notes" not in response.json()
    world.guest.refresh_from_db()
    assert world.guest.allergies == "shellfish"


@pytest.mark.parametrize("url_of", [lambda w: ME, lambda w: detail(w.guest)])
@pytest.mark.parametrize("field", ["notes", "email"])
def test_customer_cannot_set_notes_or_email_of_their_own_profile(api_client, world, url_of, field):
    api_client.force_authenticate(world.guest_user)
    response = api_client.patch(url_of(world), {field: "x@example.com", "allergies": "nuts"})
    assert response.status_code == 400
    assert field in response.json()["details"]
    world.guest.refresh_from_db()
    assert world.guest.allergies == ""


def test_customer_gets_404_for_any_other_profile(api_client, world):
    api_client.force_authenticate(world.guest_user)
    for other in (world.booked_at_r, world.created_by_r, world.booked_at_other):
        assert api_client.get(detail(other)).status_code == 404
        assert api_client.patch(detail(other), {"first_name": "X"}).status_code == 404
    assert api_client.get("/api/customers/999999/").status_code == 404


def test_customer_may_not_list_or_create_guests(api_client, world):
    api_client.force_authenticate(world.guest_user)
    response = api_client.get(LIST)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = api_client.post(
        LIST, {"restaurant_id": world.r.pk, "first_name": "X", "phone": "+34611000999"}
    )
    assert response.status_code == 403
    assert not Customer.objects.filter(phone="+34611000999").exists()


def test_an_account_without_a_profile_gets_404_on_me(api_client, world):
    api_client.force_authenticate(world.host)
    response = api_client.get(ME)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- host and manager of R: guests of R -----------------------------------------------------


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_list_their_restaurants_guests_only(api_client, world, role):
    api_client.force_authenticate(getattr(world, role))
    assert listed_ids(api_client.get(LIST)) == {world.booked_at_r.pk, world.created_by_r.pk}


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_read_a_guest_of_their_restaurant_with_counts(api_client, world, role):
    ReservationFactory(
        past=True, customer=world.booked_at_r, table__restaurant=world.r, status="no_show"
    )
    ReservationFactory(past=True, customer=world.booked_at_r, table__restaurant=world.other)
    api_client.force_authenticate(getattr(world, role))
    body = api_client.get(detail(world.booked_at_r)).json()
    assert (body["visit_count"], body["no_show_count"]) == (1, 1)


# --- what a restaurant records about a guest: see test_api_guest_data.py ---------------------


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_get_404_for_guests_of_other_restaurants(api_client, world, role):
    api_client.force_authenticate(getattr(world, role))
    for outside in (world.booked_at_other, world.created_by_other, world.guest):
        assert api_client.get(detail(outside)).status_code == 404
        response = api_client.patch(detail(outside), {"first_name": "Mine now"})
        assert response.status_code == 404
        outside.refresh_from_db()
        assert outside.first_name != "Mine now"


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_edit_a_local_profile_their_restaurant_keeps(api_client, world, role):
    api_client.force_authenticate(getattr(world, role))
    response = api_client.patch(
        detail(world.created_by_r), {"allergies": "Shellfish", "email": "New@Example.com"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "new@example.com"
    world.created_by_r.refresh_from_db()
    assert world.created_by_r.allergies == "Shellfish"
    assert world.created_by_r.email == "new@example.com"


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_create_a_guest_profile_for_their_restaurant(api_client, world, role):
    api_client.force_authenticate(getattr(world, role))
    response = api_client.post(
        LIST,
        {
            "restaurant_id": world.r.pk,
            "first_name": "Ana",
            "phone": "+34 611 00 09 99",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["visit_count"], body["no_show_count"]) == (0, 0)
    created = Customer.objects.get(pk=body["id"])
    assert created.created_by_restaurant == world.r
    assert created.phone == "+34611000999"
    # ... and it is in their scope from now on.
    assert body["id"] in listed_ids(api_client.get(LIST))


@pytest.mark.parametrize("role", ["host", "manager"])
def test_staff_cannot_create_a_profile_for_another_restaurant(api_client, world, role):
    api_client.force_authenticate(getattr(world, role))
    for restaurant_id in (world.other.pk, 999999):
        response = api_client.post(
            LIST, {"restaurant_id": restaurant_id, "first_name": "A", "phone": "+34611000999"}
        )
        assert response.status_code == 400
        assert set(response.json()["details"]) == {"restaurant_id"}
    assert not Customer.objects.filter(phone="+34611000999").exists()


def test_the_other_restaurants_host_sees_its_own_guests_not_ours(api_client, world):
    api_client.force_authenticate(world.other_host)
    assert listed_ids(api_client.get(LIST)) == {
        world.booked_at_other.pk,
        world.created_by_other.pk,
    }
    assert api_client.get(detail(world.booked_at_r)).status_code == 404


def test_staff_search_with_q(api_client, world):
    found = CustomerFactory(
        first_name="Zoë", last_name="Marchetti", created_by_restaurant=world.r, phone=""
    )
    api_client.force_authenticate(world.host)
    assert listed_ids(api_client.get(LIST, {"q": "marchetti"})) == {found.pk}
    assert listed_ids(api_client.get(LIST, {"q": world.booked_at_r.email.upper()})) == {
        world.booked_at_r.pk
    }
    assert listed_ids(api_client.get(LIST, {"q": world.booked_at_r.phone[-7:]})) == {
        world.booked_at_r.pk
    }
    # Search never widens the scope.
    assert listed_ids(api_client.get(LIST, {"q": world.booked_at_other.email})) == set()


def test_staff_list_paginates_and_orders(api_client, world):
    for n in range(3):
        CustomerFactory(last_name=f"Aaa{n}", created_by_restaurant=world.r)
    api_client.force_authenticate(world.host)
    body = api_client.get(LIST, {"page_size": 2, "ordering": "last_name"}).json()
    assert body["count"] == 5
    assert [row["last_name"] for row in body["results"]] == ["Aaa0", "Aaa1"]
    response = api_client.get(LIST, {"ordering": "notes"})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"ordering"}


def test_staff_who_booked_as_guests_never_read_notes_about_themselves(api_client, world):
    own = CustomerFactory(user=world.host, email=world.host.email)
    ReservationFactory(past=True, customer=own, table__restaurant=world.r, created_by=world.host)
    GuestRecord.objects.create(restaurant=world.r, customer=own, notes="Difficult guest")
    api_client.force_authenticate(world.host)
    assert own.pk not in listed_ids(api_client.get(LIST))
    for url in (ME, detail(own)):
        body = api_client.get(url).json()
        assert body["id"] == own.pk
        assert "Difficult guest" not in str(body)
    response = api_client.get(f"/api/restaurants/{world.r.pk}/guests/{own.pk}/record/")
    assert response.status_code == 404


# --- superuser: all -------------------------------------------------------------------------


def test_superuser_lists_every_profile(api_client, world):
    api_client.force_authenticate(world.superuser)
    assert listed_ids(api_client.get(LIST)) == set(Customer.objects.values_list("pk", flat=True))


def test_superuser_reads_any_profile_and_edits_any_local_one(api_client, world):
    api_client.force_authenticate(world.superuser)
    for customer in (world.booked_at_other, world.guest, world.created_by_r):
        assert api_client.get(detail(customer)).json()["email"] == customer.email
    response = api_client.patch(detail(world.booked_at_other), {"last_name": "Checked"})
    assert response.status_code == 200
    world.booked_at_other.refresh_from_db()
    assert world.booked_at_other.last_name == "Checked"


def test_superuser_creates_a_profile_for_any_restaurant(api_client, world):
    api_client.force_authenticate(world.superuser)
    response = api_client.post(
        LIST, {"restaurant_id": world.other.pk, "first_name": "A", "email": "a@example.com"}
    )
    assert response.status_code == 201, response.json()
    assert Customer.objects.get(email="a@example.com").created_by_restaurant == world.other


# --- staff notes never reach a guest --------------------------------------------------------


def test_notes_never_appear_in_anything_a_guest_can_read(api_client, world):
    api_client.force_authenticate(world.guest_user)
    bodies = [
        api_client.get(ME).json(),
        api_client.get(detail(world.guest)).json(),
        api_client.patch(ME, {"allergies": "nuts"}).json(),
        api_client.patch(detail(world.guest), {"allergies": "gluten"}).json(),
        api_client.get(detail(world.booked_at_r)).json(),
    ]
    for body in bodies:
        assert "notes" not in body
        assert "Tips badly." not in str(body)
        assert "Prefers the window." not in str(body)


def test_registering_the_email_of_a_staff_made_profile_makes_an_account_of_its_own(
    api_client, world
):
    """Issue 11: a restaurant's local profile neither blocks the address nor is linked."""
    response = api_client.post(
        REGISTER,
        {
            "email": world.created_by_r.email.upper(),
            "password": DEFAULT_PASSWORD,
            "first_name": "Ana",
            "last_name": "B",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] != world.created_by_r.pk
    assert body["phone"] == ""
    assert "Called twice." not in str(body)
    assert User.objects.filter(email__iexact=world.created_by_r.email).exists()
    world.created_by_r.refresh_from_db()
    assert world.created_by_r.user is None
