"""The Celery application. Worker and beat are started as ``celery -A config worker|beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("reservaflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
# ``celery.current_app`` (what core.health reads, core importing no app) is this app in every
# thread, not only in the one that imported it: a request served in another thread (gunicorn's
# --threads in embedded mode) would otherwise get Celery's unconfigured fallback app and probe
# a broker nobody uses. Celery's Django fix-up does this too; it is said here, not relied on.
app.set_default()
app.autodiscover_tasks()
