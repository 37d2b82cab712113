"""``Idempotency-Key`` for unsafe API calls (docs/api-reservations.md, "Retries").

A client that may retry a POST sends a key of its choosing. The first request with a key
claims it by inserting an in-progress ``IdempotencyRecord`` in its own committed transaction
before any work, then stores its answer; a retry with the same key and the same request gets
that answer again (``Idempotent-Replayed: true``) without running the view; the same key with
another request is 422; a duplicate that arrives while the first still runs waits for it a
moment, then answers 409. Keys are scoped to the caller, so two callers never share one.

Only final answers are kept: 2xx, 3xx and the 4xx a retry would repeat. A 5xx, 408, 423,
425, 429 or a database error (deadlock, lost connection) releases the key, so the retry runs
again. Releasing the key and storing the answer survive a connection that broke under the
request: they are retried on a new connection (``core.reconnecting``). The unique constraint
on (scope, key) decides who runs; a record past ``expires`` counts as absent (correctness
never waits for the purge task).

The table holds no usable secret: a scope made from a secret is kept as its digest, and a
secret field of an answer (``SecretField``, the manage token) is stored as null and read
again from its owner when the answer is replayed.

Views opt in per handler with ``@idempotent()``; requests without the header are untouched.
"""

import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from core.clock import now as clock_now
from core.errors import IdempotencyInProgress, IdempotencyKeyInvalid, IdempotencyKeyReused
from core.models import IdempotencyRecord
from core.reconnecting import retry_on_new_connection

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: no space, no control
_POLL_SECONDS = 0.05
_CLAIM_ATTEMPTS = 5
# Answers that say "not now" rather than "no": a retry must run the request again.
_TRANSIENT_STATUSES = frozenset({408, 423, 425, 429})

Status = IdempotencyRecord.Status
T = TypeVar("T")
# Whose key it is; None: the request takes no key (it runs as if sent without the header).
Scope = Callable[[Request, dict], str | None]


# --- scopes: who a key belongs to -------------------------------------------------------------


def caller_scope(request: Request, view_kwargs: dict) -> str:
    """An account's keys are its own. For views that require a login (their permission check
    runs before the key is looked at); anonymous callers have no scope of their own."""
    user = request.user
    if not user.is_authenticated:
        raise ImproperlyConfigured(
            "@idempotent() without scope= needs a view that requires a login."
        )
    return f"user:{user.pk}"


def url_secret_scope(kwarg: str, *, resolves: Callable[[str], bool]) -> Scope:
    """Keys scoped to a secret in the URL (a manage token): the secret's holder is the caller.
    Only a secret that ``resolves`` takes keys, so guessed ones leave nothing in the table
    (their 404 is not kept); stored as a digest, so the table holds no usable secret."""

    def scope(request: Request, view_kwargs: dict) -> str | None:
        secret = str(view_kwargs[kwarg])
        if not resolves(secret):
            return None
        return f"{kwarg}:{hashlib.sha256(secret.encode()).hexdigest()}"

    return scope


@dataclass(frozen=True)
class SecretField:
    """A field of an answer that must not be kept: stored as null in place (so the replay keeps
    the key order), and filled on replay by ``recall(stored_body)`` from where it lives."""

    name: str
    recall: Callable[[dict], Any]

    def keep_out(self, data):
        if isinstance(data, dict) and self.name in data:
            return {**data, self.name: None}
        return data

    def put_back(self, data):
        if isinstance(data, dict) and self.name in data:
            return {**data, self.name: self.recall(data)}
        return data


# --- the record's services --------------------------------------------------------------------


def idempotency_key_validate(key: str) -> str:
    if not _VALID_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


class _FingerprintEncoder(DjangoJSONEncoder):
    """An uploaded file counts by its name and content, so a retry of the same upload is the
    same request and another file is not."""

    def default(self, o):
        if isinstance(o, UploadedFile):
            digest = hashlib.sha256()
            for chunk in o.chunks():
                digest.update(chunk)
            o.seek(0)  # the view reads it next
            return {"file": o.name, "sha256": digest.hexdigest()}
        return super().default(o)


def request_fingerprint(*, method: str, path: str, data) -> str:
    """What makes two requests "the same": method, path and the parsed body (so key order and
    whitespace do not matter). Deterministic: a body that cannot be written out is a 400."""
    if hasattr(data, "lists"):  # a form's QueryDict: every value of every key
        data = dict(data.lists())
    try:
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=_FingerprintEncoder)
    except RecursionError:
        raise ParseError("The request body is nested too deeply.") from None
    except (TypeError, ValueError):
        raise ParseError("This request body cannot be sent with an Idempotency-Key.") from None
    return hashlib.sha256(f"{method}\n{path}\n{body}".encode()).hexdigest()


