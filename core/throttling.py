"""Throttles that fail open: their counters live in the cache, and a cache that does not answer
must not turn every throttled endpoint into a 500."""

import logging

from rest_framework.throttling import AnonRateThrottle

logger = logging.getLogger(__name__)


class FailOpenAnonRateThrottle(AnonRateThrottle):
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache is down: let the request through, say so
            logger.warning("Throttle %s skipped: cache unavailable (%s)", self.scope, exc)
            return True
