"""Benchmark settings: production settings plus two bench-only pieces, the no-op ceiling URL
and the header that forces an uncached availability answer."""

from config.settings.base import *  # noqa: F403
from config.settings.base import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = [*MIDDLEWARE, "bench.middleware.ColdAvailabilityMiddleware"]
