"""The one error hierarchy of ReservaFlow.

Services raise these; the DRF exception handler (core.exception_handler) renders every one as
``{"code": ..., "message": ..., "details": {...}}`` with the class's HTTP status. One class per
code, the code and status on the class: nothing compares error strings, and docs/errors.md is
generated from these classes (``reservaflow errors_doc``; a test fails when it is stale).
Classes with ``abstract = True`` group others and are never raised themselves.
"""

import inspect
import math
from typing import Any

UNKNOWN_FIELD = "Unknown field."


class ApplicationError(Exception):
    abstract = True
    code = "error"
    status = 400
    message = "The request could not be processed."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.abstract = cls.__dict__.get("abstract", False)

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.message
        self.details = details or {}
        super().__init__(self.message)

    # Seconds after which a retry may succeed, sent as Retry-After (None: no header).
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(self.retry_after)}


class ValidationFailed(ApplicationError):
    """Bad input; ``details`` maps field names to lists of messages."""

    code = "validation_error"
    status = 400
    message = "Invalid input."

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationFailed":
        return cls(message, details={field: [message]})

    @classmethod
    def unknown_fields(cls, names) -> "ValidationFailed":
        """Keys a strict input does not take, each named under ``details``."""
        return cls(details={name: [UNKNOWN_FIELD] for name in sorted(names)})


class InvalidEmbedOrigins(ValidationFailed):
    """``embed_origins`` is not a list of at most 20 web origins (``https://host`` or
    ``http://host:port``: no path, query, fragment, user name or wildcard);
    ``details.embed_origins`` names each item refused and why."""

    code = "invalid_embed_origins"
    message = "embed_origins must be a list of web origins such as https://www.example.com."


class InvalidTableIds(ValidationFailed):
    """``table_ids`` of a table combination is not a list of 2 to 20 distinct ids of the
    restaurant's active tables; ``details.table_ids`` names each id refused and why."""

    code = "invalid_table_ids"
    message = "table_ids must list 2 to 20 distinct active tables of this restaurant."


class CombinationExists(ValidationFailed):
    """The restaurant already has a combination of exactly these tables
    (``details.table_ids`` names it)."""

    code = "combination_exists"
    message = "The restaurant already has a combination of these tables."


class NotAuthenticated(ApplicationError):
    code = "not_authenticated"
    status = 401
    message = "Authentication credentials were not provided or are invalid."


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    message = "You do not have permission to perform this action."


class ProfileOwnedByGuest(PermissionDenied):
    """Staff tried to change a guest profile that belongs to the guest's account."""

    code = "profile_owned_by_guest"
    message = (
        "This guest profile belongs to the guest's account: only the guest can change it. "
        "Record what your restaurant needs to know in its notes about the guest."
    )


class ProfileKeptElsewhere(PermissionDenied):
    """Staff tried to change a local guest profile that another restaurant keeps."""

    code = "profile_kept_elsewhere"
    message = "This guest profile is kept by another restaurant: you can read it, not change it."


class NotRestaurantGuest(PermissionDenied):
    """A restaurant's guest record about someone who is not its guest."""

    code = "not_restaurant_guest"
    message = (
        "This guest is not one of the restaurant's guests: a restaurant records notes only "
        "about its own guests."
    )


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    message = "Not found."


class Conflict(ApplicationError):
    """What the 409s have in common; each one raised is a subclass with its own code."""

    abstract = True
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state."


class Locked(ApplicationError):
    """Another request holds the lock; the client may retry after ``retry_after`` seconds."""

    code = "locked"
    status = 423
    message = "The resource is locked by another request; retry shortly."
    retry_after = 1


class SlotLocked(Locked):
    """Another booking of the same table and local day holds its lock (core.locking)."""

    code = "slot_locked"
    message = "Another booking for this table is being made; retry in a moment."


class SlotUnavailable(Conflict):
    """The table (or every table that seats the party) is taken at that time; ``details``
    names the table and the conflicting reservation's times where known."""

    code = "slot_unavailable"
    message = "No table is free at that time."


