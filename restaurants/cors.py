"""Cross-origin reads of a restaurant's public data from the pages of its own site.

django-cors-headers answers CORS only under ``CORS_URLS_REGEX`` (the settings: the public read
endpoints, the restaurant's id in the group ``restaurant_id``) and asks the
``check_request_enabled`` signal whether the request's ``Origin`` may read the answer. This
handler says yes only for a read (GET, HEAD, or its preflight) of one of those endpoints from
one of that restaurant's ``embed_origins``: another restaurant's origin, another endpoint or a
write never gets an ``Access-Control-Allow-Origin``.
"""

import re

from django.conf import settings
from django.db import DatabaseError

from core.serializers import BIGINT_MAX
from restaurants.selectors import restaurant_embed_origins

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def embed_origin_may_read(sender, request, **kwargs) -> bool:
    origin = request.headers.get("Origin")
    if not origin or request.method not in READ_METHODS:
        return False
    match = re.match(settings.CORS_URLS_REGEX, request.path_info)
    if match is None:
        return False
    restaurant_id = int(match["restaurant_id"])
    if restaurant_id > BIGINT_MAX:
        return False  # no such row; the view answers 404
    try:
        origins = restaurant_embed_origins(restaurant_id)
    except DatabaseError:
        # The response is already made (a 503 when the database went away); the middleware
        # runs after it and must not turn it into a 500.
        return False
    # Browsers send the origin in the normal form the list is kept in.
    return origin in origins