def idempotency_claim(*, scope: str, key: str, request_hash: str) -> IdempotencyRecord:
    """Claim ``key`` for this request, or find the answer to replay.

    Returns an in-progress record this request now owns (inserted and committed before the
    work, so a concurrent duplicate sees it), or a completed one whose answer is replayed.
    A record past ``expires`` (a crashed request's lease, or a replay window that has ended)
    is deleted and claimed anew. Raises IdempotencyKeyReused when the key was used for another
    request, IdempotencyInProgress when its first request still runs after
    ``IDEMPOTENCY_WAIT_SECONDS``. Called outside any transaction (ATOMIC_REQUESTS is off).
    """
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    attempts = 0
    while True:
        now = clock_now()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    scope=scope,
                    key=key,
                    request_hash=request_hash,
                    status=Status.IN_PROGRESS,
                    created_at=now,
                    expires=now + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS),
                )
        except IntegrityError:
            pass  # the key is taken: look at who holds it
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None or existing.expires <= now:
            if existing is not None:
                IdempotencyRecord.objects.filter(pk=existing.pk, expires__lte=now).delete()
            attempts += 1
            if attempts < _CLAIM_ATTEMPTS:
                continue  # released or lapsed meanwhile: claim it again at once
            raise IdempotencyInProgress()
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if existing.status == Status.COMPLETED:
            return existing
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress()
        time.sleep(_POLL_SECONDS)


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: str) -> bool:
    """Store the first answer; it is replayed until ``created_at + IDEMPOTENCY_TTL_SECONDS``.
    False when the record is no longer this request's (its lease lapsed and a retry took it).
    The work is already done: a broken connection is replaced and the write retried
    (``_on_new_connection``), so the retry the client sends next is a replay, not a 409."""

    def store() -> bool:
        stored = IdempotencyRecord.objects.filter(pk=record.pk, status=Status.IN_PROGRESS).update(
            status=Status.COMPLETED,
            response_status=status,
            response_body=body,
            expires=record.created_at + timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS),
        )
        # A try that committed just before its connection broke leaves the row completed; a
        # retry that took the key over would have a new row (the lapsed one is deleted).
        return (
            bool(stored)
            or IdempotencyRecord.objects.filter(pk=record.pk, status=Status.COMPLETED).exists()
        )

    return _on_new_connection(store, what=f"Idempotency key {record.pk}: storing the answer")


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Free the key of a request whose answer is not final, so its retry runs again. The
    answer is often a 503 for a lost connection that advises a retry in seconds: the delete
    goes over a new connection rather than leaving the key locked for its lease."""

    def release() -> None:
        IdempotencyRecord.objects.filter(pk=record.pk, status=Status.IN_PROGRESS).delete()

    _on_new_connection(release, what=f"Idempotency key {record.pk}: releasing it")


def _on_new_connection(write: Callable[[], T], *, what: str) -> T:
    return retry_on_new_connection(
        write,
        retries=settings.IDEMPOTENCY_RECORD_RETRIES,
        backoff_seconds=settings.IDEMPOTENCY_RECORD_BACKOFF_SECONDS,
        what=what,
    )


def idempotency_records_purge(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete lapsed records in batches (beat; a lapsed record already counts as absent)."""
    now = now or clock_now()
    deleted = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(expires__lte=now).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids, expires__lte=now).delete()[0]


# --- the view decorator -----------------------------------------------------------------------


def _is_final(response, failure: BaseException | None) -> bool:
    if not isinstance(response, Response):
        return False
    if isinstance(failure, DatabaseError):
        return False  # a deadlock or a dropped connection: nothing was applied, retry runs
    return response.status_code < 500 and response.status_code not in _TRANSIENT_STATUSES


def _replay(record: IdempotencyRecord, secret: SecretField | None) -> Response:
    data = json.loads(record.response_body)
    return Response(
        secret.put_back(data) if secret else data,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Optional, 1-255 visible ASCII characters, unique per request. A retry with "
    "the same key and body within 24 h gets the first answer again "
    f"(`{REPLAYED_HEADER}: true`) and books nothing twice; another body with the key is 422 "
    "`idempotency_key_reused`; a duplicate of a request still running is 409 "
    "`idempotency_in_progress`; a malformed key is 400 `idempotency_key_invalid`.",
)


def idempotent(scope: Scope = caller_scope, *, secret: SecretField | None = None):
    """Make a DRF view handler (``def post(self, request, ...)``) honour ``Idempotency-Key``.

    Runs after authentication, permissions and throttles (those answers are never stored),
    before the handler; ``scope(request, view_kwargs)`` names whose key it is (None: this
    request takes no key). ``secret``: a field of the answer that is not stored."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return handler(view, request, *args, **kwargs)
            idempotency_key_validate(key)
            fingerprint = request_fingerprint(
                method=request.method, path=request.get_full_path(), data=request.data
            )
            owner = scope(request, kwargs)
            if owner is None:
                return handler(view, request, *args, **kwargs)
            record = idempotency_claim(scope=owner, key=key, request_hash=fingerprint)
            if record.status == Status.COMPLETED:
                return _replay(record, secret)
            try:
                failure = None
                try:
                    response = handler(view, request, *args, **kwargs)
                except Exception as exc:
                    failure = exc
                    response = view.handle_exception(exc)  # the one exception handler
            except BaseException:
                _release_quietly(record)
                raise
            if not _is_final(response, failure):
                _release_quietly(record)
                return response
            try:
                kept = secret.keep_out(response.data) if secret else response.data
                body = json.dumps(kept, cls=DjangoJSONEncoder)
                if not idempotency_complete(record=record, status=response.status_code, body=body):
                    logger.warning("Idempotency key %s outlived its lease", record.pk)
            except (DatabaseError, TypeError, ValueError) as exc:
                # The work is done but its answer could not be kept (the database stayed away
                # past the retries): the key stays in progress until its lease ends (a retry
                # meanwhile is 409, not a second booking).
                logger.warning("Idempotency answer not stored: %s", exc)
            return response

        return extend_schema(parameters=[_KEY_PARAMETER])(wrapper)

    return decorate


def _release_quietly(record: IdempotencyRecord) -> None:
    try:
        idempotency_release(record=record)
    except DatabaseError as exc:  # past the retries: the lease frees the key later
        logger.warning("Idempotency key not released: %s", exc)
