"""The account's entry in the cache, as far as the models and the apps above need it: its key,
forgetting it, and the parts other apps keep in it (the entry itself is made and read by
accounts.authentication)."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Values about an account that apps above this one read on most requests, kept in the entry
# and forgotten with it: name -> loader(user) returning builtins.
entry_parts: dict[str, Callable[[Any], Any]] = {}


def account_entry_part(name: str, load: Callable[[Any], Any]) -> None:
    """Keep ``load(user)`` (builtins) in the account's cache entry as ``name``, read back with
    ``account_cached_part``. Whoever registers a part forgets the account's entry
    (``account_forget``) whenever what it loads changes."""
    entry_parts[name] = load


def account_cached_part(user, name: str, default=None):
    """The part ``name`` kept with the account when ``user`` came from the cache's entry or
    was just read to make it (a bearer token's request), else ``default``."""
    parts = getattr(user, "account_cache_parts", None)
    if parts is None or name not in parts:
        return default
    return parts[name]


def account_cache_key(user_id) -> str:
    return f"auth:account:{user_id}"


def account_forget(user_id) -> None:
    """Drop the cached copy of the account (a failing cache is logged: its entry lapses)."""
    try:
        cache.delete(account_cache_key(user_id))
    except Exception as exc:
        logger.warning("Account cache: could not forget %s (%s)", user_id, exc)
