"""Serializer bases every app's API shares.

``StrictInputSerializer`` refuses every key a body may not carry: a 400 ``validation_error``
naming each such key under ``details`` with "Unknown field.", instead of dropping it without a
word. A misspelt ``tableid`` would otherwise book an auto-picked table, and a guest's
``status`` would look accepted. Read-only fields are not input, so they count as unknown too.
Nested strict serializers name their own unknown keys under the parent field. It also works as
the first base of a ModelSerializer: ``class X(StrictInputSerializer, ModelSerializer)``, whose
integer, date, time and integer-choice fields are then the strict ones below.

Strict formats (docs/api-reservations.md, "Formats"): one spelling per kind of value, the same
in bodies and query strings, each refused with a 400 ``validation_error`` naming the field and
saying the expected format.

- Integers: in a JSON body a JSON integer only (not ``"2"``, ``2.0`` or ``true``); in a query
  string or a form body, where everything is text, ASCII digits only (not ``"٢"``, ``" 2"``
  or ``"+2"``).
- Dates: ``YYYY-MM-DD`` only (not ``20270120``, ``2027-W14-3`` or ``"2027-01-20\n"``).
- Times: local wall-clock ``HH:MM``, 24-hour, optionally followed by ``:00``
  (``TIME_PATTERN``); answers always carry ``HH:MM:SS``, which the pattern accepts back.
  Not ``format: time``: JSON Schema's time needs a UTC offset, and these are local times.
- Time zones: the canonical IANA names (core.timezones).

``parse_query`` is the one way views read a query string.
"""

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from core.errors import UNKNOWN_FIELD, ValidationFailed
from core.timezones import NON_CANONICAL_MESSAGE, is_canonical_timezone

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:00)?$"
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::00)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")
BIGINT_MAX = 2**63 - 1  # the largest id: a larger number would be a database error, not a 400
_MAX_DIGITS = 100  # int() of a few thousand digits is slow, then refused by Python itself


def is_text_input(field: serializers.Field) -> bool:
    """Query strings and form bodies carry text only; a JSON body carries typed values."""
    return html.is_html_input(getattr(field.root, "initial_data", None))


def _text_to_int(field: serializers.Field, data: Any) -> int:
    if not isinstance(data, str) or not _DIGITS.fullmatch(data):
        field.fail("invalid_text")
    if len(data) > _MAX_DIGITS:
        field.fail("max_string_length")
    return int(data)


def _is_json_int(data: Any) -> bool:
    return isinstance(data, int) and not isinstance(data, bool)


class _NamedButEmptyIsRefused:
    """``?page_size=`` or a form's ``table_id=`` names the field with no value. DRF treats that
    as "not given" for an optional field, so the request would quietly run as if it had not
    been sent (a default page size, an auto-picked table); a strict field refuses it instead,
    as a value it cannot read."""

    def get_value(self, dictionary):
        if (
            html.is_html_input(dictionary)
            and self.field_name in dictionary
            and dictionary.get(self.field_name) == ""
            and not getattr(self, "allow_blank", False)
        ):
            return ""
        return super().get_value(dictionary)


