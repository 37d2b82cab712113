"""Inviting staff from the host stand (issue 17: managers invite hosts and managers through
the API and the host stand): who may, what is sent, and that nothing is granted before the
invited person accepts. Each permission cell: the host and the manager of R, the host of S,
a superuser, a guest account, someone not signed in."""

import pytest

from notifications.models import Notification
from restaurants.models import StaffInvitation, StaffMembership

pytestmark = pytest.mark.django_db

PAGE = "/host/casa/staff/"
INVITE = {"email": "New.Host@Casa.example", "role": "host"}


def _signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_a_manager_invites_an_address_and_its_email_is_written_to_the_outbox(
    client, staff, restaurant, who
):
    _signed_in(client, staff[who])
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Invite staff" in page.content.decode()

    response = client.post(PAGE, INVITE)

    assert response.status_code == 302
    assert response["Location"] == PAGE + "?sent=1"
    invitation = StaffInvitation.objects.get()
    assert (invitation.restaurant, invitation.email, invitation.role) == (
        restaurant,
        "new.host@casa.example",
        StaffMembership.Role.HOST,
    )
    assert invitation.invited_by == staff[who]
    email = Notification.objects.get(invitation=invitation)
    assert email.kind == Notification.Kind.INVITATION
    # Nothing is granted until the invited person follows the link.
    assert not StaffMembership.objects.filter(user__email="new.host@casa.example").exists()
    listed = client.get(PAGE + "?sent=1").content.decode()
    assert "Invitation sent." in listed
    assert "new.host@casa.example" in listed


def test_a_manager_may_invite_another_manager(client, staff, restaurant):
    _signed_in(client, staff["manager"])
    client.post(PAGE, {"email": "second@casa.example", "role": "manager"})
    assert StaffInvitation.objects.get().role == StaffMembership.Role.MANAGER


@pytest.mark.parametrize("role", ["superuser", "owner", ""])
def test_no_other_role_can_be_asked_for(client, staff, role):
    _signed_in(client, staff["manager"])
    response = client.post(PAGE, {"email": "x@casa.example", "role": role})
    assert response.status_code == 400
    assert not StaffInvitation.objects.exists()


def test_an_address_already_on_the_staff_is_refused_next_to_the_field(client, staff):
    _signed_in(client, staff["manager"])
    response = client.post(PAGE, {"email": "host@casa.example", "role": "manager"})
    assert response.status_code == 400
    assert "This address already works here." in response.content.decode()
    assert not StaffInvitation.objects.exists()


@pytest.mark.parametrize("email", ["not an address", "a@" + "b" * 260 + ".com", "x\x00@y.com"])
def test_a_bad_address_is_a_form_error(client, staff, email):
    _signed_in(client, staff["manager"])
    response = client.post(PAGE, {"email": email, "role": "host"})
    assert response.status_code == 400
    assert not StaffInvitation.objects.exists()


def test_a_host_of_the_restaurant_may_not_invite(client, staff):
    _signed_in(client, staff["host"])
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, INVITE).status_code == 403
    assert not StaffInvitation.objects.exists()
    assert "Invite staff" not in client.get("/host/casa/").content.decode()


@pytest.mark.parametrize("who", ["other_host", "guest"])
def test_anyone_else_signed_in_gets_the_host_stands_404(client, staff, who):
    _signed_in(client, staff[who])
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, INVITE).status_code == 404
    assert not StaffInvitation.objects.exists()


def test_someone_not_signed_in_is_sent_to_sign_in(client, staff):
    response = client.post(PAGE, INVITE)
    assert response.status_code == 302
    assert response["Location"].startswith("/host/?next=")
    assert not StaffInvitation.objects.exists()


def _invite(client, manager, email="later@casa.example") -> StaffInvitation:
    _signed_in(client, manager)
    client.post(PAGE, {"email": email, "role": "host"})
    return StaffInvitation.objects.get(email=email)


def test_a_manager_withdraws_an_open_invitation(client, staff):
    invitation = _invite(client, staff["manager"])
    response = client.post(f"{PAGE}invitations/{invitation.pk}/withdraw/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "later@casa.example" not in client.get(PAGE).content.decode()


def test_another_restaurants_invitation_cannot_be_withdrawn_from_here(client, staff):
    other = staff["other_restaurant"]
    foreign = StaffInvitation.objects.create(
        restaurant=other,
        email="theirs@otra.example",
        role="host",
        nonce="n" * 40,
        expires_at="2999-01-01T00:00:00Z",
    )
    _signed_in(client, staff["manager"])
    response = client.post(f"{PAGE}invitations/{foreign.pk}/withdraw/")
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    assert "theirs@otra.example" not in client.get(PAGE).content.decode()


@pytest.mark.parametrize("who", ["host", "other_host", "guest"])
def test_withdrawing_is_for_managers_only(client, staff, who):
    invitation = _invite(client, staff["manager"])
    client.logout()
    _signed_in(client, staff[who])
    assert client.post(f"{PAGE}invitations/{invitation.pk}/withdraw/").status_code in (403, 404)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_invite_form_needs_the_csrf_token(staff):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff["manager"])
    assert strict.get(PAGE).status_code == 200
    assert strict.post(PAGE, INVITE).status_code == 403
    assert not StaffInvitation.objects.exists()
