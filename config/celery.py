"""The Celery application. Worker and beat are started as ``celery -A config worker|beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("reservaflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