class StrictCharField(serializers.CharField):
    """A CharField that takes only strings: DRF's own would turn 12 or 1.5 into "12"."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(_NamedButEmptyIsRefused, serializers.IntegerField):
    default_error_messages = {
        "invalid": "Must be an integer: a JSON number without quotes or a fraction, e.g. 4.",
        "invalid_text": "Must be an integer written in the digits 0-9, e.g. 4.",
    }

    def to_internal_value(self, data):
        if is_text_input(self):
            data = _text_to_int(self, data)
        elif not _is_json_int(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(_NamedButEmptyIsRefused, serializers.ChoiceField):
    """A choice among integers (a weekday, a slot interval) takes them as StrictIntegerField
    does; choices of strings are matched as strings only (DRF's own field compares
    ``str(data)``, so ``true`` would match a choice "True")."""

    default_error_messages = {
        "invalid_int": StrictIntegerField.default_error_messages["invalid"],
        "invalid_text": StrictIntegerField.default_error_messages["invalid_text"],
    }

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        keys = list(self.choices)
        if keys and all(_is_json_int(key) for key in keys):
            if is_text_input(self):
                data = _text_to_int(self, data)
            elif not _is_json_int(data):
                self.fail("invalid_int")
        elif not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDateField(_NamedButEmptyIsRefused, serializers.DateField):
    default_error_messages = {
        "invalid": "Date must be YYYY-MM-DD, e.g. 2027-01-20.",
        "not_a_day": "Not a day of the calendar; dates are YYYY-MM-DD, e.g. 2027-01-20.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self.fail("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail("not_a_day")


@extend_schema_field(
    {
        "type": "string",
        "pattern": TIME_PATTERN,
        "example": "19:30",
        "description": "Local time, HH:MM (24-hour), optionally with :00 seconds.",
    }
)
class StrictTimeField(_NamedButEmptyIsRefused, serializers.TimeField):
    default_error_messages = {
        "invalid": "Time must be HH:MM (24-hour, e.g. 19:30), optionally followed by :00.",
    }

    def to_internal_value(self, value):
        match = _TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail("invalid")
        return time(int(match[1]), int(match[2]))

    def to_representation(self, value):
        if value is None or isinstance(value, str):
            return value
        return value.strftime("%H:%M:%S")


class TimeZoneField(serializers.CharField):
    """A canonical IANA time zone name (core.timezones). A serializer given
    ``context={"current_timezone": ...}`` also takes that zone back unchanged, so a restaurant
    created under an older rule can still send its own zone in a full PATCH."""

    default_error_messages = {"invalid_zone": NON_CANONICAL_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_zone")
        value = super().to_internal_value(data)
        if value != data or not (
            is_canonical_timezone(value) or value == self.context.get("current_timezone")
        ):
            self.fail("invalid_zone")
        return value


_STRICT_VERSION_OF = {
    serializers.CharField: StrictCharField,
    serializers.IntegerField: StrictIntegerField,
    serializers.DateField: StrictDateField,
    serializers.TimeField: StrictTimeField,
}
# ModelSerializer's model-field -> serializer-field table, with the strict fields in it.
STRICT_FIELD_MAPPING = {
    model_field: _STRICT_VERSION_OF.get(field, field)
    for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
}


class StrictInputSerializer(serializers.Serializer):
    # Explained in the module docstring, not here: drf-spectacular would show a class
    # docstring as the description of every request body built on this class.

    # Read by ModelSerializer (the next base of a model input serializer) to build its fields.
    serializer_field_mapping = STRICT_FIELD_MAPPING
    serializer_choice_field = StrictChoiceField

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {name: [UNKNOWN_FIELD] for name in sorted(set(data) - writable)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # One answer names every problem: the unknown keys and the failing fields.
            if unknown and isinstance(exc.detail, Mapping):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def parse_query(serializer_class: type[serializers.Serializer], params) -> dict:
    """Read a query string (``request.query_params``) with a serializer of strict fields:
    the validated values, or a 400 ``validation_error`` naming every failing parameter."""
    serializer = serializer_class(data=params)
    if not serializer.is_valid():
        raise ValidationFailed(details=serializer.errors)
    return serializer.validated_data


class PrebuiltOutputSerializer(serializers.Serializer):
    """An output serializer whose fields are built once per class, not at every instance.

    DRF builds a serializer's fields anew for each instance (a deep copy of every declared
    field, then binding): measured at ~1.5 ms of CPU per reservation answer. Representing a
    value reads no state of the serializer instance (only the field's own options, the
    current time zone, and for a method field the serializer's method), so the fields of one
    prototype instance, bound once, represent every instance with DRF's own code: the same
    answer, field by field (``to_representation`` below is DRF's loop). Not for fields that
    read ``context`` (a request, hyperlinks): use a plain Serializer for those."""

    @classmethod
    def _prebuilt_fields(cls) -> list[serializers.Field]:
        fields = cls.__dict__.get("_prebuilt")
        if fields is None:
            fields = list(cls()._readable_fields)
            cls._prebuilt = fields
        return fields

    def to_representation(self, instance):
        ret = {}
        for field in self._prebuilt_fields():
            try:
                attribute = field.get_attribute(instance)
            except serializers.SkipField:
                continue
            ret[field.field_name] = (
                None if attribute is None else field.to_representation(attribute)
            )
        return ret
