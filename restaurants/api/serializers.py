"""Input serializers check the shape of a request body; output serializers say what a caller
sees. Which output a caller gets (public or staff) is decided by the views from the caller's
access, never by the serializers themselves."""

import re

from django.conf import settings
from django.templatetags.static import static
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from core.serializers import (
    BIGINT_MAX,
    STRICT_FIELD_MAPPING,
    StrictInputSerializer,
    StrictIntegerField,
    TimeZoneField,
    is_text_input,
)
from restaurants import combinations, selectors, services
from restaurants.embedding import (
    EMBED_SCRIPT,
    MAX_EMBED_ORIGINS,
    MAX_ORIGIN_LENGTH,
    embed_snippet,
)
from restaurants.models import (
    MAX_COMBINATION_CAPACITY,
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
    TableCombination,
)

# --- restaurants ----------------------------------------------------------------------------

PUBLIC_RESTAURANT_FIELDS = [
    "id",
    "name",
    "slug",
    "timezone",
    "address",
    "phone",
    "email",
    "slot_interval_minutes",
    "default_duration_minutes",
    "min_party_size",
    "max_party_size",
    "min_notice_minutes",
    "max_days_ahead",
]
STAFF_ONLY_RESTAURANT_FIELDS = [
    "is_active",
    "hold_minutes",
    "reminder_minutes_before",
    "auto_confirm",
    "max_covers_per_slot",
    "max_parties_per_slot",
    "embed_origins",
    "created_at",
    "updated_at",
]
SCHEDULE_FIELDS = ["opening_hours", "closures_ahead", "duration_rules"]


class OpeningHoursSerializer(serializers.ModelSerializer):
    # Times as the input takes them back (HH:MM:SS), under the same schema pattern.
    serializer_field_mapping = STRICT_FIELD_MAPPING

    class Meta:
        model = OpeningHours
        fields = ["id", "weekday", "opens_at", "closes_at", "name"]
        read_only_fields = fields


class ClosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = ["id", "starts_on", "ends_on", "reason"]
        read_only_fields = fields


class DurationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = DurationRule
        fields = ["id", "min_party", "max_party", "duration_minutes"]
        read_only_fields = fields


class RestaurantPublicSerializer(serializers.ModelSerializer):
    """What guests need to book: who, where, and the booking policy they must respect."""

    class Meta:
        model = Restaurant
        fields = PUBLIC_RESTAURANT_FIELDS
        read_only_fields = fields


class RestaurantSerializer(RestaurantPublicSerializer):
    """The staff's view: the public fields plus the operational policy (absent for callers
    who see the restaurant as the public does, hence optional in the schema)."""

    schema_optional_fields = STAFF_ONLY_RESTAURANT_FIELDS
    embed_origins = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Origins whose pages may embed the booking page (normalised).",
    )

    class Meta(RestaurantPublicSerializer.Meta):
        fields = PUBLIC_RESTAURANT_FIELDS + STAFF_ONLY_RESTAURANT_FIELDS
        read_only_fields = fields


class ScheduleFieldsMixin(serializers.Serializer):
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    closures_ahead = serializers.SerializerMethodField()
    duration_rules = DurationRuleSerializer(many=True, read_only=True)

    @extend_schema_field(ClosureSerializer(many=True))
    def get_closures_ahead(self, restaurant: Restaurant) -> list[dict]:
        return ClosureSerializer(selectors.closures_ahead(restaurant), many=True).data


class RestaurantPublicDetailSerializer(ScheduleFieldsMixin, RestaurantPublicSerializer):
    class Meta(RestaurantPublicSerializer.Meta):
        fields = PUBLIC_RESTAURANT_FIELDS + SCHEDULE_FIELDS
        read_only_fields = fields


