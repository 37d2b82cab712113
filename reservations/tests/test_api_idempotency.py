"""Idempotency-Key on the booking and the guest's and staff's confirm/cancel POSTs: a retry is
answered with the first answer and books nothing twice; another request with the key is 422;
a duplicate of a running request waits or is 409; keys are the caller's; they lapse after
24 h; a crashed request's key is freed by its lease."""

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core import locking
from core.idempotency import (
    caller_scope,
    idempotency_claim,
    idempotency_records_purge,
    request_fingerprint,
)
from core.models import IdempotencyRecord
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.models import Reservation
from reservations.services import table_guard
from reservations.tests.factories import NOW, SEED_DATE, put_in_status
from restaurants.tests.factories import TableFactory

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
REPLAYED = "Idempotent-Replayed"


@pytest.fixture
def second_table(restaurant):
    return TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=1)


@pytest.fixture
def body(restaurant):
    """A guest booking for themselves without ``table_id``: a plain retry of it would take the
    next free table."""
    return {
        "restaurant_id": restaurant.pk,
        "reservation_date": "2025-08-30",
        "reservation_time": "19:00",
        "party_size": 2,
    }


@pytest.fixture
def as_guest(api_client, guest_user):
    api_client.force_authenticate(guest_user)
    return api_client


def post(client, path, data=None, key="key-1"):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, data, format="json", headers=headers)


def another_guest(restaurant):
    user = UserFactory()
    CustomerFactory(user=user, email=user.email, created_by_restaurant=restaurant)
    return user


# --- replay ----------------------------------------------------------------------------------


def test_a_retried_booking_is_answered_again_and_books_nothing_twice(
    as_guest, body, clock, table, second_table
):
    first = post(as_guest, URL, body)
    again = post(as_guest, URL, body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    assert Reservation.objects.count() == 1
    # Without a key the same retry is a second booking, on the other table.
    assert post(as_guest, URL, body, key=None).status_code == 201
    assert Reservation.objects.count() == 2


def test_the_same_body_in_another_key_order_and_spacing_is_the_same_request(
    as_guest, body, clock, table, second_table
):
    first = post(as_guest, URL, body)
    raw = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = as_guest.post(
        URL, raw, content_type="application/json", headers={"Idempotency-Key": "key-1"}
    )
    assert again.status_code == 201 and again.headers[REPLAYED] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Reservation.objects.count() == 1


def test_the_same_key_with_another_request_is_422_and_runs_nothing(
    as_guest, body, clock, table, second_table
):
    first = post(as_guest, URL, body)
    other_body = post(as_guest, URL, {**body, "party_size": 3})
    assert other_body.status_code == 422
    assert other_body.json() == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used for a different request; use a new key.",
        "details": {},
    }
    # The same key on another endpoint is another request too.
    other_path = post(as_guest, f"{URL}{first.json()['id']}/cancel/", {})
    assert other_path.status_code == 422
    assert Reservation.objects.get().status == Reservation.Status.PENDING
    assert Reservation.objects.count() == 1


def test_keys_are_scoped_to_the_caller(
    api_client, guest_user, restaurant, body, clock, table, second_table
):
    other_user = another_guest(restaurant)
    answers = {}
    for user in (guest_user, other_user, guest_user, other_user):
        api_client.force_authenticate(user)
        response = post(api_client, URL, body, key="shared-key")
        assert response.status_code == 201
        answers.setdefault(user.pk, []).append(response)
    for first, again in answers.values():
        assert REPLAYED not in first.headers and again.headers[REPLAYED] == "true"
        assert again.json()["id"] == first.json()["id"]
    mine, theirs = (responses[0].json() for responses in answers.values())
    assert mine["id"] != theirs["id"] and mine["customer_id"] != theirs["customer_id"]
    assert Reservation.objects.count() == 2


