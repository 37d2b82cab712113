import logging
import zoneinfo
from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Func, Q, Value

from accounts.account_cache import account_forget
from core.constraints import PostgresExclusionConstraint
from core.models import TimeStampedModel

logger = logging.getLogger(__name__)

SLOT_INTERVALS = (5, 10, 15, 20, 30, 60)
# The largest pacing limit a restaurant may set (guests or parties starting in one slot).
MAX_PACING_LIMIT = 10_000


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone.", code="invalid")


class Restaurant(TimeStampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    # Booking policy.
    slot_interval_minutes = models.PositiveSmallIntegerField(
        default=15, choices=[(m, f"{m} minutes") for m in SLOT_INTERVALS]
    )
    default_duration_minutes = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    min_party_size = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_party_size = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=60, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    max_days_ahead = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    hold_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 7)],
        help_text="How long a pending reservation is held before it expires.",
    )
    reminder_minutes_before = models.PositiveIntegerField(
        default=1440, validators=[MaxValueValidator(60 * 24 * 14)]
    )
    auto_confirm = models.BooleanField(default=False)
    # Pacing (reservations.services.pacing): how many guests and parties may start within one
    # slot interval, for the kitchen and the door. Empty: no limit.
    max_covers_per_slot = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PACING_LIMIT)],
        help_text="The most guests whose reservations may start in one slot interval. "
        "Empty: no limit.",
    )
    max_parties_per_slot = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PACING_LIMIT)],
        help_text="The most reservations that may start in one slot interval. Empty: no limit.",
    )
    # The sites allowed to frame the booking page (restaurants.embedding keeps them
    # normalised): a JSON list of strings, so PostgreSQL and SQLite store it alike.
    embed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text="Origins (https://www.example.com) whose pages may embed the booking page.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_interval_minutes__in=SLOT_INTERVALS),
                name="restaurant_slot_interval_allowed",
            ),
            models.CheckConstraint(
                condition=Q(min_party_size__gte=1) & Q(max_party_size__gte=F("min_party_size")),
                name="restaurant_party_size_range",
            ),
            models.CheckConstraint(condition=Q(hold_minutes__gte=1), name="restaurant_hold_min"),
            models.CheckConstraint(
                condition=Q(default_duration_minutes__gte=5), name="restaurant_duration_min"
            ),
            models.CheckConstraint(
                condition=(Q(max_covers_per_slot__isnull=True) | Q(max_covers_per_slot__gte=1))
                & (Q(max_parties_per_slot__isnull=True) | Q(max_parties_per_slot__gte=1)),
                name="restaurant_pacing_limits_positive",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class DurationRule(TimeStampedModel):
    """Turn time by party size: parties of min_party..max_party stay duration_minutes.
    An empty max_party means "and larger"."""

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.CASCADE, related_name="duration_rules"
    )
    min_party = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    max_party = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )

    class Meta:
        ordering = ["restaurant", "min_party"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_party__gte=1)
                & (Q(max_party__isnull=True) | Q(max_party__gte=F("min_party"))),
                name="durationrule_party_range",
            ),
            PostgresExclusionConstraint(
                name="durationrule_no_overlap",
                expressions=[
                    (F("restaurant"), RangeOperators.EQUAL),
                    (
                        Func(
                            F("min_party"),
                            F("max_party"),
                            Value("[]"),
                            function="int4range",
                            output_field=models.Field(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self):
        upper = self.max_party if self.max_party else "+"
        return f"{self.min_party}-{upper}: {self.duration_minutes} min"


def period_length_minutes(opens_at: time, closes_at: time) -> int:
    """Wall-clock length of an opening period: one that closes at or before its opening time
    runs past midnight (equal times make 24 hours)."""
    start = opens_at.hour * 60 + opens_at.minute
    end = closes_at.hour * 60 + closes_at.minute
    return end - start if end > start else end + 1440 - start


class OpeningHours(TimeStampedModel):
    """A service period. closes_at <= opens_at means it closes after midnight, the next day."""

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    name = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["restaurant", "weekday", "opens_at"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="openinghours_weekday"
            ),
        ]

    def __str__(self):
        label = f" ({self.name})" if self.name else ""
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}{label}"

    @property
    def length_minutes(self) -> int:
        return period_length_minutes(self.opens_at, self.closes_at)


class Closure(TimeStampedModel):
    """Local dates (inclusive) on which the restaurant takes no reservations."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["restaurant", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="closure_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.starts_on}..{self.ends_on} {self.reason}".strip()


class Table(TimeStampedModel):
    AREAS = ("indoor", "outdoor", "bar", "private")

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="tables")
    number = models.CharField(max_length=20)
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    min_capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    area = models.CharField(
        max_length=50, default="indoor", help_text="indoor, outdoor, bar, private or a label"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["restaurant", "capacity", "number"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "number"], name="table_number_unique"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=50), name="table_capacity_range"
            ),
            models.CheckConstraint(
                condition=Q(min_capacity__gte=1) & Q(min_capacity__lte=F("capacity")),
                name="table_min_capacity_range",
            ),
        ]

    def __str__(self):
        return f"Table {self.number} ({self.capacity})"


# A combination seats at most the largest party a restaurant may take (max_party_size).
MAX_COMBINATION_CAPACITY = 100


class TableCombination(TimeStampedModel):
    """Two or more of a restaurant's tables that can be joined to seat one party of
    ``min_capacity..capacity`` guests.

    ``table_key`` holds the ids of its tables, sorted and comma-separated ("3,7,12"); the
    services write it with the member rows. Its unique key per restaurant is what keeps one
    set of tables from being defined twice, in the database, so two concurrent creates of
    the same set cannot both commit. A combination is offered for seating only while it and
    every one of its tables are active."""

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.CASCADE, related_name="table_combinations"
    )
    tables = models.ManyToManyField(
        Table, through="TableCombinationMember", related_name="combinations"
    )
    table_key = models.TextField(editable=False)
    min_capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_COMBINATION_CAPACITY)]
    )
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_COMBINATION_CAPACITY)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["restaurant", "capacity", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "table_key"], name="tablecombination_tables_unique"
            ),
            models.CheckConstraint(
                condition=Q(min_capacity__gte=1)
                & Q(capacity__gte=F("min_capacity"))
                & Q(capacity__lte=MAX_COMBINATION_CAPACITY),
                name="tablecombination_capacity_range",
            ),
        ]

    def __str__(self):
        if self.pk is None:
            return f"Combination of tables {self.table_key} ({self.capacity})"
        numbers = "+".join(sorted(table.number for table in self.tables.all()))
        return f"Tables {numbers} ({self.min_capacity}-{self.capacity})"

    @property
    def table_ids(self) -> list[int]:
        """The ids of its tables, sorted."""
        return table_ids_of_key(self.table_key)


def table_key_of(table_ids) -> str:
    return ",".join(str(pk) for pk in sorted(table_ids))


def table_ids_of_key(key: str) -> list[int]:
    return [int(pk) for pk in key.split(",")] if key else []


class TableCombinationMember(models.Model):
    """One table of a combination. The row keeps its table from being deleted on its own
    (restaurants.services.table_delete says why: the combination is changed or deleted
    first); RESTRICT, not PROTECT, so a restaurant deleted as a whole takes its tables and
    combinations with it."""

    combination = models.ForeignKey(
        TableCombination, on_delete=models.CASCADE, related_name="members"
    )
    table = models.ForeignKey(Table, on_delete=models.RESTRICT, related_name="combination_members")

    class Meta:
        ordering = ["combination", "table"]
        constraints = [
            models.UniqueConstraint(
                fields=["combination", "table"], name="tablecombinationmember_unique"
            ),
        ]

    def __str__(self):
        return f"{self.table} in {self.combination}"


class StaffMembership(TimeStampedModel):
    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        HOST = "host", "Host"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["restaurant", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "restaurant"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["manager", "host"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} - {self.role} of {self.restaurant}"

    # Booking reads a user's roles from the cache (restaurants.selectors.staff_roles_of):
    # every save or deletion of a membership forgets them now and once the transaction
    # commits, so a removed membership stops acting at the next request.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        staff_roles_forget_on_commit(self.user_id)

    def delete(self, *args, **kwargs):
        user_id = self.user_id
        result = super().delete(*args, **kwargs)
        staff_roles_forget_on_commit(user_id)
        return result


def staff_roles_cache_key(user_id: int) -> str:
    return f"auth:roles:{user_id}"


def staff_roles_forget(user_id: int) -> None:
    """Forget the user's cached roles: their own entry and the account's cache entry, which
    carries them for token requests (restaurants.selectors.staff_roles_of)."""
    try:
        cache.delete(staff_roles_cache_key(user_id))
    except Exception as exc:  # the entry lapses after AUTH_ACCOUNT_CACHE_SECONDS
        logger.warning("Staff roles cache: could not forget %s (%s)", user_id, exc)
    account_forget(user_id)


def staff_roles_forget_on_commit(user_id: int) -> None:
    staff_roles_forget(user_id)
    transaction.on_commit(lambda: staff_roles_forget(user_id), robust=True)


class StaffInvitation(TimeStampedModel):
    """An invitation to join a restaurant's staff in ``role``, sent to ``email`` (an account
    may not exist yet). Accepting it (restaurants.invitations) creates or activates the
    account and its membership; it is used once, and lapses at ``expires_at``. The link's
    token is ``nonce`` signed with the secret key: a new invitation to the same address
    replaces the open one, and its nonce, so an older link stops working."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=StaffMembership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
    )
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The language of the invitation's email and page: the inviter's, when they asked in one.
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["manager", "host"]), name="invitation_role_valid"
            ),
            # One open invitation per address and restaurant (a new one replaces it).
            models.UniqueConstraint(
                fields=["restaurant", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} invited as {self.role} of {self.restaurant}"
