import pytest
from django.utils import timezone

from customers.tests.factories import UserFactory
from notifications.models import Notification
from restaurants.tests.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db


def make_notification(reservation, kind="confirmed", **fields):
    return Notification.objects.create(
        reservation=reservation,
        customer=reservation.customer,
        kind=kind,
        dedupe_key=f"{reservation.pk}:{kind}",
        scheduled_for=timezone.now(),
        **fields,
    )


def test_staff_see_their_restaurants_notifications_only(api_client, reservation_factory):
    mine = make_notification(reservation_factory())
    make_notification(reservation_factory())
    host = StaffMembershipFactory(restaurant=mine.reservation.restaurant).user
    api_client.force_authenticate(host)
    body = api_client.get("/api/notifications/").json()
    assert [n["id"] for n in body["results"]] == [mine.pk]


def test_guest_sees_own_notifications_filtered_by_reservation(api_client, reservation_factory):
    user = UserFactory()
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(user=user)
    first = make_notification(reservation_factory(customer=customer))
    second = make_notification(reservation_factory(customer=customer))
    make_notification(reservation_factory())
    api_client.force_authenticate(user)
    body = api_client.get("/api/notifications/").json()
    assert {n["id"] for n in body["results"]} == {first.pk, second.pk}
    filtered = api_client.get(f"/api/notifications/?reservation_id={first.reservation_id}")
    assert [n["id"] for n in filtered.json()["results"]] == [first.pk]


def test_bad_reservation_id_filter_is_400(api_client):
    api_client.force_authenticate(UserFactory())
    response = api_client.get("/api/notifications/?reservation_id=not-a-uuid")
    assert response.status_code == 400
    assert "reservation_id" in response.json()["details"]


def test_anonymous_is_401(api_client):
    assert api_client.get("/api/notifications/").status_code == 401


def test_notifications_are_read_only(api_client):
    api_client.force_authenticate(UserFactory(is_superuser=True))
    assert api_client.post("/api/notifications/", {}).status_code == 405


def test_admin_lists_with_filters_and_resends_a_failed_one(
    client, reservation_factory, django_capture_on_commit_callbacks
):
    failed = make_notification(reservation_factory(), status="failed", last_error="550")
    make_notification(reservation_factory(), kind="reminder", status="sent")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get("/admin/notifications/notification/?status__exact=failed")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [failed]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/notifications/notification/",
            {"action": "resend", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0
    assert len(callbacks) == 1