def test_a_final_client_error_is_replayed_even_after_the_slot_frees(
    as_guest, book, body, clock, table
):
    taken = book()
    refused = post(as_guest, URL, body)
    assert refused.status_code == 409 and refused.json()["code"] == "slot_unavailable"
    put_in_status(taken, Reservation.Status.CANCELLED)
    again = post(as_guest, URL, body)
    assert again.status_code == 409 and again.headers[REPLAYED] == "true"
    assert again.content == refused.content
    assert Reservation.objects.count() == 1


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_a_locked_slot_is_not_kept_so_the_retry_runs_again(as_guest, body, clock, table):
    with locking.redis_lock(table_guard.lock_name(table.pk, SEED_DATE)):
        locked = post(as_guest, URL, body)
    assert locked.status_code == 423 and REPLAYED not in locked.headers
    assert not IdempotencyRecord.objects.exists()
    booked = post(as_guest, URL, body)
    assert booked.status_code == 201 and REPLAYED not in booked.headers
    again = post(as_guest, URL, body)
    assert again.headers[REPLAYED] == "true" and again.content == booked.content
    assert Reservation.objects.count() == 1


def test_answers_before_the_view_are_not_kept(api_client, guest_user, body, clock, table):
    anonymous = post(api_client, URL, body)
    assert anonymous.status_code == 401
    api_client.force_authenticate(guest_user)
    booked = post(api_client, URL, body)
    assert booked.status_code == 201 and REPLAYED not in booked.headers
    assert post(api_client, URL, body).headers[REPLAYED] == "true"
    assert Reservation.objects.count() == 1


# --- the transitions -------------------------------------------------------------------------


def test_a_retried_guest_cancel_by_manage_token_is_replayed(api_client, book, clock):
    held = book()
    path = f"{URL}manage/{held.manage_token}/cancel/"
    first = post(api_client, path, {"reason": "ill"})
    again = post(api_client, path, {"reason": "ill"})
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert again.status_code == 200 and again.headers[REPLAYED] == "true"
    assert again.content == first.content
    # Without the key the retry is refused: the reservation is cancelled already.
    assert post(api_client, path, {"reason": "ill"}, key=None).status_code == 409


def test_a_retried_guest_confirm_by_manage_token_is_replayed(api_client, book, clock):
    held = book()
    path = f"{URL}manage/{held.manage_token}/confirm/"
    first = post(api_client, path)
    again = post(api_client, path)
    assert first.status_code == 200 and first.json()["status"] == "confirmed"
    assert again.status_code == 200 and again.headers[REPLAYED] == "true"
    assert again.content == first.content


def test_manage_token_keys_belong_to_their_token(api_client, book, clock, second_table):
    one = book()
    two = book(table_id=second_table.pk)
    for replayed, held in ((None, one), (None, two), ("true", one), ("true", two)):
        response = post(api_client, f"{URL}manage/{held.manage_token}/confirm/", key="same")
        assert response.status_code == 200
        assert response.headers.get(REPLAYED) == replayed
        assert response.json()["id"] == str(held.pk)
    assert set(Reservation.objects.values_list("status", flat=True)) == {"confirmed"}
    scopes = list(IdempotencyRecord.objects.values_list("scope", flat=True))
    assert len(scopes) == 2
    # The table keeps digests, never a usable token.
    assert not any(held.manage_token in scope for scope in scopes for held in (one, two))


def test_a_token_that_names_no_reservation_keeps_no_answer(api_client, book, clock):
    held = book()
    for action in ("confirm", "cancel"):
        for key in ("k-1", "k-2", "k-1"):
            missed = post(api_client, f"{URL}manage/{'x' * 43}/{action}/", key=key)
            assert missed.status_code == 404 and missed.json()["code"] == "not_found"
            assert REPLAYED not in missed.headers
    assert not IdempotencyRecord.objects.exists()
    # A real token still takes keys.
    post(api_client, f"{URL}manage/{held.manage_token}/confirm/", key="k-1")
    assert IdempotencyRecord.objects.count() == 1


