"""A staff invitation's email goes through the outbox like every email: recorded with the
invitation, delivered over SMTP (aiosmtpd) to the invited address with its set-password link
and the request's X-Request-ID; the link from the received email is what accepts; an email
still queued when its invitation can no longer be accepted is not sent."""

import re

import pytest

from notifications import delivery
from notifications.models import Notification
from restaurants.models import StaffInvitation, StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"(http://testserver/invitations/[^/\s]+/)")


@pytest.fixture
def restaurant():
    return RestaurantFactory(name="Casa Uno", email="hola@casa-uno.example")


@pytest.fixture
def invite(api_client, restaurant, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    api_client.force_authenticate(
        StaffMembershipFactory(restaurant=restaurant, role="manager").user
    )

    def make(email="nora@example.com", role="host", **headers):
        response = api_client.post(
            f"/api/restaurants/{restaurant.pk}/invitations/",
            {"email": email, "role": role},
            **headers,
        )
        assert response.status_code == 201, response.json()
        return StaffInvitation.objects.get(pk=response.json()["id"])

    return make


def test_the_invitation_email_reaches_the_address_with_a_working_link(
    invite, smtp_settings, client, restaurant
):
    invitation = invite(role="manager", HTTP_X_REQUEST_ID="invite-42")
    row = Notification.objects.get(invitation=invitation)
    assert row.request_id == "invite-42"
    assert delivery.notification_deliver(notification_id=row.pk)[0] == "sent"
    (message,) = smtp_settings.messages
    assert message["To"] == "nora@example.com"
    assert message["Subject"] == "You are invited to the staff of Casa Uno"
    assert message["Reply-To"] == "hola@casa-uno.example"
    assert message["X-Request-ID"] == "invite-42"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "You are invited to manage Casa Uno" in body
    url = LINK.search(body)[1]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert url in html.get_payload(decode=True).decode()

    path = url.removeprefix("http://testserver")
    accepted = client.post(path, {"password": "a-fine-long-password-7"})
    assert accepted.status_code == 200
    membership = StaffMembership.objects.get(user__email="nora@example.com")
    assert (membership.restaurant, membership.role) == (restaurant, "manager")
    row.refresh_from_db()
    assert row.status == "sent" and row.reservation_id is None


def test_an_email_queued_for_an_accepted_or_withdrawn_invitation_is_not_sent(
    invite, smtp_settings, api_client
):
    withdrawn = invite(email="a@example.com")
    accepted = invite(email="b@example.com")
    restaurant_id = withdrawn.restaurant_id
    api_client.delete(f"/api/restaurants/{restaurant_id}/invitations/{withdrawn.pk}/")
    from restaurants.invitations import invitation_accept, invitation_token

    invitation_accept(token=invitation_token(accepted), password="a-fine-long-password-7")
    for invitation in (withdrawn, accepted):
        row = Notification.objects.get(invitation=invitation)
        assert delivery.notification_deliver(notification_id=row.pk)[0] == "skipped"
        row.refresh_from_db()
        assert row.status == "failed" and "accepted or withdrawn" in row.last_error
    assert smtp_settings.messages == []


def test_invitation_emails_stay_out_of_the_guest_emails_api(invite, api_client):
    from customers.tests.factories import UserFactory

    invite()
    api_client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    response = api_client.get("/api/notifications/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert Notification.objects.filter(kind="invitation").count() == 1


def test_the_email_is_in_the_inviters_language(invite, smtp_settings):
    invitation = invite(HTTP_ACCEPT_LANGUAGE="es")
    assert invitation.language == "es"
    row = Notification.objects.get(invitation=invitation)
    delivery.notification_deliver(notification_id=row.pk)
    (message,) = smtp_settings.messages
    assert message["Content-Language"] == "es"
