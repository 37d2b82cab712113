"""The strict field classes and the canonical time zones (core.serializers, core.timezones),
without HTTP; the tables across endpoints are in each app's tests/test_api_formats.py."""

import zoneinfo
from datetime import date, time

import pytest
from django.http import QueryDict
from rest_framework import serializers

from core.errors import ValidationFailed
from core.serializers import (
    StrictChoiceField,
    StrictDateField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictTimeField,
    TimeZoneField,
    parse_query,
)
from core.timezones import canonical_timezones, is_canonical_timezone
from restaurants.models import OpeningHours


class Sample(StrictInputSerializer):
    number = StrictIntegerField(required=False, min_value=0)
    choice = StrictChoiceField(choices=[(5, "5"), (10, "10")], required=False)
    day = StrictDateField(required=False)
    at = StrictTimeField(required=False)
    zone = TimeZoneField(required=False)


def validated(data, **context):
    serializer = Sample(data=data, context=context)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def refused(data, **context) -> dict:
    serializer = Sample(data=data, context=context)
    assert not serializer.is_valid(), serializer.validated_data
    return serializer.errors


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"number": 7}, {"number": 7}),
        ({"number": -1}, None),  # a JSON integer: the range check names it, not the format
        ({"choice": 10}, {"choice": 10}),
        ({"day": "2027-01-20"}, {"day": date(2027, 1, 20)}),
        ({"at": "19:30"}, {"at": time(19, 30)}),
        ({"at": "00:00:00"}, {"at": time(0, 0)}),
        ({"at": "23:59"}, {"at": time(23, 59)}),
        ({"zone": "UTC"}, {"zone": "UTC"}),
        ({"zone": "America/Argentina/Buenos_Aires"}, {"zone": "America/Argentina/Buenos_Aires"}),
    ],
)
def test_json_values_in_their_one_spelling(data, expected):
    if expected is None:
        assert "greater than" in str(refused(data)["number"][0])
    else:
        assert validated(data) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "7"),
        ("number", 7.0),
        ("number", True),
        ("number", "\u0667"),
        ("choice", "10"),
        ("choice", 10.0),
        ("day", "20270120"),
        ("day", "2027-W03-3"),
        ("day", "2027-01-20\n"),
        ("day", " 2027-01-20"),
        ("day", "2027-01-20T00:00"),
        ("day", 20270120),
        ("day", "2027-02-30"),
        ("at", "24:00"),
        ("at", "19:30:15"),
        ("at", "19:30:00.000"),
        ("at", "19:30Z"),
        ("at", "19:30+01:00"),
        ("at", "7:30"),
        ("at", 1930),
        ("zone", "localtime"),
        ("zone", "Factory"),
        ("zone", "posixrules"),
        ("zone", "UTC0"),
        ("zone", "Etc/UTC"),
        ("zone", "utc"),
        ("zone", "UTC\n"),
        ("zone", 0),
    ],
)
def test_every_other_spelling_is_refused_naming_the_field(field, value):
    assert list(refused({field: value})) == [field]


def test_text_input_takes_ascii_digits_only():
    assert validated(QueryDict("number=7&choice=5")) == {"number": 7, "choice": 5}
    for value in ("%D9%A7", "7.0", "%2B7", "-7", "%207", "0x7", "1_000", "%EF%BC%97"):
        assert "digits 0-9" in str(refused(QueryDict(f"number={value}"))["number"][0]), value
    assert "too large" in str(refused(QueryDict("number=" + "9" * 101))["number"][0])


def test_the_current_zone_is_taken_back_unchanged():
    assert validated({"zone": "US/Eastern"}, current_timezone="US/Eastern") == {
        "zone": "US/Eastern"
    }
    assert "zone" in refused({"zone": "US/Central"}, current_timezone="US/Eastern")


def test_times_are_answered_as_hh_mm_ss():
    assert StrictTimeField().to_representation(time(9, 5)) == "09:05:00"


def test_a_model_input_serializer_gets_the_strict_fields():
    class HoursInput(StrictInputSerializer, serializers.ModelSerializer):
        class Meta:
            model = OpeningHours
            fields = ["weekday", "opens_at"]

    fields = HoursInput().fields
    assert isinstance(fields["weekday"], StrictChoiceField)
    assert isinstance(fields["opens_at"], StrictTimeField)
    assert not HoursInput(data={"weekday": "1", "opens_at": "12:00"}).is_valid()


def test_parse_query_raises_the_one_validation_error():
    assert parse_query(Sample, QueryDict("number=3")) == {"number": 3}
    with pytest.raises(ValidationFailed) as caught:
        parse_query(Sample, QueryDict("number=3.0&day=20270120"))
    assert set(caught.value.details) == {"number", "day"}


def test_the_canonical_zones():
    zones = canonical_timezones()
    assert 400 < len(zones) < len(zoneinfo.available_timezones())
    assert zones <= zoneinfo.available_timezones()
    assert {"UTC", "Europe/Madrid", "Europe/Amsterdam", "Asia/Kolkata"} <= zones
    assert not zones & {"localtime", "Factory", "US/Eastern", "Etc/UTC", "GMT", "EST5EDT"}
    assert not [name for name in zones if name.startswith("Etc/")]
    assert is_canonical_timezone("UTC") and not is_canonical_timezone(None)
