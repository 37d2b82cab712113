"""Bearer-token authentication with the account read from the cache.

A token is checked as simplejwt checks it (signature, expiry, type), then the account it
names is read from the cache, where it is kept for ``AUTH_ACCOUNT_CACHE_SECONDS`` after a
database read, instead of one query per request. What must still stop a token stops it:

* a deactivated account (``is_active``) and a deleted one: saving or deleting an account
  forgets its cache entry at once and again when the transaction commits
  (``User.save``/``User.delete``), so the next request reads the database;
* a changed password: the token carries a hash of the password it was issued under
  (simplejwt's ``CHECK_REVOKE_TOKEN``), compared with the account's on every request, and the
  password's change is a save, which forgets the entry;
* a write that bypasses ``save`` (a queryset ``update``) is seen once the entry lapses, after
  ``AUTH_ACCOUNT_CACHE_SECONDS`` at most.

A cache that fails is skipped: the account is read from the database, as it would have been.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

logger = logging.getLogger(__name__)


def account_cache_key(user_id) -> str:
    return f"auth:account:{user_id}"


def account_forget(user_id) -> None:
    """Drop the cached copy of the account (a failing cache is logged: its entry lapses)."""
    try:
        cache.delete(account_cache_key(user_id))
    except Exception as exc:
        logger.warning("Account cache: could not forget %s (%s)", user_id, exc)


def _cached_account(user_id):
    try:
        return cache.get(account_cache_key(user_id))
    except Exception as exc:
        logger.warning("Account cache: read failed (%s)", exc)
        return None


def _remember(user) -> None:
    try:
        cache.set(account_cache_key(user.pk), user, timeout=settings.AUTH_ACCOUNT_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Account cache: write failed (%s)", exc)


class CachedJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, the account from the cache (module docstring)."""

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = _cached_account(user_id) if settings.AUTH_ACCOUNT_CACHE_SECONDS else None
        if user is None:
            model = get_user_model()
            try:
                user = model.objects.get(**{api_settings.USER_ID_FIELD: user_id})
            except model.DoesNotExist as exc:
                raise AuthenticationFailed(_("User not found"), code="user_not_found") from exc
            if settings.AUTH_ACCOUNT_CACHE_SECONDS:
                _remember(user)
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class CachedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the bearer token, as drf-spectacular describes
    simplejwt's (it matches the exact class only)."""

    target_class = "accounts.authentication.CachedJWTAuthentication"
