"""Cross-origin reads from a restaurant's own site: its detail and its availability answer
its embed_origins (no credentials), and nothing else answers anyone."""

import pytest

from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db

SITE = "https://www.casa-uno.example"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


@pytest.fixture
def restaurant():
    return RestaurantFactory(slug="casa-uno", embed_origins=[SITE, "http://localhost:8000"])


def public_reads(restaurant):
    base = f"/api/restaurants/{restaurant.pk}/"
    return [
        base,
        f"{base}availability/?date=2030-01-10&party_size=2",
        f"{base}availability/days/?from=2030-01-01&to=2030-01-10&party_size=2",
    ]


def test_the_restaurants_own_site_may_read_its_public_data(api_client, restaurant):
    for url in public_reads(restaurant):
        response = api_client.get(url, HTTP_ORIGIN=SITE)
        assert response.status_code == 200, url
        assert response[ALLOW_ORIGIN] == SITE, url
        assert "origin" in response["Vary"].lower(), url
        assert "Access-Control-Allow-Credentials" not in response, url
    other = api_client.get(public_reads(restaurant)[0], HTTP_ORIGIN="http://localhost:8000")
    assert other[ALLOW_ORIGIN] == "http://localhost:8000"


def test_another_origin_gets_no_cors_answer(api_client, restaurant):
    for origin in ("https://evil.example", "https://www.casa-uno.example:8443", "null"):
        for url in public_reads(restaurant):
            response = api_client.get(url, HTTP_ORIGIN=origin)
            assert response.status_code == 200
            assert ALLOW_ORIGIN not in response, (origin, url)


def test_another_restaurants_origin_gets_no_cors_answer(api_client, restaurant):
    other = RestaurantFactory(embed_origins=["https://other.example"])
    for url in public_reads(restaurant):
        assert ALLOW_ORIGIN not in api_client.get(url, HTTP_ORIGIN="https://other.example")
    for url in public_reads(other):
        assert ALLOW_ORIGIN not in api_client.get(url, HTTP_ORIGIN=SITE)


def test_an_inactive_restaurant_answers_no_one(api_client, restaurant):
    restaurant.is_active = False
    restaurant.save()
    response = api_client.get(public_reads(restaurant)[0], HTTP_ORIGIN=SITE)
    assert response.status_code == 404 and ALLOW_ORIGIN not in response


def test_no_other_endpoint_ever_answers_cross_origin(api_client, restaurant):
    base = f"/api/restaurants/{restaurant.pk}/"
    for url in (
        "/api/restaurants/",
        f"{base}tables/",
        f"{base}closures/",
        f"{base}opening-hours/",
        f"{base}staff/",
        "/api/reservations/",
        "/api/",
        "/api/health/",
        f"/book/{restaurant.slug}/",
        "/api/restaurants/987654/",
    ):
        response = api_client.get(url, HTTP_ORIGIN=SITE)
        assert ALLOW_ORIGIN not in response, url
        preflight = api_client.options(
            url, HTTP_ORIGIN=SITE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
        )
        assert ALLOW_ORIGIN not in preflight, url


def test_writes_never_get_a_cors_answer(api_client, restaurant):
    url = public_reads(restaurant)[0]
    for method in ("patch", "delete", "post"):
        response = getattr(api_client, method)(url, {}, format="json", HTTP_ORIGIN=SITE)
        assert ALLOW_ORIGIN not in response, method


def test_the_preflight_of_a_read_from_the_restaurants_site(api_client, restaurant):
    for url in public_reads(restaurant):
        response = api_client.options(
            url,
            HTTP_ORIGIN=SITE,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept-language",
        )
        assert response.status_code == 200, url
        assert response[ALLOW_ORIGIN] == SITE
        assert set(response["Access-Control-Allow-Methods"].split(", ")) == {
            "GET",
            "HEAD",
            "OPTIONS",
        }
        assert "accept-language" in response["Access-Control-Allow-Headers"]
        assert "authorization" not in response["Access-Control-Allow-Headers"]
        assert "Access-Control-Allow-Credentials" not in response
    refused = api_client.options(
        public_reads(restaurant)[0],
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert ALLOW_ORIGIN not in refused


def test_an_id_beyond_any_row_is_a_plain_404(api_client):
    response = api_client.get(f"/api/restaurants/{2**63 + 5}/", HTTP_ORIGIN=SITE)
    assert response.status_code == 404 and ALLOW_ORIGIN not in response
