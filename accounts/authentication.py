"""Bearer-token authentication with the account read from the cache.

A token is checked as simplejwt checks it (signature, expiry, type), then the account it
names is read from the cache, where it is kept for ``AUTH_ACCOUNT_CACHE_SECONDS`` after a
database read, instead of one query per request. What must still stop a token stops it:

* a deactivated account (``is_active``) and a deleted one: saving or deleting an account
  forgets its cache entry at once and again when the transaction commits
  (``User.save``/``User.delete``, and a queryset's delete such as the admin's "delete
  selected": ``UserQuerySet.delete``), so the next request reads the database;
* a changed password: the token carries a hash of the password it was issued under
  (simplejwt's ``CHECK_REVOKE_TOKEN``), compared on every request with the same hash of the
  account's password, kept in the entry; the password's change is a save, which forgets it;
* a write that bypasses ``save`` (a queryset ``update``) is seen once the entry lapses, after
  ``AUTH_ACCOUNT_CACHE_SECONDS`` at most.

The entry holds only what a request needs, as builtins (``account_entry``): the id, e-mail,
``is_active``, ``is_staff``, ``is_superuser``, that password-derived hash (never the password
hash itself) and the parts that apps above this one registered
(``accounts.account_cache.account_entry_part``: the staff roles, restaurants.selectors).
The account is rebuilt from it without a query, as an instance whose other fields are
deferred (read from the database if ever touched) and that refuses to be saved
(``User.save``), so a partial copy can never overwrite the row.

A cache that fails is skipped: the account is read from the database, as it would have been.

A token's signature is checked once per process: a token that verified is remembered by its
exact bytes (``_verified_tokens``, at most ``VERIFIED_TOKENS_KEPT``), and the same bytes again
skip the decoding and signature check, not the expiry, which is checked on every request as
simplejwt checks it. Any other bytes (a tampered or unknown token) take the full check.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.account_cache import account_cache_key, entry_parts
from accounts.models import User

logger = logging.getLogger(__name__)

# The fields an entry keeps, in the model's field order (``Model.from_db`` takes them so).
ENTRY_FIELDS = tuple(
    field.attname
    for field in User._meta.concrete_fields
    if field.attname in {"id", "email", "is_active", "is_staff", "is_superuser"}
)
# Bumped when the entry's shape changes: an entry of another shape is a miss.
ENTRY_VERSION = 1

# Tokens whose signature verified in this process: raw bytes -> (token class, payload).
# Emptied when full (one sign-in per token makes it grow; the limit bounds the memory).
VERIFIED_TOKENS_KEPT = 4096
_verified_tokens: dict[bytes, tuple[type, dict]] = {}


def revoke_claim_of(user: User) -> str:
    """What a token's revoke claim must equal for ``user`` (simplejwt's hash of the hash)."""
    return get_md5_hash_password(user.password)


def account_entry(user: User) -> dict:
    """The cache entry of ``user``: builtins only, no password hash."""
    return {
        "v": ENTRY_VERSION,
        "fields": [getattr(user, name) for name in ENTRY_FIELDS],
        "revoke": revoke_claim_of(user),
        "parts": {name: load(user) for name, load in entry_parts.items()},
    }


def account_from_entry(entry) -> tuple[User, str] | None:
    """The account an entry describes and its revoke claim, or None for an entry of another
    shape (an older release's)."""
    if not isinstance(entry, dict) or entry.get("v") != ENTRY_VERSION:
        return None
    user = User.from_db(DEFAULT_DB_ALIAS, ENTRY_FIELDS, entry["fields"])
    user.from_account_cache = True
    user.account_cache_parts = entry["parts"]
    return user, entry["revoke"]


def _cached_account(user_id) -> tuple[User, str] | None:
    try:
        entry = cache.get(account_cache_key(user_id))
    except Exception as exc:
        logger.warning("Account cache: read failed (%s)", exc)
        return None
    return None if entry is None else account_from_entry(entry)


def _remember(user: User) -> None:
    entry = account_entry(user)
    user.account_cache_parts = entry["parts"]
    try:
        cache.set(account_cache_key(user.pk), entry, timeout=settings.AUTH_ACCOUNT_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Account cache: write failed (%s)", exc)


class CachedJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, the account from the cache (module docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        # simplejwt's looks the user model up for every request's instance; get_user does
        # not need it.
        pass

    def get_validated_token(self, raw_token):
        known = _verified_tokens.get(raw_token)
        if known is not None:
            token_class, payload = known
            # The token as simplejwt's constructor leaves it, without decoding it again.
            token = token_class.__new__(token_class)
            token.token = raw_token
            token.current_time = aware_utcnow()
            token.payload = dict(payload)
            try:
                token.check_exp()
            except TokenError:
                _verified_tokens.pop(raw_token, None)  # the full check below refuses it
            else:
                return token
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= VERIFIED_TOKENS_KEPT:
            _verified_tokens.clear()
        _verified_tokens[raw_token] = (type(token), dict(token.payload))
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        seconds = settings.AUTH_ACCOUNT_CACHE_SECONDS
        cached = _cached_account(user_id) if seconds else None
        if cached is None:
            try:
                user = User.objects.get(**{api_settings.USER_ID_FIELD: user_id})
            except (User.DoesNotExist, ValueError, TypeError) as exc:
                raise AuthenticationFailed(_("User not found"), code="user_not_found") from exc
            if seconds:
                _remember(user)
            revoke = revoke_claim_of(user) if api_settings.CHECK_REVOKE_TOKEN else None
        else:
            user, revoke = cached
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if (
            api_settings.CHECK_REVOKE_TOKEN
            and validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != revoke
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class CachedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the bearer token, as drf-spectacular describes
    simplejwt's (it matches the exact class only)."""

    target_class = "accounts.authentication.CachedJWTAuthentication"
