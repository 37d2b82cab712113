from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        from core import checks  # noqa: F401 -- registers the deployment checks

        # The request id through Celery and one log line per task (connects to its signals).
        from core import task_context  # noqa: F401
