"""Benchmark settings: production settings plus one bench-only URL (the no-op ceiling)."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
