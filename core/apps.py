from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        # The deployment checks, and the request id through Celery with one log line per
        # task (task_context connects to Celery's signals).
        from core import checks, task_context  # noqa: F401
