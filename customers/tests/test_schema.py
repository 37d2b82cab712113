"""The OpenAPI schema describes the accounts and customers endpoints."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_has_the_customers_endpoints_and_their_methods(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/auth/register/": {"post"},
        "/api/customers/": {"get", "post"},
        "/api/customers/me/": {"get", "patch"},
        "/api/customers/{id}/": {"get", "patch"},
        "/api/restaurants/{restaurant_id}/guests/{customer_id}/record/": {"get", "patch"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    components = response.json()["components"]["schemas"]
    # Issue 11: notes are the restaurant's guest record, never part of a profile.
    assert "notes" not in components["CustomerGuest"]["properties"]
    assert "notes" not in components["CustomerStaff"]["properties"]
    assert {"visit_count", "no_show_count"} <= set(components["CustomerStaff"]["properties"])
    assert "notes" in components["GuestRecord"]["required"]
    # Registration is open to anonymous callers (an empty security requirement); the rest
    # needs a login.
    assert {} in paths["/api/auth/register/"]["post"]["security"]
    assert {} not in paths["/api/customers/"]["get"]["security"]