class RestaurantDetailSerializer(ScheduleFieldsMixin, RestaurantSerializer):
    schema_optional_fields = [*STAFF_ONLY_RESTAURANT_FIELDS, "embed_snippet"]
    embed_snippet = serializers.SerializerMethodField(
        help_text="The tag to paste into the restaurant's own site to embed its booking page."
    )

    class Meta(RestaurantSerializer.Meta):
        fields = [
            *PUBLIC_RESTAURANT_FIELDS,
            *STAFF_ONLY_RESTAURANT_FIELDS,
            "embed_snippet",
            *SCHEDULE_FIELDS,
        ]
        read_only_fields = fields

    def get_embed_snippet(self, restaurant: Restaurant) -> str:
        # The address the manager reached this service at, which is the one their guests'
        # browsers can reach too; PUBLIC_BASE_URL when there is no request.
        request = self.context.get("request")
        path = static(EMBED_SCRIPT)
        if request is not None:
            script_url = request.build_absolute_uri(path)
        else:
            script_url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{path.lstrip('/')}"
        return embed_snippet(slug=restaurant.slug, script_url=script_url)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_ORIGIN_LENGTH},
        "maxItems": MAX_EMBED_ORIGINS,
        "example": ["https://www.example.com"],
        "description": (
            "Origins whose pages may embed the booking page: scheme://host[:port], http or "
            "https, no path; replaced as a whole. Refused: 400 invalid_embed_origins."
        ),
    }
)
class EmbedOriginsField(serializers.Field):
    """Handed to the service as sent, whatever its shape: the service checks it, so every
    mistake (not a list, an item that is not a string or not an origin) is the same 400
    ``invalid_embed_origins`` naming the item. A form body sends one origin per value."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            return dictionary.getlist(self.field_name) if self.field_name in dictionary else empty
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class RestaurantInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    # The restaurant's current zone (in the context on PATCH) is taken back unchanged even
    # when it predates the canonical-names rule.
    timezone = TimeZoneField(
        help_text="A canonical IANA time zone name (tzdata's zone.tab), or UTC: Europe/Madrid."
    )
    embed_origins = EmbedOriginsField()

    class Meta:
        model = Restaurant
        fields = services.RESTAURANT_FIELDS
        extra_kwargs = {
            # Derived from the name when left out; uniqueness is the service's to check
            # (a validator here would flag a restaurant's own slug on PATCH).
            "slug": {"required": False, "validators": []},
        }


# --- tables ---------------------------------------------------------------------------------

PUBLIC_TABLE_FIELDS = ["id", "number", "capacity", "min_capacity", "area"]


class TablePublicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Table
        fields = PUBLIC_TABLE_FIELDS
        read_only_fields = fields


class TableSerializer(serializers.ModelSerializer):
    """Staff see every field; the public sees only the public ones (the rest is optional in
    the schema)."""

    schema_optional_fields = ["is_active", "created_at", "updated_at"]

    class Meta:
        model = Table
        fields = [*PUBLIC_TABLE_FIELDS, "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class TableInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    class Meta:
        model = Table
        fields = services.TABLE_FIELDS


# --- table combinations ---------------------------------------------------------------------

_TEXT_ID = re.compile(r"[0-9]{1,19}")


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
        "minItems": combinations.MIN_COMBINATION_TABLES,
        "maxItems": combinations.MAX_COMBINATION_TABLES,
        "uniqueItems": True,
        "example": [3, 4],
        "description": (
            "Ids of the restaurant's active tables to join, distinct, "
            f"{combinations.MIN_COMBINATION_TABLES} to {combinations.MAX_COMBINATION_TABLES}. "
            "Refused: 400 invalid_table_ids; the same set as another combination of the "
            "restaurant: 400 combination_exists."
        ),
    }
)
class TableIdsField(serializers.Field):
    """Handed to the service as sent, whatever its shape: the service checks it, so every
    mistake (not a list, an item that is not an id, a duplicate, a table that is not one of
    the restaurant's active tables) is the same 400 ``invalid_table_ids`` naming the item. A
    form body sends one id per value, as digits."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            return dictionary.getlist(self.field_name) if self.field_name in dictionary else empty
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if is_text_input(self) and isinstance(data, list):
            return [
                int(item) if isinstance(item, str) and _TEXT_ID.fullmatch(item) else item
                for item in data
            ]
        return data

    def to_representation(self, value):
        return value


class TableCombinationSerializer(serializers.ModelSerializer):
    table_ids = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="The ids of the joined tables, sorted.",
    )

    class Meta:
        model = TableCombination
        fields = [
            "id",
            "table_ids",
            "min_capacity",
            "capacity",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TableCombinationInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    table_ids = TableIdsField()

    class Meta:
        model = TableCombination
        fields = combinations.COMBINATION_FIELDS
        extra_kwargs = {
            "min_capacity": {
                "required": False,
                "allow_null": True,
                "help_text": (
                    "The smallest party it seats. null (or left out of a POST or PUT): the "
                    "smallest min_capacity of its tables, never above capacity."
                ),
            },
            "capacity": {
                "required": False,
                "allow_null": True,
                "help_text": (
                    "The largest party it seats. null (or left out of a POST or PUT): the sum "
                    f"of its tables' capacities, at most {MAX_COMBINATION_CAPACITY}."
                ),
            },
        }


# --- hours, closures, turn times ------------------------------------------------------------


class OpeningHoursInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = services.OPENING_HOURS_FIELDS


class ClosureInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = services.CLOSURE_FIELDS


class DurationRuleInputSerializer(StrictInputSerializer, serializers.ModelSerializer):
    class Meta:
        model = DurationRule
        fields = services.DURATION_RULE_FIELDS


# --- staff ----------------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="user.id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)

    class Meta:
        model = StaffMembership
        fields = ["id", "user_id", "email", "first_name", "last_name", "role", "created_at"]
        read_only_fields = fields


class MembershipCreateInputSerializer(StrictInputSerializer):
    """The user is an existing account, named by ``user_id`` or by ``email``."""

    user_id = StrictIntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=StaffMembership.Role.choices)

    def validate(self, attrs):
        if "user_id" in attrs and "email" in attrs:
            raise serializers.ValidationError({"email": ["Give user_id or email, not both."]})
        if "user_id" not in attrs and "email" not in attrs:
            raise serializers.ValidationError({"user_id": ["Give user_id or email."]})
        return attrs


class MembershipUpdateInputSerializer(StrictInputSerializer):
    role = serializers.ChoiceField(choices=StaffMembership.Role.choices)
