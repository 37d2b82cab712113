"""Embedding the booking page on a restaurant's own site: the origins allowed to frame it and
the snippet a manager copies onto that site.

An origin is kept in the one form browsers send and compare (the serialisation of the HTML
standard): ``scheme://host[:port]``, the scheme http or https, the host lower-case and in its
ASCII (``xn--``) form, the port only when it is not the scheme's default. So the
``Content-Security-Policy: frame-ancestors`` of the booking page lists exactly what a manager
meant, and the ``Origin`` header of a cross-origin request compares as a plain string.
"""

import ipaddress
import re
from html import escape

import idna

from core.errors import InvalidEmbedOrigins

MAX_EMBED_ORIGINS = 20
# Far above any real origin (a host is at most 253 characters), low enough that a hostile
# value is refused before any parsing.
MAX_ORIGIN_LENGTH = 300
EMBED_SCRIPT = "reservaflow/embed.js"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
# The last label of a host that a browser would read as (part of) an IPv4 address.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


class OriginRefused(ValueError):
    """One value is not an origin; the message says why, for the person who typed it."""


def _ipv6(literal: str) -> str:
    """Refused, valid or not: a Content-Security-Policy source cannot name an IPv6 address
    (its host grammar has no bracketed literal), so browsers would ignore it in the frame
    policy while CORS took it; the site must be named by a host name."""
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        raise OriginRefused("the IPv6 address is not valid") from None
    raise OriginRefused("an IPv6 address cannot be listed: name the site by its host name")


def _host(host: str) -> str:
    if not host:
        raise OriginRefused("there is no host name")
    if "*" in host:
        raise OriginRefused("wildcards are not allowed: list each origin")
    if host.startswith("["):
        if not host.endswith("]"):
            raise OriginRefused("the IPv6 address is not closed with ]")
        return _ipv6(host[1:-1])
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # Browsers read such a host as an IPv4 address (even 0x7f.1); only its plain
        # dotted-quad spelling is one origin that compares as text.
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise OriginRefused("the IPv4 address is not valid (write it as 192.0.2.1)") from None
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, ValueError):
        # idna.IDNAError is a UnicodeError; a lone surrogate fails the same way.
        raise OriginRefused("the host name is not a valid domain name") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise OriginRefused(
            "the host name is not a valid domain name (letters, digits and hyphens)"
        )
    return ascii_host


def _port(scheme: str, port: str) -> str:
    if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
        raise OriginRefused("the port must be a number from 1 to 65535")
    return "" if int(port) == _DEFAULT_PORTS[scheme] else f":{int(port)}"


def normalize_origin(value: str) -> str:
    """``value`` as an origin in its normal form (lower-case ASCII host, no default port, a
    lone trailing slash dropped); OriginRefused says why it is not one."""
    if len(value) > MAX_ORIGIN_LENGTH:
        raise OriginRefused(f"longer than {MAX_ORIGIN_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        # Also a null character (PostgreSQL's JSON refuses it) and a lone surrogate.
        raise OriginRefused("spaces, control and invisible characters are not allowed")
    scheme, separator, rest = value.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        raise OriginRefused("it must start with https:// (or http://)")
    if rest.endswith("/"):
        rest = rest[:-1]  # https://example.com/ is what a browser's address bar shows
    if any(ch in rest for ch in "/?#\\"):
        raise OriginRefused("an origin has no path, query or fragment: only scheme://host[:port]")
    if "@" in rest:
        raise OriginRefused("an origin has no user name or password")
    host, port = rest, ""
    if rest.startswith("["):
        closing = rest.find("]")
        if closing != -1 and rest[closing + 1 :].startswith(":"):
            host, port = rest[: closing + 1], rest[closing + 2 :]
        elif closing != -1 and rest[closing + 1 :]:
            raise OriginRefused("unexpected text after the IPv6 address")
    elif ":" in rest:
        host, _, port = rest.rpartition(":")
    normal_host = _host(host)
    normal_port = _port(scheme, port) if port or rest.endswith(":") else ""
    return f"{scheme}://{normal_host}{normal_port}"


def _shown(value: str) -> str:
    """The start of a refused value, to name it in the message."""
    return value if len(value) <= 60 else f"{value[:57]}..."


def normalize_embed_origins(values: object) -> list[str]:
    """The origins allowed to frame a restaurant's booking page, normalised and without
    duplicates (first ones first). Anything else, a value that is not a list, an item that
    is not a string or not an origin, more than MAX_EMBED_ORIGINS, is InvalidEmbedOrigins,
    naming every item refused."""
    if not isinstance(values, list):
        raise InvalidEmbedOrigins.field(
            "embed_origins", 'Must be a list of origins, e.g. ["https://www.example.com"].'
        )
    if len(values) > MAX_EMBED_ORIGINS:
        raise InvalidEmbedOrigins.field(
            "embed_origins", f"At most {MAX_EMBED_ORIGINS} origins; {len(values)} were given."
        )
    normal: list[str] = []
    problems: list[str] = []
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str):
            problems.append(f"Item {position}: must be a string.")
            continue
        try:
            origin = normalize_origin(value)
        except OriginRefused as exc:
            problems.append(f"Item {position} ({_shown(value)!r}): {exc}.")
            continue
        if origin not in normal:
            normal.append(origin)
    if problems:
        raise InvalidEmbedOrigins(details={"embed_origins": problems})
    return normal


def embed_snippet(*, slug: str, script_url: str) -> str:
    """The tag a restaurant pastes into its own site: ``embed.js`` (served by this service)
    frames its booking page, so the script's address decides the frame's."""
    return f'<script src="{escape(script_url)}" data-restaurant="{escape(slug)}" async></script>'
