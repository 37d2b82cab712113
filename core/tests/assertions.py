"""Assertions the API tests of several apps share."""


def assert_refused(response, field, says):
    """A 400 ``validation_error`` naming ``field`` with a message that contains ``says``."""
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "validation_error", payload
    messages = payload["details"].get(field)
    assert messages, payload
    assert says in " ".join(messages), messages


# The Django admin, cell by cell (the admin-access tests of several apps).

ADMIN_ROLES = ["superuser", "manager_r", "manager_s", "host_r", "guest", "anonymous"]
ADMIN_KEPT_OUT = {"host_r", "guest", "anonymous"}


def assert_sent_to_login(response, path):
    """The admin's answer to someone who may not use it: its login, coming back to ``path``."""
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def assert_missing(response):
    """How Django's admin answers an object outside the queryset: back to the index, saying
    it does not exist (the same as for an id that never existed)."""
    from django.contrib.messages import get_messages

    assert response.status_code == 302 and response["Location"] == "/admin/"
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("doesn\u2019t exist" in m for m in said), said
