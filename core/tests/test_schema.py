"""The OpenAPI schema is exact (core.schema): every operation documents its error answers in
the one error shape, strict bodies refuse unknown keys, times and blank e-mails are described
as the API reads and writes them, and fields only some callers get are optional."""

import re

import pytest

from core.errors import ApplicationError
from core.schema import error_codes_by_status
from core.serializers import TIME_PATTERN, StrictTimeField

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def json_schema_of(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
            assert "503" in errors, (method, path)
            for status, response in errors.items():
                if path == "/api/health/":
                    continue  # its 503 is the health report itself
                ref = json_schema_of(response)["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, status)
    error = component(schema, "#/components/schemas/Error")
    assert set(error["required"]) == {"code", "message", "details"}


def test_booking_documents_each_error_it_can_answer(schema):
    responses = schema["paths"]["/api/reservations/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "413", "415", "422", "423", "503"} <= set(responses)
    assert "Retry-After" in responses["423"]["headers"]
    assert "`locked`" in responses["423"]["description"]
    assert "`validation_error`" in responses["400"]["description"]


def test_statuses_follow_the_operation(schema):
    paths = schema["paths"]
    # No body, no query, no path parameter: no 400, 404, 413 or 415.
    assert set(paths["/api/health/"]["get"]["responses"]) == {"200", "503"}
    # Public, unauthenticated and throttled: no 401/403, but 429.
    manage = set(paths["/api/reservations/manage/{token}/"]["get"]["responses"])
    assert {"404", "429"} <= manage and not {"401", "403"} & manage
    # A login answers 401 for wrong credentials.
    assert "401" in paths["/api/auth/token/"]["post"]["responses"]
    # An account without a guest profile: 404 on its own profile.
    assert "404" in paths["/api/customers/me/"]["get"]["responses"]


def test_a_new_error_class_appears_under_its_status():
    class TooManyHolds(ApplicationError):
        code = "test_hold_limit"
        status = 429

    assert "test_hold_limit" in error_codes_by_status()[429]
    assert "throttled" in error_codes_by_status()[429]


def test_lists_are_documented_as_pages(schema):
    for path in ("/api/customers/", "/api/reservations/", "/api/restaurants/"):
        ok = schema["paths"][path]["get"]["responses"]["200"]
        page = component(schema, json_schema_of(ok)["$ref"])
        assert {"count", "next", "previous", "results"} <= set(page["properties"]), path


def test_strict_request_bodies_refuse_unknown_keys_in_the_schema(schema):
    body = schema["paths"]["/api/reservations/"]["post"]["requestBody"]
    create = component(schema, json_schema_of(body)["$ref"])
    assert create["additionalProperties"] is False
    patch = schema["paths"]["/api/restaurants/{restaurant_id}/tables/{table_id}/"]["patch"]
    assert (
        component(schema, json_schema_of(patch["requestBody"])["$ref"])["additionalProperties"]
        is False
    )


def test_times_are_hh_mm_not_rfc3339_time(schema):
    for name in ("Reservation", "ReservationCreateRequest", "OpeningHours"):
        properties = schema["components"]["schemas"][name]["properties"]
        for field in ("reservation_time", "opens_at", "closes_at"):
            if field in properties:
                assert "format" not in properties[field], (name, field)
                assert properties[field]["pattern"] == TIME_PATTERN


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("19:30", True),
        ("19:30:00", True),
        ("19:30:15", False),
        ("9:30", False),
        ("19:30\n", False),
        ("1930", False),
        ("T19:30", False),
        ("19:30:00+01:00", False),
        ("19:30:00.5", False),
        (1930, False),
    ],
)
def test_a_time_is_taken_exactly_as_the_schema_pattern_says(value, valid):
    field = StrictTimeField()
    assert field.run_validation(value) if valid else not _accepted(field, value)
    if isinstance(value, str):
        assert bool(re.search(TIME_PATTERN.replace("$", r"\Z"), value)) is valid


def _accepted(field, value) -> bool:
    from rest_framework.exceptions import ValidationError

    try:
        field.run_validation(value)
    except ValidationError:
        return False
    return True


def test_staff_only_fields_are_optional_and_blank_emails_allowed(schema):
    components = schema["components"]["schemas"]
    restaurant = components["Restaurant"]
    assert "hold_minutes" in restaurant["properties"]
    assert not {"hold_minutes", "is_active", "auto_confirm"} & set(restaurant["required"])
    assert "is_active" not in components["Table"]["required"]
    assert "visit_count" not in components["CustomerStaff"]["required"]
    email = restaurant["properties"]["email"]
    assert "format" not in email
    assert {"maxLength": 0} in email["anyOf"]


def test_page_parameters_say_they_start_at_1(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/reservations/"]["get"]["parameters"]
        if p["name"] in ("page", "page_size")
    }
    assert parameters == {
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1},
    }