class PacingLimit(Conflict):
    """The restaurant's pacing limit (``max_covers_per_slot`` or ``max_parties_per_slot``)
    would be passed: that many guests or parties already start within the slot interval;
    ``details`` names the limit, its value and the slot's local time."""

    code = "pacing_limit"
    message = "The restaurant takes no more reservations starting at that time."


class NoTableFreeNow(Conflict):
    """A walk-in: no table or combination that seats the party is free from now for the
    party's stay; ``details.next_free_at`` (UTC) and ``details.next_free_time`` (local) say
    when one frees up for a whole stay, where a seating frees within the next few stays'
    ends (null otherwise)."""

    code = "no_table_free_now"
    message = "No table for this party is free now."


class RestaurantClosedNow(Conflict):
    """A walk-in is seated only while the restaurant is open: now is in none of its opening
    periods, or its service day is closed."""

    code = "restaurant_closed_now"
    message = "The restaurant is not open now."


class ConcurrentChange(Conflict):
    """The request crossed a concurrent change (the row changed since it was read, or the
    database rolled the transaction back on a deadlock); nothing was applied, retry."""

    code = "concurrent_change"
    message = "The request crossed a concurrent change and was not applied; retry."


class NotChangeable(Conflict):
    """Only a pending or confirmed reservation can be changed."""

    code = "not_changeable"
    message = "This reservation cannot be changed."


class InvalidTransition(Conflict):
    """The state machine has no such step from the current status (``details.status``)."""

    code = "invalid_transition"
    message = "The change is not possible from the current status."


class ReservationExpired(Conflict):
    """The pending hold lapsed before it was confirmed or changed."""

    code = "reservation_expired"
    message = "This hold has expired; make a new reservation."


class ReservationNotStarted(Conflict):
    """A no-show is recorded only after the reservation's start."""

    code = "reservation_not_started"
    message = "A no-show can only be recorded after the reservation's start."


class NoEmailAddress(Conflict):
    """An email cannot be resent to a guest without an address."""

    code = "no_email_address"
    message = "The guest has no email address."


class TimezoneHasReservations(Conflict):
    """A restaurant's time zone stays while reservations are ahead: their local dates and
    times would no longer match their start."""

    code = "timezone_has_reservations"
    message = "The time zone cannot change while reservations are ahead."


class TableHasReservations(Conflict):
    """A table with reservations ahead is deactivated, not deleted."""

    code = "table_has_reservations"
    message = "The table has reservations ahead; deactivate it instead."


class TableInCombination(Conflict):
    """A table that is part of a table combination is not deleted: change or delete the
    combination first, or deactivate the table; ``details.combination_ids`` lists them."""

    code = "table_in_combination"
    message = "The table is part of a table combination; change or delete the combination first."


class AlreadyStaff(Conflict):
    """The invited address's account already holds a role at the restaurant: change that
    role on its staff membership instead."""

    code = "already_staff"
    message = "This account is already on the restaurant's staff."


class InvitationNotFound(NotFound):
    """The invitation link is not one this service signed, or its invitation was replaced
    by a newer one or withdrawn."""

    code = "invitation_not_found"
    message = "This invitation link is not valid."


class InvitationUnusable(ApplicationError):
    """What the invitations that can no longer be accepted have in common."""

    abstract = True
    code = "invitation_unusable"
    status = 410
    message = "This invitation can no longer be accepted."


class InvitationExpired(InvitationUnusable):
    """The invitation's time ran out; ask the restaurant's manager for a new one."""

    code = "invitation_expired"
    message = "This invitation has expired; ask for a new one."


class InvitationUsed(InvitationUnusable):
    """The invitation was accepted already (a link works once)."""

    code = "invitation_used"
    message = "This invitation has already been accepted."


class MethodNotAllowed(ApplicationError):
    code = "method_not_allowed"
    status = 405
    message = "This method is not allowed here."


class NotAcceptable(ApplicationError):
    code = "not_acceptable"
    status = 406
    message = "The server cannot answer in any format the request accepts."


class UnsupportedMediaType(ApplicationError):
    code = "unsupported_media_type"
    status = 415
    message = "The body's content type is not supported: send JSON."


