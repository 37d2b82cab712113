"""``/``: the active restaurants with their addresses and booking links, in either language."""

import re

import pytest

from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db


def test_lists_active_restaurants_with_address_and_booking_link(client):
    RestaurantFactory(name="Casa Uno", slug="casa-uno", address="Calle Mayor 1")
    RestaurantFactory(name="Cerrado", slug="cerrado", is_active=False)

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Casa Uno" in page and "Calle Mayor 1" in page
    assert 'href="/book/casa-uno/"' in page
    assert "Book a table" in page
    assert "Cerrado" not in page and "/book/cerrado/" not in page


def test_the_admins_view_site_link_leads_to_the_index(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert 'href="/"' in page
    assert admin_client.get("/").status_code == 200


def test_spanish_from_accept_language(client):
    RestaurantFactory(slug="casa")
    page = client.get("/", headers={"accept-language": "es-ES,es;q=0.9"}).content.decode()
    assert '<html lang="es">' in page
    assert "Reservar mesa" in page


def test_lang_in_the_query_wins_and_is_remembered(client):
    RestaurantFactory(slug="casa")
    first = client.get("/?lang=es", headers={"accept-language": "en"})
    assert '<html lang="es">' in first.content.decode()
    assert first.headers["Content-Language"] == "es"
    # The next page without ?lang keeps Spanish (the cookie), whatever the browser prefers.
    again = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="es">' in again


def test_an_unknown_lang_is_ignored(client):
    RestaurantFactory(slug="casa")
    page = client.get("/?lang=xx", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    assert "Book a table" in page


def test_the_switcher_links_to_the_other_language(client):
    page = client.get("/").content.decode()
    assert 'href="?lang=es"' in page
    assert 'aria-current="true" lang="en"' in page


def test_the_switcher_names_each_language_in_itself(client):
    for query in ("", "?lang=es"):
        page = client.get("/" + query).content.decode()
        assert re.search(r'lang="en"[^>]*>English<', page)
        assert re.search(r'lang="es"[^>]*>Español<', page)
        assert "Inglés" not in page


def test_pages_vary_on_the_cookie_that_may_carry_their_language(client):
    for response in (client.get("/"), client.get("/?lang=es")):
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"cookie", "accept-language"} <= vary
    api = client.get("/api/health/")
    assert "cookie" not in api.get("Vary", "").lower()


def test_the_favicon_is_there_for_browsers_that_ask_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url.endswith("reservaflow/favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()


def test_an_unknown_page_is_a_404_in_the_guests_language(client):
    response = client.get("/book/nowhere/?lang=es")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="es">' in page and "Página no encontrada" in page
    assert client.get("/api/nowhere/").json()["code"] == "not_found"
