from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key`` (core.idempotency).

    One row per caller scope and key, guarded by the unique constraint. While the first request
    runs the row is ``in_progress`` and ``expires`` is its lease (a crashed request frees the
    key when the lease ends); once answered it is ``completed`` with the response, and
    ``expires`` is the end of the replay window. A row past ``expires`` counts as absent."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed", "completed"

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # JSON as text, not jsonb: a replay renders the keys in the order of the first answer.
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key"),
            models.CheckConstraint(
                condition=models.Q(status="in_progress") | models.Q(response_status__isnull=False),
                name="core_idempotency_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.status})"
