import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import ExpressionWrapper, F, Func, Q
from django.utils.translation import gettext_lazy as _

from core.constraints import PostgresExclusionConstraint
from core.models import TimeStampedModel


def new_manage_token() -> str:
    return secrets.token_urlsafe(32)


class ManageTokenConverter:
    """A manage token in a URL: token_urlsafe's alphabet only, so nothing else (a NUL byte,
    a slash) ever reaches the database; anything else is simply not a matching URL (404)."""

    regex = "[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.Field()


class ReservationQuerySet(models.QuerySet):
    """The one predicate of a lapsed hold, for queries (``hold_lapsed`` in
    reservations.services.transitions is the same rule for one row): a pending hold lives
    while ``now < expires_at``; once it has passed, the hold is expired whether or not the sweep
    has marked it yet."""

    def lapsed_holds(self, now):
        return self.filter(_lapsed(now))

    def live_holds(self, now):
        return self.filter(status=Reservation.Status.PENDING).exclude(_lapsed(now))

    def without_lapsed_holds(self, now):
        return self.exclude(_lapsed(now))

    def holds_with_lapse(self, now):
        """The pending holds, each with ``lapsed``: whether its time ran out by ``now``."""
        return self.filter(status=Reservation.Status.PENDING).annotate(
            lapsed=ExpressionWrapper(_lapsed(now), output_field=models.BooleanField())
        )

    def ahead(self, now):
        """Pending, confirmed or seated and not over yet: what a table's deletion or a change
        of the restaurant's time zone must not pull out from under."""
        return self.filter(end_at__gt=now, status__in=Reservation.ACTIVE_STATUSES)


def _lapsed(now) -> Q:
    return Q(status=Reservation.Status.PENDING, expires_at__lte=now)


class Reservation(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        SEATED = "seated", _("Seated")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        STAFF = "staff", _("Staff")

    # The statuses that occupy a table: no two of them may overlap on one table.
    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED, Status.SEATED)
    # The statuses pacing counts at their start (SlotPace): every party the kitchen was to
    # expect then, served or not; a reservation stops counting only when it is cancelled or
    # its hold expires.
    PACED_STATUSES = (
        Status.PENDING,
        Status.CONFIRMED,
        Status.SEATED,
        Status.COMPLETED,
        Status.NO_SHOW,
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    restaurant = models.ForeignKey(
        "restaurants.Restaurant", on_delete=models.PROTECT, related_name="reservations"
    )
    # The first of the tables it holds (by table id; ``occupancies`` has them all), kept so
    # a one-table reservation reads as before.
    table = models.ForeignKey(
        "restaurants.Table", on_delete=models.PROTECT, related_name="reservations"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="reservations"
    )
    party_size = models.PositiveSmallIntegerField()
    reservation_date = models.DateField(help_text="Local date in the restaurant's time zone.")
    reservation_time = models.TimeField(help_text="Local time in the restaurant's time zone.")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    seated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    allergies = models.TextField(
        blank=True, help_text="The party's allergies, as the guest gave them."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    # One of settings.LANGUAGES (checked by the booking core, not by choices here, so a new
    # language needs no migration): every e-mail to the guest about it is written in it.
    # The phone typed with a booking made without an account (E.164): the profile found by
    # e-mail is never edited, so this is where the number is kept and counted against holds.
    contact_phone = models.CharField(max_length=20, blank=True)
    language = models.CharField(
        max_length=10, default="en", help_text="The guest's language, for their e-mails."
    )
    manage_token = models.CharField(
        max_length=64, unique=True, default=new_manage_token, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="reservation_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="reservation_party"),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(expires_at__isnull=False),
                name="reservation_pending_has_expiry",
            ),
        ]
        indexes = [
            models.Index(fields=["restaurant", "start_at"], name="reservation_rest_start_idx"),
            models.Index(
                fields=["expires_at"],
                name="reservation_pending_exp_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["customer", "start_at"], name="reservation_cust_start_idx"),
        ]

    def __str__(self):
        # The restaurant's local date and time, as its staff and guests say it (the admin's
        # messages show this): the stored local fields, no look-up of the restaurant's zone.
        return (
            f"{self.customer} x{self.party_size} @ "
            f"{self.reservation_date:%Y-%m-%d} {self.reservation_time:%H:%M}"
        )


class Occupancy(models.Model):
    """One table a reservation sits at: one row per (reservation, table), carrying the stay
    and whether it holds the table now (``holds``: the reservation is pending, confirmed or
    seated). The exclusion constraint on these rows is the final guard against double
    booking: no two rows that hold one table overlap in time. The state machine and the
    booking core write ``holds``, the stay and the rows in the transaction that changes the
    reservation (reservations.services.table_guard)."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="occupancies"
    )
    table = models.ForeignKey(
        "restaurants.Table", on_delete=models.PROTECT, related_name="occupancies"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    holds = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reservation", "table"], name="occupancy_once"),
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="occupancy_ends_after_start"
            ),
            # The final guard against double booking.
            PostgresExclusionConstraint(
                name="occupancy_no_overlap",
                expressions=[
                    (F("table"), RangeOperators.EQUAL),
                    (
                        TsTzRange("start_at", "end_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(holds=True),
            ),
        ]
        indexes = [
            models.Index(
                fields=["table", "start_at"],
                name="occupancy_table_start_idx",
                condition=Q(holds=True),
            ),
        ]

    def __str__(self):
        return f"table {self.table_id} for {self.reservation_id}"


class SlotPace(models.Model):
    """The guests (``covers``) and parties of a restaurant's reservations that start at
    ``slot_start``, kept by the booking core and the state machine in the transaction that
    changes a reservation (reservations.services.pacing): one row per (restaurant, start),
    created when its first reservation is booked. A booking starts on the restaurant's slot
    grid, so its start is the start of its slot interval.

    The counters are what the restaurant's pacing limits are enforced against, by a guarded
    ``UPDATE`` of the row (never by counting reservations and then writing): the row lock
    serializes concurrent bookings of one slot on PostgreSQL, SQLite's write lock does in
    the embedded mode. Every reservation in ``Reservation.PACED_STATUSES`` counts, whether
    or not its restaurant has limits, so a limit set later finds the counts right."""

    restaurant = models.ForeignKey(
        "restaurants.Restaurant", on_delete=models.CASCADE, related_name="+"
    )
    slot_start = models.DateTimeField()
    covers = models.PositiveIntegerField(default=0)
    parties = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "slot_start"], name="slotpace_once"),
        ]

    def __str__(self):
        return f"{self.covers} guests, {self.parties} parties @ {self.slot_start:%Y-%m-%d %H:%M}Z"
