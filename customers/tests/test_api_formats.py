"""Strict formats in the customers API (docs/api-reservations.md, "Formats"): the restaurant
id of a new guest profile only as a JSON integer, the list's page parameters only in ASCII
digits. Each bad spelling was accepted before."""

import pytest

from customers.models import Customer

pytestmark = pytest.mark.django_db
LIST = "/api/customers/"
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "validation_error", payload
    assert "integer" in " ".join(payload["details"].get(field, [])), payload


@pytest.mark.parametrize("spelling", ["string", "arabic", "float"])
def test_a_new_profiles_restaurant_id_only_as_a_json_integer(api_client, world, spelling):
    own = world.r.pk
    value = {"string": str(own), "arabic": str(own).translate(ARABIC_INDIC), "float": own + 0.0}
    api_client.force_authenticate(world.host)
    body = {"restaurant_id": value[spelling], "first_name": "A", "phone": "+34611000999"}
    response = api_client.post(LIST, body)
    assert_refused(response, "restaurant_id")
    assert not Customer.objects.filter(phone="+34611000999").exists()


def test_a_new_profile_with_a_json_integer_restaurant_id(api_client, world):
    api_client.force_authenticate(world.host)
    body = {"restaurant_id": world.r.pk, "first_name": "A", "phone": "+34611000999"}
    assert api_client.post(LIST, body).status_code == 201


@pytest.mark.parametrize("param", ["page", "page_size"])
@pytest.mark.parametrize("value", ["1".translate(ARABIC_INDIC), "1.0", "+1"])
def test_the_guest_list_pages_only_in_ascii_digits(api_client, world, param, value):
    api_client.force_authenticate(world.host)
    assert_refused(api_client.get(LIST, {param: value}), param)
    assert api_client.get(LIST, {param: "1"}).status_code == 200
