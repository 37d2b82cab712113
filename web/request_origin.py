"""Whether a post to the booking page was sent by the page itself: the booking form's defence
against cross-site request forgery, without a cookie.

The booking page is also posted from inside a frame on the restaurant's own site. There the
browser does not send this service's cookies (they are SameSite=Lax, and Safari and Firefox
block third-party cookies anyway), so Django's CSRF check, which compares a cookie with the
form's token, would refuse every booking made in a frame. The booking view is therefore
``csrf_exempt`` and checks instead the headers a browser sets on every post and a page cannot
forge (the header-based defence: Fetch Metadata, then the Origin, then the Referer):

- ``Sec-Fetch-Site`` (every current browser): it must be ``same-origin``, i.e. the form was
  on one of this service's own pages, framed or not;
- without it, ``Origin``; without that, the origin of ``Referer``: it must be the request's
  own scheme and host, or one of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` too);
- with none of them, the post is refused.

That is enough for this form because it carries no ambient authority: it never acts as a
signed-in user, it always books as an anonymous guest from what was typed into it, so a
forged post could do nothing its sender could not do by posting it directly.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _trusted(origin: str, request: HttpRequest) -> bool:
    origin = origin.lower()
    try:
        own = f"{request.scheme}://{request.get_host()}".lower()
    except DisallowedHost:
        own = None
    if origin == own:
        return True
    trusted = [o.lower() for o in settings.CSRF_TRUSTED_ORIGINS]
    if origin in trusted:
        return True
    parts = urlsplit(origin)
    return any(
        is_same_domain(parts.netloc, urlsplit(pattern).netloc.lstrip("*"))
        for pattern in trusted
        if "*" in pattern and urlsplit(pattern).scheme == parts.scheme
    )


def posted_by_this_site(request: HttpRequest) -> bool:
    """The post came from a page of this service (see the module's docstring)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        origin = _origin_of(referer) if referer else None
    if origin is None or origin == "null":
        return False
    try:
        return _trusted(origin, request)
    except ValueError:  # an Origin header that urlsplit cannot read
        return False
