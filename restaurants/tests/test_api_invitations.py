"""/api/restaurants/{id}/invitations/ and /api/invitations/{token}/: who may invite (one test
per cell), what an invitation grants (nothing until it is accepted; never more than manager
or host of that restaurant), and the link: signed, single use, expiring, replaced by a newer
invitation."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from customers.tests.factories import DEFAULT_PASSWORD, UserFactory
from notifications.models import Notification
from restaurants.invitations import invitation_create, invitation_token
from restaurants.models import StaffInvitation, StaffMembership
from restaurants.tests.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db
NEW = {"email": "Nora@Example.com", "role": "host"}
PASSWORD = "a-fine-long-password-7"


def url(restaurant, invitation_id=None):
    return f"/api/restaurants/{restaurant.pk}/invitations/" + (
        f"{invitation_id}/" if invitation_id else ""
    )


def link(invitation, action=""):
    return f"/api/invitations/{invitation_token(invitation)}/" + (f"{action}/" if action else "")


@pytest.fixture
def invitation(as_manager, restaurant):
    response = as_manager.post(url(restaurant), NEW)
    assert response.status_code == 201, response.json()
    as_manager.force_authenticate(None)
    return StaffInvitation.objects.get(pk=response.json()["id"])


# --- who may invite: one test per cell --------------------------------------------------------


def test_anonymous_cannot_invite(api_client, restaurant):
    response = api_client.post(url(restaurant), NEW)
    assert response.status_code == 401
    assert not StaffInvitation.objects.exists()


def test_a_guest_account_cannot_invite_and_learns_nothing(api_client, guest, restaurant):
    api_client.force_authenticate(guest)
    assert api_client.post(url(restaurant), NEW).status_code == 404
    assert api_client.get(url(restaurant)).status_code == 404
    assert not StaffInvitation.objects.exists()


def test_a_host_cannot_invite(api_client, host, restaurant):
    api_client.force_authenticate(host)
    response = api_client.post(url(restaurant), NEW)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api_client.get(url(restaurant)).status_code == 403
    assert not StaffInvitation.objects.exists()


def test_a_manager_of_another_restaurant_cannot_invite_here(
    api_client, restaurant, other_restaurant
):
    elsewhere = StaffMembershipFactory(restaurant=other_restaurant, role="manager").user
    api_client.force_authenticate(elsewhere)
    assert api_client.post(url(restaurant), {**NEW, "role": "manager"}).status_code == 404
    assert api_client.get(url(restaurant)).status_code == 404
    assert not StaffInvitation.objects.exists()


@pytest.mark.parametrize("role", ["host", "manager"])
def test_a_manager_invites_hosts_and_managers_of_their_restaurant(
    as_manager, manager, restaurant, role
):
    response = as_manager.post(url(restaurant), {**NEW, "role": role})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["email"], body["role"], body["status"]) == ("nora@example.com", role, "open")
    assert (body["restaurant_id"], body["invited_by_id"]) == (restaurant.pk, manager.pk)
    # Nothing is granted yet, and no account is made.
    assert not User.objects.filter(email="nora@example.com").exists()
    assert StaffMembership.objects.filter(restaurant=restaurant).count() == 1  # the manager
    # The email is in the outbox, with the invitation.
    row = Notification.objects.get(invitation_id=body["id"])
    assert row.kind == "invitation" and row.status == "pending" and row.reservation_id is None


def test_a_superuser_invites_anywhere(as_superuser, other_restaurant):
    response = as_superuser.post(url(other_restaurant), {**NEW, "role": "manager"})
    assert response.status_code == 201
    assert StaffInvitation.objects.get().restaurant == other_restaurant


@pytest.mark.parametrize("role", ["superuser", "owner", "admin", "", "MANAGER"])
def test_no_role_beyond_manager_or_host_can_be_granted(as_manager, restaurant, role):
    response = as_manager.post(url(restaurant), {**NEW, "role": role})
    assert response.status_code == 400
    assert "role" in response.json()["details"]
    assert not StaffInvitation.objects.exists()


def test_unknown_fields_and_bad_addresses_are_refused(as_manager, restaurant):
    extra = as_manager.post(url(restaurant), {**NEW, "is_superuser": True})
    assert extra.status_code == 400 and "is_superuser" in extra.json()["details"]
    bad = as_manager.post(url(restaurant), {**NEW, "email": "not-an-address"})
    assert bad.status_code == 400 and "email" in bad.json()["details"]
    other = as_manager.post(url(restaurant), {**NEW, "restaurant_id": 999})
    assert other.status_code == 400 and "restaurant_id" in other.json()["details"]


def test_inviting_someone_already_on_the_staff_is_409(as_manager, restaurant, host):
    response = as_manager.post(url(restaurant), {"email": host.email.upper(), "role": "manager"})
    assert response.status_code == 409
    assert response.json()["code"] == "already_staff"


def test_the_list_shows_this_restaurants_invitations_only(as_manager, restaurant, other_restaurant):
    as_manager.post(url(restaurant), NEW)
    theirs = invitation_create(
        restaurant=other_restaurant, email="x@example.com", role="host", invited_by=None
    )
    mine = StaffInvitation.objects.get(restaurant=restaurant)
    listed = as_manager.get(url(restaurant)).json()["results"]
    assert [i["id"] for i in listed] == [mine.pk]
    assert as_manager.get(url(restaurant, theirs.pk)).status_code == 404
    assert as_manager.delete(url(restaurant, theirs.pk)).status_code == 404
    assert StaffInvitation.objects.get(pk=theirs.pk).revoked_at is None


# --- the link ---------------------------------------------------------------------------------


def test_the_link_shows_the_invitation_without_login(api_client, invitation, restaurant):
    response = api_client.get(link(invitation))
    assert response.status_code == 200
    body = response.json()
    assert (body["restaurant_id"], body["restaurant_name"]) == (restaurant.pk, restaurant.name)
    assert (body["email"], body["role"], body["has_account"]) == ("nora@example.com", "host", False)


def test_accepting_creates_the_account_and_the_membership_once(api_client, invitation, restaurant):
    response = api_client.post(
        link(invitation, "accept"), {"password": PASSWORD, "first_name": "Nora"}
    )
    assert response.status_code == 201, response.json()
    user = User.objects.get(email="nora@example.com")
    assert user.is_active and user.check_password(PASSWORD) and user.first_name == "Nora"
    assert not user.is_staff and not user.is_superuser
    membership = StaffMembership.objects.get(user=user)
    assert (membership.restaurant, membership.role) == (restaurant, "host")
    assert response.json() == {
        "restaurant_id": restaurant.pk,
        "user_id": user.pk,
        "email": user.email,
        "role": "host",
    }
    again = api_client.post(link(invitation, "accept"), {"password": "another-password-9"})
    assert again.status_code == 410 and again.json()["code"] == "invitation_used"
    assert api_client.get(link(invitation)).json()["code"] == "invitation_used"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The token signs in with the new password.
    token = api_client.post("/api/auth/token/", {"email": user.email, "password": PASSWORD})
    assert token.status_code == 200


def test_a_new_account_needs_a_password_that_passes_the_validators(api_client, invitation):
    missing = api_client.post(link(invitation, "accept"), {})
    assert missing.status_code == 400 and "password" in missing.json()["details"]
    weak = api_client.post(link(invitation, "accept"), {"password": "12345678"})
    assert weak.status_code == 400 and "password" in weak.json()["details"]
    assert not User.objects.filter(email="nora@example.com").exists()
    assert api_client.post(link(invitation, "accept"), {"password": PASSWORD}).status_code == 201


def test_an_existing_account_joins_on_accepting_not_on_invitation(
    as_manager, api_client, restaurant
):
    nora = UserFactory(email="nora@example.com")
    as_manager.post(url(restaurant), NEW)
    invitation = StaffInvitation.objects.get()
    assert not StaffMembership.objects.filter(user=nora).exists()
    api_client.force_authenticate(None)
    assert api_client.get(link(invitation)).json()["has_account"] is True
    response = api_client.post(link(invitation, "accept"), {"password": "ignored-password-1"})
    assert response.status_code == 201
    nora.refresh_from_db()
    assert nora.check_password(DEFAULT_PASSWORD), "an existing account keeps its password"
    assert StaffMembership.objects.get(user=nora).role == "host"


def test_an_inactive_account_is_activated_with_the_new_password(as_manager, api_client, restaurant):
    dormant = UserFactory(email="nora@example.com", is_active=False)
    as_manager.post(url(restaurant), {**NEW, "role": "manager"})
    invitation = StaffInvitation.objects.get()
    assert api_client.post(link(invitation, "accept"), {"password": PASSWORD}).status_code == 201
    dormant.refresh_from_db()
    assert dormant.is_active and dormant.check_password(PASSWORD)
    assert StaffMembership.objects.get(user=dormant).role == "manager"


def test_a_tampered_or_unknown_link_is_404(api_client, invitation):
    token = invitation_token(invitation)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 40, invitation.nonce):
        response = api_client.post(f"/api/invitations/{bad}/accept/", {"password": PASSWORD})
        assert response.status_code == 404 and response.json()["code"] == "invitation_not_found"
    assert not User.objects.filter(email="nora@example.com").exists()


def test_an_expired_link_is_410(api_client, invitation, settings):
    later = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS, minutes=1)
    with time_machine.travel(later):
        response = api_client.post(link(invitation, "accept"), {"password": PASSWORD})
    assert response.status_code == 410 and response.json()["code"] == "invitation_expired"
    assert not StaffMembership.objects.filter(user__email="nora@example.com").exists()


def test_a_new_invitation_replaces_the_open_one_and_its_link(as_manager, api_client, restaurant):
    as_manager.post(url(restaurant), NEW)
    first = StaffInvitation.objects.get()
    as_manager.post(url(restaurant), {**NEW, "role": "manager"})
    assert StaffInvitation.objects.count() == 2
    old = api_client.post(link(first, "accept"), {"password": PASSWORD})
    assert old.status_code == 404
    newest = StaffInvitation.objects.exclude(pk=first.pk).get()
    assert api_client.post(link(newest, "accept"), {"password": PASSWORD}).status_code == 201
    assert StaffMembership.objects.get(user__email="nora@example.com").role == "manager"


def test_a_withdrawn_invitation_cannot_be_accepted(as_manager, api_client, restaurant):
    as_manager.post(url(restaurant), NEW)
    invitation = StaffInvitation.objects.get()
    assert as_manager.delete(url(restaurant, invitation.pk)).status_code == 204
    assert as_manager.get(url(restaurant, invitation.pk)).json()["status"] == "withdrawn"
    api_client.force_authenticate(None)
    assert api_client.post(link(invitation, "accept"), {"password": PASSWORD}).status_code == 404


def test_the_invitation_page_accepts_with_a_form(client, invitation, restaurant):
    page = client.get(f"/invitations/{invitation_token(invitation)}/")
    assert page.status_code == 200
    assert restaurant.name in page.content.decode() and 'type="password"' in page.content.decode()
    weak = client.post(f"/invitations/{invitation_token(invitation)}/", {"password": "123"})
    assert weak.status_code == 400
    done = client.post(
        f"/invitations/{invitation_token(invitation)}/", {"password": PASSWORD, "first_name": "N"}
    )
    assert done.status_code == 200 and "nora@example.com" in done.content.decode()
    assert 'href="/host/"' in done.content.decode()  # where staff sign in
    assert StaffMembership.objects.get(user__email="nora@example.com").restaurant == restaurant
    used = client.get(f"/invitations/{invitation_token(invitation)}/")
    assert used.status_code == 410
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_one_invitation_for_each_caller(api_client, restaurant, host, guest, other_restaurant):
    """GET and DELETE of one invitation: anonymous 401, a guest account and another
    restaurant's manager 404, a host 403; the invitation stays open after each refusal."""
    invitation = invitation_create(
        restaurant=restaurant, email="x@example.com", role="host", invited_by=None
    )
    elsewhere = StaffMembershipFactory(restaurant=other_restaurant, role="manager").user
    for user, status in ((None, 401), (guest, 404), (elsewhere, 404), (host, 403)):
        api_client.force_authenticate(user)
        assert api_client.get(url(restaurant, invitation.pk)).status_code == status, user
        assert api_client.delete(url(restaurant, invitation.pk)).status_code == status, user
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
