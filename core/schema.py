"""The OpenAPI schema of the whole API, made exact in one place (drf-spectacular's AutoSchema).

- Every operation lists each error status it can answer, with the one error body
  ``{"code", "message", "details"}``. Which statuses apply is decided here from the operation
  itself (its method, body, parameters, authentication and throttles; see ``error_statuses``),
  never view by view; a view adds what only it can raise through an ``error_statuses``
  attribute: statuses for every method, or a dict of them by method (e.g. 423 for the
  booking lock on ``POST``). Each status's description names the codes of
  the error classes with that status, read from core.errors, so a new error class shows up
  under its status without touching this module.
- A strict request body (``StrictInputSerializer``) says ``additionalProperties: false``: an
  unknown key is a 400, and the schema says so.
- Wall-clock times are ``HH:MM`` or ``HH:MM:SS`` strings (a pattern, not ``format: time``,
  which is RFC 3339's time with an offset that the API neither takes nor gives).
- An e-mail that may be blank is documented as "an e-mail or empty".
- A serializer's ``schema_optional_fields`` (fields present only for some callers, e.g. the
  staff-only ones) are not required in the schema.
"""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.errors import error_classes
from core.serializers import TIME_PATTERN, StrictInputSerializer

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
RETRY_AFTER_STATUSES = {423, 429, 503}


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (core.exception_handler)."""

    code = serializers.CharField(help_text="Machine-readable; one per kind of error.")
    message = serializers.CharField(help_text="For people; may change.")
    details = serializers.DictField(help_text="Field names to messages, or other context.")


STATUS_MEANINGS: dict[int, str] = {
    400: "The input is invalid; `details` names each failing field.",
    401: "Credentials are missing, invalid or expired.",
    403: "The caller may see the object but not do this.",
    404: "Nothing there, or outside the caller's scope.",
    409: "The request conflicts with the current state (or crossed a concurrent change).",
    410: "Gone: what the link stood for can no longer be used (an invitation used or expired).",
    413: "The body is larger than the server takes.",
    415: "The body's content type is not JSON (or a form).",
    422: "The request is well formed but cannot be processed as sent.",
    423: "Another request holds the lock; retry after `Retry-After` seconds.",
    429: "Too many requests; retry after `Retry-After` seconds.",
    503: "A service the request needs is unavailable; retry after `Retry-After` seconds.",
}


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code the API can answer, by HTTP status: the code of every ApplicationError
    class (the exception handler answers Django's and DRF's errors with those codes too)."""
    codes: dict[int, set[str]] = {}
    for cls in error_classes():
        codes.setdefault(cls.status, set()).add(cls.code)
    return {status: sorted(c) for status, c in codes.items()}


def error_statuses(*, view, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from what the operation is."""
    statuses = {503}  # the database (or another dependency) can always be away
    has_body = "requestBody" in operation
    parameters = operation.get("parameters", [])
    authenticated = bool(view.get_authenticators())
    anonymous_allowed = {} in operation.get("security", [{}])
    if has_body or method in UNSAFE_METHODS or any(p["in"] == "query" for p in parameters):
        statuses.add(400)
    if authenticated:
        statuses.add(401)  # a bad or expired token is refused wherever credentials are read
        if method in UNSAFE_METHODS or not anonymous_allowed:
            statuses.add(403)
    if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
        statuses.add(404)  # an id outside the scope, or a page past the end
    if method in UNSAFE_METHODS:
        statuses.add(409)
    if has_body:
        statuses.update({413, 415})
    if view.get_throttles():
        statuses.add(429)
    if any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters):
        statuses.add(422)  # the key again with another body (core.idempotency)
    extra = getattr(view, "error_statuses", ())
    if isinstance(extra, dict):
        extra = extra.get(method, ())
    statuses.update(extra)
    return statuses


def _error_response(status: int, codes: list[str]) -> OpenApiResponse:
    description = STATUS_MEANINGS.get(status, "An error.")
    if codes:
        description += " Codes: " + ", ".join(f"`{c}`" for c in codes) + "."
    return OpenApiResponse(response=ErrorSerializer, description=description)


class ReservaFlowAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes = error_codes_by_status()
        responses = operation.setdefault("responses", {})
        for status in sorted(error_statuses(view=self.view, method=method, operation=operation)):
            key = str(status)
            if key not in responses:
                response = _error_response(status, codes.get(status, []))
                responses[key] = self._get_response_for_code(response, key)
            if status in RETRY_AFTER_STATUSES and "content" in responses[key]:
                responses[key].setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before retrying.",
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictInputSerializer):
            schema["additionalProperties"] = False
        optional = set(getattr(serializer, "schema_optional_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField):
            schema.pop("format", None)
            schema["pattern"] = TIME_PATTERN
            schema.setdefault("example", "19:30")
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # After the validators, which put ``format: email`` back.
        if isinstance(field, serializers.EmailField) and _may_be_blank(field):
            schema.pop("format", None)
            schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]


def _may_be_blank(field: serializers.Field) -> bool:
    if getattr(field, "allow_blank", False):
        return True
    # Read-only model fields carry no allow_blank: ask the model.
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:  # a property or a method
        return False
