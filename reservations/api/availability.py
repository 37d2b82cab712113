"""Public availability: a day's free slots with their tables and seatings, and a calendar
of days."""

from datetime import timedelta

import orjson
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.renderers import RenderedJSON
from core.serializers import StrictDateField, StrictIntegerField, StrictTimeField, parse_query
from reservations.availability import (
    day_availability_json,
    days_availability,
    days_slot_counts,
    slots_near,
)

MAX_CALENDAR_DAYS = 62


class DayQuerySerializer(serializers.Serializer):
    date = StrictDateField()
    party_size = StrictIntegerField(min_value=1, max_value=1000)
    time = StrictTimeField(required=False)
    window = StrictIntegerField(required=False, default=60, min_value=0, max_value=24 * 60)
    area = serializers.CharField(required=False, max_length=50)

    def validate(self, attrs):
        if "window" in self.initial_data and "time" not in attrs:
            raise serializers.ValidationError({"time": ["Required when window is given."]})
        return attrs


class CalendarQuerySerializer(serializers.Serializer):
    party_size = StrictIntegerField(min_value=1, max_value=1000)
    area = serializers.CharField(required=False, max_length=50)

    def get_fields(self):
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        return {"from": StrictDateField(), "to": StrictDateField(), **super().get_fields()}

    def validate(self, values):
        if values["to"] < values["from"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        if (values["to"] - values["from"]).days + 1 > MAX_CALENDAR_DAYS:
            raise serializers.ValidationError(
                {"to": [f"At most {MAX_CALENDAR_DAYS} days in one request."]}
            )
        return values


class AvailableTableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    capacity = serializers.IntegerField()
    area = serializers.CharField()


class AvailableSeatingSerializer(serializers.Serializer):
    table_ids = serializers.ListField(child=serializers.IntegerField(), help_text="Sorted.")
    numbers = serializers.ListField(
        child=serializers.CharField(), help_text="The tables' numbers, in table_ids' order."
    )
    capacity = serializers.IntegerField(
        help_text="The table's capacity, or the combination's (not always the sum)."
    )
    combination_id = serializers.IntegerField(
        allow_null=True, help_text="The table combination; null for a single table."
    )


class AvailableSlotSerializer(serializers.Serializer):
    time = serializers.CharField(help_text="Local start, HH:MM.")
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    tables = AvailableTableSerializer(
        many=True,
        help_text="The free single tables that seat the party, smallest first; empty when "
        "only joined tables are free.",
    )
    seatings = AvailableSeatingSerializer(
        many=True,
        help_text="Every free seating in the order booking picks them: the single tables, "
        "then the combinations (fewest spare seats, then fewest tables). A booking without "
        "a table takes the first.",
    )


class DayAvailabilitySerializer(serializers.Serializer):
    restaurant_id = serializers.IntegerField()
    date = serializers.DateField()
    party_size = serializers.IntegerField()
    timezone = serializers.CharField()
    slots = AvailableSlotSerializer(many=True)


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    available = serializers.BooleanField()
    slots = serializers.IntegerField(help_text="Number of starts with a free seating.")


class CalendarAvailabilitySerializer(serializers.Serializer):
    restaurant_id = serializers.IntegerField()
    party_size = serializers.IntegerField()
    timezone = serializers.CharField()
    days = CalendarDaySerializer(many=True)


class AvailabilityDayApi(APIView):
    """Free starts of one local date for a party, each with the seatings free for the stay."""

    # Public and the same for everyone: no authentication, so a cached answer costs no query
    # even when the client sends its token.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(parameters=[DayQuerySerializer], responses=DayAvailabilitySerializer)
    def get(self, request, restaurant_id: int):
        query = parse_query(DayQuerySerializer, request.query_params)
        day = query["date"]
        if query.get("time") is not None:
            meta, answers = days_availability(
                restaurant_id=restaurant_id,
                days=[day],
                party_size=query["party_size"],
                area=query.get("area"),
            )
            slots = slots_near(answers[day], query["time"], query["window"])
        else:
            # The whole day: its slots are sent as the cache holds them (JSON), not decoded
            # and encoded again.
            meta, slots_json = day_availability_json(
                restaurant_id=restaurant_id,
                day=day,
                party_size=query["party_size"],
                area=query.get("area"),
            )
            slots = orjson.Fragment(slots_json)
        body = {
            "restaurant_id": meta["restaurant_id"],
            "date": day.isoformat(),
            "party_size": query["party_size"],
            "timezone": meta["timezone"],
            "slots": slots,
        }
        return Response(RenderedJSON(orjson.dumps(body)))


class AvailabilityCalendarApi(APIView):
    """For each day of a range (at most 62): can the party book, and how many starts."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            CalendarQuerySerializer,
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
        ],
        responses=CalendarAvailabilitySerializer,
    )
    def get(self, request, restaurant_id: int):
        query = parse_query(CalendarQuerySerializer, request.query_params)
        first, last = query["from"], query["to"]
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        meta, counts = days_slot_counts(
            restaurant_id=restaurant_id,
            days=days,
            party_size=query["party_size"],
            area=query.get("area"),
        )
        return Response(
            {
                "restaurant_id": meta["restaurant_id"],
                "party_size": query["party_size"],
                "timezone": meta["timezone"],
                "days": [
                    {"date": d.isoformat(), "available": counts[d] > 0, "slots": counts[d]}
                    for d in days
                ],
            }
        )
