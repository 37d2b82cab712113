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
    "/api/restaurants/{restaurant_id}/combinations/": {"get", "post"},
    "/api/restaurants/{restaurant_id}/combinations/{combination_id}/": {
        "get",
        "put",
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


def component(schema, operation, content="application/json"):
    ref = operation["requestBody"]["content"][content]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_schema_describes_table_combinations(schema):
    paths = schema["paths"]
    collection = paths["/api/restaurants/{restaurant_id}/combinations/"]
    create = component(schema, collection["post"])
    assert create["required"] == ["table_ids"]
    assert create["additionalProperties"] is False
    table_ids = create["properties"]["table_ids"]
    assert (table_ids["type"], table_ids["items"]["type"]) == ("array", "integer")
    assert (table_ids["minItems"], table_ids["maxItems"], table_ids["uniqueItems"]) == (
        2,
        20,
        True,
    )
    assert create["properties"]["capacity"]["maximum"] == 100
    assert create["properties"]["capacity"].get("nullable") is True
    assert {"201", "400", "401", "403", "404"} <= set(collection["post"]["responses"])
    assert "combination_exists" in collection["post"]["responses"]["400"]["description"]

    detail = paths["/api/restaurants/{restaurant_id}/combinations/{combination_id}/"]
    assert component(schema, detail["put"])["required"] == ["table_ids"]
    assert "required" not in component(schema, detail["patch"])
    assert set(detail["delete"]["responses"]) >= {"204", "403", "404"}
    answer = detail["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][answer.rsplit("/", 1)[1]]["properties"]
    assert {"id", "table_ids", "min_capacity", "capacity", "is_active"} <= set(fields)
    delete_table = paths["/api/restaurants/{restaurant_id}/tables/{table_id}/"]["delete"]
    assert "table_in_combination" in delete_table["responses"]["409"]["description"]