def test_stored_answers_hold_no_manage_token_and_replays_still_carry_it(
    api_client, guest_user, staff_user, book, body, clock, table, second_table
):
    api_client.force_authenticate(guest_user)
    booked = post(api_client, URL, body, key="book")
    api_client.force_authenticate(None)
    held = book(table_id=second_table.pk)
    manage = f"{URL}manage/{held.manage_token}/confirm/"
    confirmed = post(api_client, manage, key="manage")
    api_client.force_authenticate(staff_user)
    staff_path = f"{URL}{held.pk}/cancel/"
    cancelled = post(api_client, staff_path, {"reason": "closed"}, key="staff")
    tokens = {booked.json()["manage_token"], held.manage_token}
    assert len(tokens) == 2 and all(tokens)
    bodies = list(IdempotencyRecord.objects.values_list("response_body", flat=True))
    assert len(bodies) == 3
    assert not any(token in stored for stored in bodies for token in tokens)

    for path, data, key, first in (
        (staff_path, {"reason": "closed"}, "staff", cancelled),
        (manage, None, "manage", confirmed),
    ):
        again = post(api_client, path, data, key=key)
        assert again.headers[REPLAYED] == "true" and again.content == first.content
    api_client.force_authenticate(guest_user)
    again = post(api_client, URL, body, key="book")
    assert again.headers[REPLAYED] == "true" and again.content == booked.content
    assert (
        again.json()["manage_token"] == Reservation.objects.get(pk=booked.json()["id"]).manage_token
    )


def test_an_upload_is_compared_by_its_content(api_client, book, clock):
    held = book()
    path = f"{URL}manage/{held.manage_token}/cancel/"

    def send(content: bytes):
        data = {"reason": "ill", "note": SimpleUploadedFile("note.txt", content)}
        return api_client.post(path, data, format="multipart", headers={"Idempotency-Key": "up"})

    first = send(b"same bytes")  # the cancel body takes no file: a final 400
    assert first.status_code == 400 and first.json()["details"]["note"]
    again = send(b"same bytes")
    assert again.status_code == 400 and again.headers[REPLAYED] == "true"
    assert again.content == first.content
    # Another file under the same name is another request, not a replay.
    assert send(b"other bytes").json()["code"] == "idempotency_key_reused"


def test_the_fingerprint_of_an_upload_is_its_content():
    def fingerprint(content: bytes) -> str:
        upload = SimpleUploadedFile("a.bin", content)
        digest = request_fingerprint(method="POST", path="/p/", data={"f": upload})
        assert upload.read() == content  # left readable for the view
        return digest

    assert fingerprint(b"one") == fingerprint(b"one") != fingerprint(b"two")


def test_the_caller_scope_refuses_a_view_without_a_login():
    anonymous = Request(APIRequestFactory().post("/api/reservations/"))
    with pytest.raises(ImproperlyConfigured):
        caller_scope(anonymous, {})


def test_a_retried_staff_cancel_is_replayed(api_client, staff_user, book, clock):
    held = book()
    api_client.force_authenticate(staff_user)
    path = f"{URL}{held.pk}/cancel/"
    first = post(api_client, path, {"reason": "closed"})
    again = post(api_client, path, {"reason": "closed"})
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert again.status_code == 200 and again.headers[REPLAYED] == "true"
    assert again.content == first.content


def test_a_retried_guest_confirm_is_replayed(as_guest, book, clock):
    held = book()
    path = f"{URL}{held.pk}/confirm/"
    first = post(as_guest, path)
    again = post(as_guest, path)
    assert first.status_code == 200 and first.json()["status"] == "confirmed"
    assert again.status_code == 200 and again.headers[REPLAYED] == "true"


# --- bad keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["", " ", "with space", "tab\there", "x" * 256, "caf\u00e9", "line\x7f"]
)
def test_a_malformed_key_is_400_and_nothing_is_written(as_guest, body, clock, table, key):
    response = post(as_guest, URL, body, key=key)
    assert response.status_code == 400
    assert response.json() == {
        "code": "idempotency_key_invalid",
        "message": "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
        "details": {},
    }
    assert not Reservation.objects.exists() and not IdempotencyRecord.objects.exists()


