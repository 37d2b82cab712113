"""The OpenAPI schema describes the restaurants endpoints."""

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/restaurants/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/": {"get", "patch", "delete"},
    "/api/restaurants/{restaurant_id}/tables/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/tables/{table_id}/": {"get", "patch", "delete"},
    "/api/restaurants/{restaurant_id}/opening-hours/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/opening-hours/{opening_hours_id}/": {
        "get",
        "patch",
        "delete",
    },
    "/api/restaurants/{restaurant_id}/closures/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/closures/{closure_id}/": {"get", "patch", "delete"},
    "/api/restaurants/{restaurant_id}/duration-rules/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/duration-rules/{duration_rule_id}/": {
        "get",
        "patch",
        "delete",
    },
    "/api/restaurants/{restaurant_id}/staff/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/staff/{membership_id}/": {"get", "patch", "delete"},
}


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_has_every_restaurants_path_and_method(schema):
    paths = schema["paths"]
    for path, methods in EXPECTED.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path


def test_schema_describes_bodies_filters_and_answers(schema):
    tables = schema["paths"]["/api/restaurants/{restaurant_id}/tables/"]
    params = {p["name"] for p in tables["get"]["parameters"]}
    assert {"is_active", "area", "ordering", "page", "page_size"} <= params
    create = tables["post"]
    assert "201" in create["responses"] and "400" in create["responses"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    required = schema["components"]["schemas"][body.rsplit("/", 1)[1]]["required"]
    assert set(required) == {"number", "capacity"}
    delete = schema["paths"]["/api/restaurants/{restaurant_id}/tables/{table_id}/"]["delete"]
    assert {"200", "204", "409"} <= set(delete["responses"])
