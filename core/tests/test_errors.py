"""The one exception handler turns every error into {"code", "message", "details"}."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf

from core.errors import Conflict, NotFound, SlotLocked, SlotUnavailable, ValidationFailed
from core.exception_handler import api_exception_handler


def handle(exc):
    return api_exception_handler(exc, {"view": None})


def test_application_error_carries_code_status_and_details():
    response = handle(SlotUnavailable("Taken.", details={"start_at": "x"}))
    assert response.status_code == 409
    assert response.data == {
        "code": "slot_unavailable",
        "message": "Taken.",
        "details": {"start_at": "x"},
    }


def test_locked_sets_retry_after():
    response = handle(SlotLocked())
    assert response.status_code == 423
    assert response["Retry-After"] == "1"
    assert response.data["code"] == "slot_locked"


def test_field_validation_error_names_the_field():
    response = handle(ValidationFailed.field("party_size", "Too many."))
    assert response.status_code == 400
    assert response.data["details"] == {"party_size": ["Too many."]}


def test_drf_validation_error_puts_field_errors_under_details():
    response = handle(drf.ValidationError({"email": ["Enter a valid email address."]}))
    assert response.data["code"] == "validation_error"
    assert response.data["details"] == {"email": ["Enter a valid email address."]}


def test_django_validation_error_becomes_400():
    response = handle(DjangoValidationError({"timezone": ["Unknown."]}))
    assert response.status_code == 400
    assert response.data["details"] == {"timezone": ["Unknown."]}


def test_throttled_has_its_code_and_wait():
    response = handle(drf.Throttled(wait=7))
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response.data["details"] == {"retry_after": 7}


def test_not_found_application_error():
    response = handle(NotFound())
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


def test_unexpected_exception_is_a_500_in_the_same_shape(caplog):
    response = handle(RuntimeError("boom"))
    assert response.status_code == 500
    assert response.data == {
        "code": "server_error",
        "message": "An unexpected error occurred.",
        "details": {},
    }
    assert "boom" not in str(response.data)


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (drf.NotAuthenticated(), "not_authenticated", 401),
        (drf.AuthenticationFailed(), "not_authenticated", 401),
        (drf.PermissionDenied(), "permission_denied", 403),
        (drf.MethodNotAllowed("PUT"), "method_not_allowed", 405),
        (drf.UnsupportedMediaType("text/xml"), "unsupported_media_type", 415),
    ],
)
def test_drf_errors_map_to_codes(exc, code, status):
    response = handle(exc)
    assert response.status_code == status
    assert response.data["code"] == code


def test_a_deadlock_is_a_409_concurrent_change_not_a_500():
    import psycopg
    from django.db import OperationalError

    try:
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected()
    except OperationalError as exc:
        response = handle(exc)
    assert response.status_code == 409
    assert response.data["code"] == "concurrent_change"


def test_other_database_errors_stay_500():
    from django.db import OperationalError

    response = handle(OperationalError("database is locked"))  # no psycopg cause: SQLite's
    assert response.status_code == 500
    assert response.data["code"] == "server_error"


def _wrapped(django_error, cause):
    try:
        raise django_error(str(cause)) from cause
    except django_error as exc:
        return exc


@pytest.mark.parametrize(
    "cause",
    [
        "admin_shutdown",  # pg_terminate_backend, a fast shutdown of the server
        "wire",  # "server closed the connection unexpectedly": no SQLSTATE
        "connection_failure",  # class 08
    ],
)
def test_a_lost_database_connection_is_503_with_retry_after(cause, caplog):
    import psycopg
    from django.db import OperationalError

    error = {
        "admin_shutdown": psycopg.errors.AdminShutdown,
        "wire": psycopg.OperationalError,
        "connection_failure": psycopg.errors.ConnectionFailure,
    }[cause]("terminating connection")
    response = handle(_wrapped(OperationalError, error))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["code"] == "service_unavailable"
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_a_closed_connection_is_503_too():
    from django.db import InterfaceError

    response = handle(InterfaceError("connection already closed"))
    assert response.status_code == 503
    assert response.data["code"] == "service_unavailable"


def test_a_statement_error_is_not_mistaken_for_a_lost_connection():
    import psycopg
    from django.db import OperationalError

    response = handle(_wrapped(OperationalError, psycopg.errors.QueryCanceled("timeout")))
    assert response.status_code == 500


def test_lone_surrogates_echoed_in_an_error_become_replacement_characters():
    import orjson

    response = handle(
        drf.ValidationError({"\ud800key": ["Unknown field: \udfff."], "ok": ["Fine."]})
    )
    assert response.data["details"] == {"\ufffdkey": ["Unknown field: \ufffd."], "ok": ["Fine."]}
    orjson.dumps(response.data)  # renderable
    response = handle(Conflict("No such role: \ud800.", details={"role": "\ud800"}))
    assert response.data["message"] == "No such role: \ufffd."
    assert response.data["details"] == {"role": "\ufffd"}
