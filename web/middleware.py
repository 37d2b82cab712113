"""The guest's language: ``?lang=es`` on any page chooses it (and keeps it in a cookie), then
Django's LocaleMiddleware takes over (the cookie, then Accept-Language)."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class LanguageFromQueryMiddleware:
    """After LocaleMiddleware: a supported ``lang`` in the query string wins for this request
    and is remembered for the next ones; an unsupported one is ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get("lang")
        if chosen not in SUPPORTED:
            return self._varied(self.get_response(request))
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        response.headers["Content-Language"] = chosen
        return self._varied(response)

    @staticmethod
    def _varied(response):
        """A page's language may come from the language cookie (LocaleMiddleware only says
        Vary: Accept-Language), so a shared cache must not serve one guest's page to another."""
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ("Cookie",))
        return response
