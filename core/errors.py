"""The one error hierarchy of ReservaFlow.

Services raise these; the DRF exception handler (core.exception_handler) renders every one as
``{"code": ..., "message": ..., "details": {...}}`` with the class's HTTP status.
"""

import math
from typing import Any


class ApplicationError(Exception):
    code = "error"
    status = 400
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
    ):
        self.message = message or self.message
        self.details = details or {}
        if code:
            self.code = code
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
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state."


class Locked(ApplicationError):
    """Another request holds the lock; the client may retry after ``retry_after`` seconds."""

    code = "locked"
    status = 423
    message = "The resource is locked by another request; retry shortly."
    retry_after = 1


class RequestTooLarge(ApplicationError):
    """The body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the file parts of a multipart body
    do not count)."""

    code = "request_too_large"
    status = 413
    message = "The request body is larger than the server accepts."


class MalformedBody(ApplicationError):
    """A form or multipart body that cannot be parsed (a multipart body without a boundary)."""

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


class Throttled(TooManyRequests):
    """Too many attempts from one client (or for one account) in a window; ``retry_after`` is
    how many seconds are left of it (core.throttling)."""

    code = "throttled"
    message = "Too many attempts; retry later."


class HoldLimit(TooManyRequests):
    """The guest already holds as many unconfirmed (pending) reservations as allowed."""

    code = "hold_limit"
    message = (
        "You already hold as many unconfirmed reservations as allowed; confirm or cancel "
        "one, or retry once one lapses."
    )
