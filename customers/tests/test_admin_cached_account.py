"""An account the admin deletes in bulk (the changelist's "delete selected" action, a queryset
delete that never calls ``User.delete``) is forgotten by the API's account cache at once: a
token of it that was just let in is refused at the next request."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from customers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    return client


def test_a_token_of_an_account_deleted_from_the_changelist_is_refused_at_once(
    admin_client, settings
):
    settings.AUTH_ACCOUNT_CACHE_SECONDS = 300
    gone = UserFactory(email="gone@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(gone)}")
    assert api.get("/api/reservations/").status_code == 200  # the account is now cached
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=gone.pk).exists()
    assert api.get("/api/reservations/").status_code == 401