class ServerError(ApplicationError):
    """A bug: logged with its traceback; the client sees only this."""

    code = "server_error"
    status = 500
    message = "An unexpected error occurred."


class RequestTooLarge(ApplicationError):
    """The body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the file parts of a multipart body
    do not count)."""

    code = "request_too_large"
    status = 413
    message = "The request body is larger than the server accepts."


class ParseFailed(ApplicationError):
    """A body that cannot be parsed: not JSON, nested deeper than the parser allows, a
    multipart body without a boundary."""

    code = "parse_error"
    status = 400
    message = "The request body could not be parsed."


class TooManyFields(ApplicationError):
    """A form or multipart body with more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``."""

    code = "too_many_fields"
    status = 400
    message = "The request has more fields than the server accepts."


class TooManyFiles(ApplicationError):
    """A multipart body with more files than ``DATA_UPLOAD_MAX_NUMBER_FILES``."""

    code = "too_many_files"
    status = 400
    message = "The request has more files than the server accepts."


class ServiceUnavailable(ApplicationError):
    """A service the request needs (the database) is gone for now; nothing of the request was
    committed and the client may retry after ``retry_after`` seconds."""

    code = "service_unavailable"
    status = 503
    message = "A service the request needs is unavailable; retry shortly."
    retry_after = 5


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    status = 400
    message = "The Idempotency-Key header must be 1 to 255 visible ASCII characters."


class IdempotencyKeyReused(ApplicationError):
    """The caller sent this key before with another request (method, path or body)."""

    code = "idempotency_key_reused"
    status = 422
    message = "This Idempotency-Key was used for a different request; use a new key."


class IdempotencyInProgress(Conflict):
    """The first request with this key is still running; retrying after a moment replays it."""

    code = "idempotency_in_progress"
    status = 409
    message = "A request with this Idempotency-Key is still in progress; retry shortly."
    retry_after = 1


class TooManyRequests(ApplicationError):
    """Over a limit; the client may retry after ``retry_after`` seconds (the Retry-After
    header, and ``details.retry_after`` for clients that do not read headers)."""

    abstract = True
    code = "too_many_requests"
    status = 429
    message = "Too many requests; retry later."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float,
        details: dict[str, Any] | None = None,
    ):
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message, details={**(details or {}), "retry_after": self.retry_after})

    @property
    def retry_after_minutes(self) -> int:
        """The wait in whole minutes, rounded up, for a page that says it in words."""
        return math.ceil(self.retry_after / 60)


class Throttled(TooManyRequests):
    """Too many attempts in a window (per client address, or per account and address for
    sign-ins); ``retry_after`` is how many seconds are left of it (core.throttling)."""

    code = "throttled"
    message = "Too many attempts; retry later."


class HoldLimit(TooManyRequests):
    """The guest already holds as many unconfirmed (pending) reservations as allowed."""

    code = "hold_limit"
    message = (
        "You already hold as many unconfirmed reservations as allowed; confirm or cancel "
        "one, or retry once one lapses."
    )


def error_classes() -> list[type[ApplicationError]]:
    """Every concrete error class, by status and code: what docs/errors.md and the OpenAPI
    schema list."""
    found: list[type[ApplicationError]] = []
    pending = [ApplicationError]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if not sub.abstract:
                found.append(sub)
    return sorted(found, key=lambda cls: (cls.status, cls.code))


def errors_markdown() -> str:
    """docs/errors.md: every code with its status and meaning, from the classes above."""
    lines = [
        "# Error codes",
        "",
        "Generated from `core/errors.py` by `uv run reservaflow errors_doc --write`; a test",
        "fails when this file is out of date. Every error answer has the shape",
        '`{"code": ..., "message": ..., "details": {...}}`; clients branch on `code` (stable),',
        "never on `message` (for people; may change).",
        "",
        "| status | code | meaning |",
        "|---|---|---|",
    ]
    for cls in error_classes():
        doc = inspect.cleandoc(cls.__doc__) if cls.__dict__.get("__doc__") else cls.message
        meaning = " ".join(doc.split()).replace("``", "`").replace("|", "\\|")
        lines.append(f"| {cls.status} | `{cls.code}` | {meaning} |")
    return "\n".join(lines) + "\n"
