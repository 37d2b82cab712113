"""Restaurant.embed_origins: what counts as an origin, its normal form, and the services that
keep the list in it (the API and the admin call them)."""

import pytest

from core.errors import InvalidEmbedOrigins
from restaurants import services
from restaurants.embedding import (
    MAX_EMBED_ORIGINS,
    OriginRefused,
    embed_snippet,
    normalize_embed_origins,
    normalize_origin,
)
from restaurants.models import Restaurant
from restaurants.tests.factories import RestaurantFactory


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("HTTPS://WWW.Example.COM", "https://www.example.com"),
        ("https://www.example.com/", "https://www.example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:80", "https://example.com:80"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://example.com:00443", "https://example.com"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://BÜCHER.example", "https://xn--bcher-kva.example"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://example。com", "https://example.com"),  # an ideographic full stop
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_an_origin_is_kept_in_the_form_browsers_send(given, normal):
    assert normalize_origin(given) == normal


@pytest.mark.parametrize(
    "given",
    [
        "",
        "example.com",
        "//example.com",
        "ftp://example.com",
        "javascript://example.com",
        "https://",
        "https://example.com/booking",
        "https://example.com//",
        "https://example.com?x=1",
        "https://example.com#top",
        "https://example.com\\path",
        "https://user@example.com",
        "https://user:pw@example.com",
        "https://*.example.com",
        "*",
        "https://example.com:",
        "https://example.com:0",
        "https://example.com:65536",
        "https://example.com:99999999999999999999",
        "https://example.com:+80",
        "https://example.com:٨٠",  # Arabic-Indic digits
        "https://example.com.",
        "https://exa mple.com",
        " https://example.com",
        "https://example.com\n",
        "https://exa\x00mple.com",
        "https://example.com\x7f",
        "https://\u200bexample.com",  # zero width space
        "https://\ud800.example",  # a lone surrogate
        "https://under_score.example",
        "https://-dash.example",
        "https://" + "a" * 64 + ".example",
        "https://" + ".".join(["abcdefghi"] * 26),  # over 253 characters
        "https://" + "a" * 400,
        "https://0x7f.1",
        "https://127.1",
        "https://01.2.3.4",
        "https://example.123",
        "https://[::1",
        "https://[::1]x",
        "https://[fe80::1%eth0]",
        "http://[0:0::1]:8000",  # a Content-Security-Policy cannot name an IPv6 address
        "https://[2001:DB8::1]",
        "https://[not-an-ip]",
        "https://xn--zz.example",  # not valid punycode
    ],
)
def test_anything_else_is_refused_with_a_reason(given):
    with pytest.raises(OriginRefused) as caught:
        normalize_origin(given)
    assert str(caught.value)


def test_the_list_is_normalised_and_deduplicated_in_order():
    assert normalize_embed_origins(
        ["https://B.example", "https://a.example/", "https://b.example:443", "https://a.example"]
    ) == ["https://b.example", "https://a.example"]
    assert normalize_embed_origins([]) == []


@pytest.mark.parametrize(
    "given",
    [None, "https://a.example", {"origin": "https://a.example"}, 3, True, ("https://a.example",)],
)
def test_not_a_list_is_refused(given):
    with pytest.raises(InvalidEmbedOrigins) as caught:
        normalize_embed_origins(given)
    assert caught.value.code == "invalid_embed_origins"
    assert "Must be a list" in caught.value.details["embed_origins"][0]


def test_every_bad_item_is_named_by_its_position():
    with pytest.raises(InvalidEmbedOrigins) as caught:
        normalize_embed_origins(["https://ok.example", 7, None, ["x"], "https://x.example/path"])
    problems = caught.value.details["embed_origins"]
    assert [p.split(":")[0].split(" (")[0] for p in problems] == [
        "Item 2",
        "Item 3",
        "Item 4",
        "Item 5",
    ]
    assert "must be a string" in problems[0]
    assert "'https://x.example/path'" in problems[3] and "no path" in problems[3]


def test_a_huge_item_is_refused_without_being_echoed_whole():
    with pytest.raises(InvalidEmbedOrigins) as caught:
        normalize_embed_origins(["https://" + "a" * 1_000_000])
    (problem,) = caught.value.details["embed_origins"]
    assert "longer than 300 characters" in problem and len(problem) < 200


def test_more_than_twenty_are_refused_even_duplicates():
    twenty = [f"https://s{n}.example" for n in range(MAX_EMBED_ORIGINS)]
    assert len(normalize_embed_origins(twenty)) == MAX_EMBED_ORIGINS
    with pytest.raises(InvalidEmbedOrigins) as caught:
        normalize_embed_origins([*twenty, "https://s0.example"])
    assert "At most 20 origins; 21 were given." in caught.value.details["embed_origins"]


@pytest.mark.django_db
def test_restaurant_update_stores_the_normal_form_and_replaces_the_list():
    restaurant = RestaurantFactory(embed_origins=["https://old.example"])
    services.restaurant_update(
        restaurant=restaurant,
        data={"embed_origins": ["HTTPS://Www.Casa.example/", "http://localhost:8000"]},
    )
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == ["https://www.casa.example", "http://localhost:8000"]
    services.restaurant_update(restaurant=restaurant, data={"embed_origins": []})
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == []


@pytest.mark.django_db
def test_restaurant_update_refuses_a_bad_list_and_changes_nothing():
    restaurant = RestaurantFactory(name="Casa", embed_origins=["https://old.example"])
    with pytest.raises(InvalidEmbedOrigins):
        services.restaurant_update(
            restaurant=restaurant,
            data={"name": "Renamed", "embed_origins": ["https://*.example"]},
        )
    restaurant.refresh_from_db()
    assert (restaurant.name, restaurant.embed_origins) == ("Casa", ["https://old.example"])


@pytest.mark.django_db
def test_restaurant_create_normalises_and_defaults_to_none():
    made = services.restaurant_create(
        name="Con", timezone="UTC", embed_origins=["https://Con.example:443"]
    )
    assert Restaurant.objects.get(pk=made.pk).embed_origins == ["https://con.example"]
    plain = services.restaurant_create(name="Sin", timezone="UTC")
    assert Restaurant.objects.get(pk=plain.pk).embed_origins == []
    with pytest.raises(InvalidEmbedOrigins):
        services.restaurant_create(name="Mal", timezone="UTC", embed_origins="https://x.example")
    assert not Restaurant.objects.filter(name="Mal").exists()


def test_the_snippet_escapes_what_it_quotes():
    assert embed_snippet(slug="casa", script_url="https://book.example/static/x.js") == (
        '<script src="https://book.example/static/x.js" data-restaurant="casa" async></script>'
    )
    assert '/&quot;&gt;&lt;x"' in embed_snippet(slug="casa", script_url='https://b.example/"><x')
