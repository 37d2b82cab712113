"""The guest's manage link: the page and its API twins, no login, the guest's rules."""

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from reservations.models import Reservation
from reservations.tests.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(book):
    return book()


def test_api_reads_the_reservation_by_token_without_login(api_client, held):
    response = api_client.get(f"/api/reservations/manage/{held.manage_token}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(held.pk) and body["status"] == "pending"


def test_a_wrong_token_is_404_revealing_nothing(api_client, held):
    wrong = "x" * len(held.manage_token)
    for path in ("", "confirm/", "cancel/"):
        method = api_client.get if not path else api_client.post
        response = method(f"/api/reservations/manage/{wrong}/{path}")
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "message": "Reservation not found.",
            "details": {},
        }
    held.refresh_from_db()
    assert held.status == "pending"


@pytest.mark.parametrize("token", ["%00", "abc%00def" * 3, "..%2F..%2Fetc", "short"])
def test_a_malformed_token_is_a_json_404_never_a_500(api_client, client, held, token):
    response = api_client.get(f"/api/reservations/manage/{token}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/r/{token}/").status_code == 404


def test_api_confirm_then_cancel_with_a_reason(api_client, held):
    base = f"/api/reservations/manage/{held.manage_token}/"
    confirmed = api_client.post(base + "confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    cancelled = api_client.post(base + "cancel/", {"reason": "Change of plans"})
    assert cancelled.status_code == 200
    held.refresh_from_db()
    assert held.status == "cancelled" and held.cancellation_reason == "Change of plans"


def test_api_confirm_of_a_lapsed_hold_is_409_expired(api_client, held, clock):
    clock.move_to(NOW + timedelta(minutes=16))
    response = api_client.post(f"/api/reservations/manage/{held.manage_token}/confirm/")
    assert response.status_code == 409
    assert response.json()["code"] == "reservation_expired"


def test_api_guest_rules_apply_no_cancel_after_start(api_client, held, clock):
    api_client.post(f"/api/reservations/manage/{held.manage_token}/confirm/")
    clock.move_to(held.start_at + timedelta(minutes=1))
    response = api_client.post(f"/api/reservations/manage/{held.manage_token}/cancel/")
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.status == "confirmed"


def test_page_shows_the_local_time_and_buttons(client, held):
    page = client.get(f"/r/{held.manage_token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert held.restaurant.name in html
    assert "19:00" in html and "Europe/Madrid" in html
    assert "Confirm</button>" in html
    assert f'href="/r/{held.manage_token}/cancel/">Cancel reservation</a>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_cancelling_asks_first_and_only_a_post_cancels(client, held):
    ask = client.get(f"/r/{held.manage_token}/cancel/")
    assert ask.status_code == 200
    html = ask.content.decode()
    assert "Cancel your reservation?" in html and "Yes, cancel the reservation</button>" in html
    assert '<label for="id_reason">' in html
    held.refresh_from_db()
    assert held.status == Reservation.Status.PENDING  # asking changed nothing
    client.post(f"/r/{held.manage_token}/cancel/", {"reason": "Plans changed"})
    held.refresh_from_db()
    assert (held.status, held.cancellation_reason) == (
        Reservation.Status.CANCELLED,
        "Plans changed",
    )
    # Nothing left to cancel: the question is not asked again.
    again = client.get(f"/r/{held.manage_token}/cancel/")
    assert again.status_code == 302 and again.url == f"/r/{held.manage_token}/"


def test_page_shows_the_guests_notes_and_allergies(client, held):
    Reservation.objects.filter(pk=held.pk).update(notes="Terrace", allergies="shellfish")
    html = client.get(f"/r/{held.manage_token}/").content.decode()
    assert "Your notes: Terrace" in html and "Allergies: shellfish" in html


def test_the_manage_page_in_spanish(client, held):
    html = client.get(f"/r/{held.manage_token}/?lang=es").content.decode()
    assert '<html lang="es">' in html
    assert "Confirmar</button>" in html and "Cancelar reserva</a>" in html
    assert "Esperando tu confirmación" in html
    assert "sábado" in html  # the seed's Saturday, in Spanish
    # The date as the emails write it ("sábado 30 de agosto de 2025"), on the cancel step too.
    assert re.search(r"sábado \d{1,2} de [a-z]+ de \d{4}", html)
    cancel = client.get(f"/r/{held.manage_token}/cancel/?lang=es").content.decode()
    assert re.search(r"sábado \d{1,2} de [a-z]+ de \d{4}", cancel)


def test_page_confirm_and_cancel_post_through_the_services(client, held):
    response = client.post(f"/r/{held.manage_token}/confirm/", follow=True)
    assert response.status_code == 200
    assert "Your reservation is confirmed" in response.content.decode()
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED
    assert "Confirm</button>" not in response.content.decode()
    client.post(f"/r/{held.manage_token}/cancel/")
    held.refresh_from_db()
    assert held.status == Reservation.Status.CANCELLED


def test_page_shows_a_refusal_as_a_message(client, held, clock):
    clock.move_to(NOW + timedelta(minutes=16))
    response = client.post(f"/r/{held.manage_token}/confirm/", follow=True)
    assert "This hold lapsed before it was confirmed" in response.content.decode()
    held.refresh_from_db()
    assert held.status == "pending"
    spanish = client.post(f"/r/{held.manage_token}/confirm/?lang=es", follow=True)
    assert "Esta reserva provisional caducó antes de confirmarse" in spanish.content.decode()


def test_manage_api_works_with_the_cache_down(api_client, held, monkeypatch):
    """The throttle counts in the cache; a cache that does not answer lets the guest through."""
    from django.core.cache.backends.redis import RedisCache

    from core import throttling

    down = RedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
    )
    monkeypatch.setattr(throttling.FailOpenAnonRateThrottle, "cache", down)
    response = api_client.post(f"/api/reservations/manage/{held.manage_token}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"


def test_page_post_needs_the_csrf_token(held):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/r/{held.manage_token}/confirm/").status_code == 403
    held.refresh_from_db()
    assert held.status == "pending"


def test_page_with_a_wrong_token_is_404(client, held):
    wrong = "y" * len(held.manage_token)
    assert client.get(f"/r/{wrong}/").status_code == 404
    assert client.post(f"/r/{wrong}/confirm/").status_code == 404


def test_page_offers_no_cancel_after_the_start_and_no_confirm_once_lapsed(client, held, clock):
    clock.move_to(NOW + timedelta(minutes=16))  # the hold lapsed: nothing to confirm
    html = client.get(f"/r/{held.manage_token}/").content.decode()
    assert "Confirm</button>" not in html
    assert "expired" in html


def test_page_offers_no_cancel_once_started(api_client, client, held, clock):
    api_client.post(f"/api/reservations/manage/{held.manage_token}/confirm/")
    clock.move_to(held.start_at + timedelta(minutes=1))
    html = client.get(f"/r/{held.manage_token}/").content.decode()
    assert "Cancel reservation</a>" not in html and "Confirm</button>" not in html


@pytest.mark.parametrize("reason", ["\x00", "a\x00b"])
def test_a_nul_in_the_cancel_reason_is_refused_on_the_page_and_the_api(
    client, api_client, held, reason
):
    page = client.post(f"/r/{held.manage_token}/cancel/", {"reason": reason}, follow=True)
    assert page.status_code == 200
    assert "Your reason cannot contain that character; please retype it." in page.content.decode()
    api = api_client.post(
        f"/api/reservations/manage/{held.manage_token}/cancel/", {"reason": reason}
    )
    assert api.status_code == 400
    held.refresh_from_db()
    assert held.status == "pending"


# --- the miss limit (reservations.manage_link): the page and its API twin share it -----------

ATTACKER = "203.0.113.7"


def miss_page(client, held, address=ATTACKER, times=1):
    wrong = "z" * len(held.manage_token)
    for _ in range(times):
        response = client.get(f"/r/{wrong}/", REMOTE_ADDR=address)
    return response


def test_page_misses_from_one_address_end_in_429(client, held, settings):
    assert settings.MANAGE_LINK_MISSES_PER_ADDRESS == 20  # the documented default
    assert miss_page(client, held, times=20).status_code == 404
    page = miss_page(client, held)
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= settings.MANAGE_LINK_MISS_WINDOW_SECONDS
    assert "Too many attempts" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")


def test_a_valid_token_is_served_even_from_an_address_over_its_limit(client, held):
    """Someone else's misses behind the same address (an office NAT) never block a guest."""
    assert miss_page(client, held, times=21).status_code == 429
    url = f"/r/{held.manage_token}/"
    assert client.get(url, REMOTE_ADDR=ATTACKER).status_code == 200
    assert client.post(url + "confirm/", REMOTE_ADDR=ATTACKER).status_code == 302
    held.refresh_from_db()
    assert held.status == "confirmed"
    assert miss_page(client, held).status_code == 429  # misses from there still are not


def test_a_valid_token_is_never_blocked_by_other_addresses_misses(client, held):
    for address in ("203.0.113.7", "203.0.113.8", "2001:db8::1"):
        assert miss_page(client, held, address=address, times=25).status_code == 429
    url = f"/r/{held.manage_token}/"
    assert client.get(url).status_code == 200
    assert client.post(url + "confirm/").status_code == 302
    held.refresh_from_db()
    assert held.status == "confirmed"


def test_only_misses_count(client, held):
    for _ in range(30):
        assert client.get(f"/r/{held.manage_token}/", REMOTE_ADDR=ATTACKER).status_code == 200
    assert miss_page(client, held, times=20).status_code == 404
    assert miss_page(client, held).status_code == 429


def test_page_and_api_share_one_miss_budget(client, api_client, held):
    wrong = "z" * len(held.manage_token)
    miss_page(client, held, times=10)
    for _ in range(10):
        api_client.get(f"/api/reservations/manage/{wrong}/", REMOTE_ADDR=ATTACKER)
    response = api_client.get(f"/api/reservations/manage/{wrong}/", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and set(body) == {"code", "message", "details"}
    assert int(response["Retry-After"]) > 0
    assert miss_page(client, held).status_code == 429
    assert api_client.get(f"/api/reservations/manage/{held.manage_token}/").status_code == 200


def test_page_works_with_the_cache_down(client, held, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from core import throttling

    down = RedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
    )
    monkeypatch.setattr(throttling.AttemptLimit, "cache", down)
    assert client.get(f"/r/{held.manage_token}/").status_code == 200
    assert miss_page(client, held).status_code == 404


def test_page_has_the_strict_content_security_policy_and_nothing_inline(client, held):
    from core.tests.test_security_headers import assert_assets_served, assert_strict_scripts, policy

    response = client.get(f"/r/{held.manage_token}/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    csp = policy(response)
    assert csp["style-src"] == ["'self'"] and csp["form-action"] == ["'self'"]
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html  # the policy would block them
    assert_assets_served(client, response)
    throttled = miss_page(client, held, times=21)
    assert throttled.status_code == 429 and policy(throttled)["style-src"] == ["'self'"]
    assert "style=" not in throttled.content.decode()


def test_a_guessed_token_with_a_bad_cancel_body_counts_as_a_miss(api_client, held, settings):
    settings.MANAGE_LINK_MISSES_PER_ADDRESS = 2
    guess = "x" * len(held.manage_token)
    for _ in range(2):
        response = api_client.post(
            f"/api/reservations/manage/{guess}/cancel/", {"reason": 5}, REMOTE_ADDR=ATTACKER
        )
        assert response.status_code == 404
    response = api_client.post(
        f"/api/reservations/manage/{guess}/cancel/", {"reason": 5}, REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 429


def test_a_confirmed_reservation_downloads_as_a_calendar_file(client, held):
    page = f"/r/{held.manage_token}/"
    ics = f"{page}reservation.ics"
    assert client.get(ics).status_code == 404  # a hold may still lapse
    assert "reservation.ics" not in client.get(page).content.decode()

    client.post(f"{page}confirm/")
    assert f'href="{ics}" download>' in client.get(page).content.decode()
    response = client.get(ics + "?lang=es")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar"
    assert 'filename="reservation.ics"' in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == held.start_at
    assert str(event["summary"]).startswith(f"Mesa para {held.party_size} en ")
    assert str(event["uid"]).startswith(f"{held.pk}@")

    client.post(f"{page}cancel/")
    assert client.get(ics).status_code == 404
    assert client.get(f"/r/{'x' * 43}/reservation.ics").status_code == 404
