"""Assertions the API tests of several apps share."""


def assert_refused(response, field, says):
    """A 400 ``validation_error`` naming ``field`` with a message that contains ``says``."""
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "validation_error", payload
    messages = payload["details"].get(field)
    assert messages, payload
    assert says in " ".join(messages), messages
