from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel


class Notification(TimeStampedModel):
    """One message to a guest, written in the same transaction as the change that causes it
    (the outbox), delivered by a worker after commit."""

    class Kind(models.TextChoices):
        HOLD_CREATED = "hold_created", "Please confirm"
        CONFIRMED = "confirmed", "Confirmed"
        REMINDER = "reminder", "Reminder"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        CHANGED = "changed", "Changed"
        INVITATION = "invitation", "Staff invitation"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # A guest's email is about a reservation; a staff invitation's is about the invitation
    # (its address has no guest profile): exactly one of the two.
    reservation = models.ForeignKey(
        "reservations.Reservation",
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    invitation = models.ForeignKey(
        "restaurants.StaffInvitation",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Each kind goes out once per reservation ("changed": once per change).
    dedupe_key = models.CharField(max_length=120, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    scheduled_for = models.DateTimeField(help_text="Not delivered before this time.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="While sending: when the claim lapses (crash recovery)."
    )
    # A new value per claim, kept after the outcome: a worker writes its outcome only while
    # the row still carries its token, so a stale worker never lands on a newer claim.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    # The id of the request (or task) that caused the message (core.request_id), sent as the
    # email's X-Request-ID so a message can be traced back to the booking that caused it.
    request_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(reservation__isnull=False, customer__isnull=False, invitation__isnull=True)
                    | Q(reservation__isnull=True, customer__isnull=True, invitation__isnull=False)
                ),
                name="notification_about_one_thing",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scheduled_for"],
                name="notification_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        about = self.reservation_id or f"invitation {self.invitation_id}"
        return f"{self.get_kind_display()} for {about} ({self.status})"

    @property
    def recipient_email(self) -> str:
        """The address the message goes to: the guest's, or the invited one."""
        if self.invitation_id:
            return self.invitation.email
        return self.customer.email
