"""The Celery application. Worker and beat are started as ``celery -A config worker|beat``."""

import os

from celery import Celery
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("reservaflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
# ``celery.current_app`` (what core.health reads, core importing no app) is this app in every
# thread, not only in the one that imported it: a request served in another thread (gunicorn's
# --threads in embedded mode) would otherwise get Celery's unconfigured fallback app and probe
# a broker nobody uses. Celery's Django fix-up does this too; it is said here, not relied on.
app.set_default()
app.autodiscover_tasks()

# A worker keeps its database connection from one task to the next, as a web process keeps
# it from one request to the next: Celery's Django fix-up would otherwise close it around
# every task, and each delivery would pay a new PostgreSQL backend (connection set-up and
# authentication). The fix-up closes it every 2 x CELERY_DB_REUSE_MAX tasks; before each
# task Django's own rule applies (close_old_connections: an unusable connection, or one
# older than CONN_MAX_AGE, is replaced), so a broken connection never reaches a task.
app.conf["CELERY_DB_REUSE_MAX"] = 500


@task_prerun.connect
def _replace_old_connections(**kwargs) -> None:
    close_old_connections()