def test_an_unparsable_body_with_a_key_is_400_and_keeps_nothing(as_guest, body, clock, table):
    broken = as_guest.post(
        URL, "{not json", content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
    assert not IdempotencyRecord.objects.exists()
    booked = post(as_guest, URL, body, key="k")
    assert booked.status_code == 201 and REPLAYED not in booked.headers
    assert post(as_guest, URL, body, key="k").headers[REPLAYED] == "true"


def test_a_key_of_255_visible_characters_is_taken(as_guest, body, clock, table):
    key = ("!~" + "0123456789abcdef" * 16)[:255]
    assert post(as_guest, URL, body, key=key).status_code == 201
    assert post(as_guest, URL, body, key=key).headers[REPLAYED] == "true"


# --- time: the replay window and the lease ---------------------------------------------------


def test_a_key_is_replayed_for_24_hours_then_runs_again(
    as_guest, body, clock, table, second_table, settings
):
    first = post(as_guest, URL, body)
    clock.move_to(NOW + timedelta(hours=23, minutes=59))
    assert post(as_guest, URL, body).headers[REPLAYED] == "true"
    clock.move_to(NOW + timedelta(hours=24, minutes=1))
    later = post(as_guest, URL, body)
    assert later.status_code == 201 and REPLAYED not in later.headers
    assert later.json()["id"] != first.json()["id"]
    assert Reservation.objects.count() == 2


def test_a_duplicate_of_a_running_request_is_409_until_its_lease_ends(
    as_guest, guest_user, body, clock, table, settings
):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    # Another request with this key claimed it and is still running (or crashed).
    idempotency_claim(
        scope=f"user:{guest_user.pk}",
        key="key-1",
        request_hash=request_fingerprint(method="POST", path=URL, data=body),
    )
    busy = post(as_guest, URL, body)
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["Retry-After"] == "1"
    assert post(as_guest, URL, {**body, "party_size": 3}).status_code == 422
    assert not Reservation.objects.exists()
    # The lease (IDEMPOTENCY_LEASE_SECONDS) ends: the key is free again and the retry runs.
    clock.move_to(NOW + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS + 1))
    booked = post(as_guest, URL, body)
    assert booked.status_code == 201 and REPLAYED not in booked.headers
    assert Reservation.objects.count() == 1


def test_the_purge_deletes_only_lapsed_records(as_guest, body, clock, table, second_table):
    post(as_guest, URL, body, key="old")
    clock.move_to(NOW + timedelta(hours=12))
    post(as_guest, URL, {**body, "reservation_time": "21:00"}, key="new")
    assert idempotency_records_purge(now=NOW + timedelta(hours=24, seconds=1)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


# --- concurrency -----------------------------------------------------------------------------

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_book_exactly_once(guest_user, body, clock, table, second_table):
    from rest_framework.test import APIClient

    barrier = threading.Barrier(THREADS)
    responses, errors = [], []
    guard = threading.Lock()

    def worker() -> None:
        client = APIClient()
        client.force_authenticate(guest_user)
        try:
            barrier.wait(timeout=30)
            response = post(client, URL, body)
            with guard:
                responses.append(response)
        except BaseException as exc:
            with guard:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    outcomes = Counter(
        (r.status_code, r.json().get("code"), r.headers.get(REPLAYED)) for r in responses
    )
    assert outcomes[(201, None, None)] == 1, outcomes  # the one that ran
    # Every other waited for it and got its answer, or (slow machine) was told to retry.
    assert set(outcomes) <= {
        (201, None, None),
        (201, None, "true"),
        (409, "idempotency_in_progress", None),
    }
    assert sum(outcomes.values()) == THREADS
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert Reservation.objects.count() == 1


def test_the_schema_documents_the_header(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/reservations/",
        "/api/reservations/{reservation_id}/confirm/",
        "/api/reservations/{reservation_id}/cancel/",
        "/api/reservations/manage/{token}/confirm/",
        "/api/reservations/manage/{token}/cancel/",
    ):
        names = {p["name"] for p in schema["paths"][path]["post"]["parameters"]}
        assert "Idempotency-Key" in names, path
