"""Template helpers of the guest pages."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def in_language(context, code: str) -> str:
    """This page's own address in language ``code``: its query string (the chosen step, the
    booking summary) kept, ``lang`` replaced, so switching language never loses the place."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else {}
    if hasattr(query, "setlist"):
        query.setlist("lang", [code])
        return "?" + query.urlencode(safe=":")
    return "?" + urlencode({"lang": code})
