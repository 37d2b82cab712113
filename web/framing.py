"""Which pages another site may frame: none, except the booking page in its embed mode, and
then only the restaurant's own sites.

Every response carries ``Content-Security-Policy: frame-ancestors 'none'`` (the site-wide
policy, config/settings) and ``X-Frame-Options: DENY`` (Django's XFrameOptionsMiddleware). A
response of the embed mode (``?embed=1`` on ``/book/<slug>/`` and its result page) replaces
that directive with the restaurant's ``embed_origins`` through django-csp's per-response
attribute (what its ``csp_replace`` decorator sets), and drops X-Frame-Options (what Django's
``xframe_options_exempt`` decorator sets), which cannot name origins and would refuse the
frame in older browsers. A restaurant without origins keeps both refusals.
"""

from csp.constants import NONE
from django.http import HttpRequest, HttpResponseBase

from web.middleware import SUPPORTED


def embed_mode(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1"


def embed_params(request: HttpRequest) -> dict[str, str]:
    """What every link and form of the embed mode carries on: the mode itself, and the
    language the frame was opened in (the language cookie is a third-party cookie there,
    which browsers do not send)."""
    if not embed_mode(request):
        return {}
    params = {"embed": "1"}
    if request.GET.get("lang") in SUPPORTED:
        params["lang"] = request.GET["lang"]
    return params


def allow_framing_by(response: HttpResponseBase, origins: list[str]) -> HttpResponseBase:
    """Let exactly ``origins`` frame this response (none when empty)."""
    response._csp_replace = {"frame-ancestors": list(origins) or [NONE]}
    if origins:
        response.xframe_options_exempt = True
    return response
