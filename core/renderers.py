"""JSON rendering with orjson: the same JSON as DRF's renderer, several times faster on the
large answers (availability) and cheaper on every response."""

import orjson
from csp.constants import UNSAFE_INLINE
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()


def _default(value):
    # What orjson does not know natively (lazy strings, Decimal, QuerySets...): DRF's rules.
    return _fallback.default(value)


class RenderedJSON:
    """An answer already rendered as JSON (a cached one): ``ORJSONRenderer`` sends its bytes
    as they are; an indented or browsable rendering reads them back first."""

    __slots__ = ("content",)

    def __init__(self, content: bytes):
        self.content = content


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        option = orjson.OPT_NON_STR_KEYS
        # An indent asked for (``Accept: application/json; indent=4``, or the browsable API's
        # page): orjson indents by two spaces only, which is what the reader wanted.
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if isinstance(data, RenderedJSON):
            if not indent:
                return data.content
            data = orjson.loads(data.content)
        if indent:
            option |= orjson.OPT_INDENT_2
        return orjson.dumps(data, default=_default, option=option)


class BrowsableAPIPageRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, which places two controls with inline ``style`` attributes: its
    pages (and only they) allow inline styles; scripts stay this origin's only."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
