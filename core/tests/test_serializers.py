"""StrictInputSerializer: every key a body may not carry is refused and named, never dropped."""

import copy

import pytest
from rest_framework import serializers

from core.exception_handler import api_exception_handler
from core.serializers import PrebuiltOutputSerializer, StrictInputSerializer
from customers.models import Customer


class Guest(StrictInputSerializer):
    name = serializers.CharField()


class Booking(StrictInputSerializer):
    party_size = serializers.IntegerField(min_value=1)
    status = serializers.CharField(read_only=True)
    guest = Guest(required=False)


def errors_of(data) -> dict:
    serializer = Booking(data=data)
    with pytest.raises(serializers.ValidationError) as caught:
        serializer.is_valid(raise_exception=True)
    return caught.value.detail


def test_known_keys_pass():
    serializer = Booking(data={"party_size": 2, "guest": {"name": "Ana"}})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"party_size": 2, "guest": {"name": "Ana"}}


def test_each_unknown_key_is_named():
    assert errors_of({"party_size": 2, "tableid": 7, "table": 7}) == {
        "table": ["Unknown field."],
        "tableid": ["Unknown field."],
    }


def test_a_read_only_field_is_not_input():
    assert errors_of({"party_size": 2, "status": "confirmed"}) == {"status": ["Unknown field."]}


def test_unknown_keys_of_a_nested_object_are_named_under_it():
    assert errors_of({"party_size": 2, "guest": {"name": "Ana", "vip": True}}) == {
        "guest": {"vip": ["Unknown field."]}
    }


def test_unknown_keys_come_with_the_other_field_errors():
    assert set(errors_of({"party_size": 0, "extra": 1})) == {"party_size", "extra"}


def test_a_body_that_is_not_an_object_is_still_refused():
    assert "non_field_errors" in errors_of(["party_size", 2])


def test_works_as_the_first_base_of_a_model_serializer():
    class CustomerInput(StrictInputSerializer, serializers.ModelSerializer):
        class Meta:
            model = Customer
            fields = ["first_name", "created_at"]
            read_only_fields = ["created_at"]

    serializer = CustomerInput(data={"first_name": "Ana", "created_at": "2025-01-01"})
    assert not serializer.is_valid()
    assert serializer.errors == {"created_at": ["Unknown field."]}


def test_rendered_as_a_400_validation_error():
    with pytest.raises(serializers.ValidationError) as caught:
        Booking(data={"party_size": 2, "tableid": 7}).is_valid(raise_exception=True)
    response = api_exception_handler(caught.value, {"view": None})
    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "message": "Invalid input.",
        "details": {"tableid": ["Unknown field."]},
    }


# --- PrebuiltOutputSerializer ---------------------------------------------------------------


class _Out(serializers.Serializer):
    name = serializers.CharField(source="first_name")
    when = serializers.DateTimeField(allow_null=True)
    missing = serializers.CharField(default="given")
    shout = serializers.SerializerMethodField()

    def get_shout(self, obj) -> str:
        return obj.first_name.upper()


def _prebuilt(plain):
    attrs = {name: copy.deepcopy(f) for name, f in plain._declared_fields.items()}
    attrs["get_shout"] = plain.get_shout
    return type("Prebuilt" + plain.__name__, (PrebuiltOutputSerializer,), attrs)


def test_prebuilt_output_is_drfs_answer_and_builds_its_fields_once(monkeypatch):
    import types
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    fast = _prebuilt(_Out)
    rows = [
        types.SimpleNamespace(first_name="ana", when=datetime(2025, 8, 30, 17, 0, tzinfo=UTC)),
        types.SimpleNamespace(first_name="bo", when=None),
    ]
    assert fast(rows[0]).data == _Out(rows[0]).data
    assert fast(rows[0]).data["when"] == "2025-08-30T17:00:00Z"
    assert fast(rows, many=True).data == _Out(rows, many=True).data
    with timezone.override(ZoneInfo("Europe/Madrid")):  # DRF's output follows the zone
        assert fast(rows[0]).data == _Out(rows[0]).data
    built = []
    monkeypatch.setattr(fast, "get_fields", lambda self: built.append(1) or {})
    fast(rows[1]).data  # noqa: B018
    assert built == []
