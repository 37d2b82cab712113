"""Benchmark settings: production settings plus bench-only pieces: the no-op URLs (the
ceilings), the header that forces an uncached availability answer and the header that counts
what one request costs (bench.middleware)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = [
    "bench.middleware.BenchCountMiddleware",
    *MIDDLEWARE,
    "bench.middleware.ColdAvailabilityMiddleware",
]
