"""The request id (core.request_id) across Celery, and one log line per task.

Publishing a task puts the current request id in the task's headers (``request_id``); the
worker makes it the current id while the task runs, so the task's log lines, the tasks it
enqueues and the outbox rows it writes carry the id of the request that started it all. A
task published outside any request (beat's schedule) gets a new id of its own.

Connected to Celery's signals when the core app is ready (CoreConfig.ready).
"""

import logging
import time

from celery import signals

from core.request_id import current_request_id, request_id_from, request_id_reset, request_id_set

TASK_HEADER = "request_id"

task_logger = logging.getLogger("reservaflow.task")

# Per running task (by task id): the context token to reset and the start time. A thread pool
# runs several tasks at once, each in its own thread and so its own context.
_running: dict[str, tuple[object, float]] = {}


@signals.before_task_publish.connect(weak=False)
def _request_id_into_headers(sender=None, headers=None, **kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


@signals.task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **kwargs) -> None:
    incoming = getattr(task.request, TASK_HEADER, None) if task is not None else None
    token = request_id_set(request_id_from(incoming))
    _running[task_id] = (token, time.monotonic())


@signals.task_postrun.connect(weak=False)
def _task_finished(task_id=None, task=None, state=None, retval=None, **kwargs) -> None:
    token, started = _running.pop(task_id, (None, time.monotonic()))
    milliseconds = round((time.monotonic() - started) * 1000, 1)
    name = getattr(task, "name", str(task))
    task_logger.info(
        "task %s %s %.1f ms",
        name,
        state,
        milliseconds,
        extra={
            "task": name,
            "task_id": task_id,
            "state": state,
            "result": retval if isinstance(retval, str | int | float | bool) else None,
            "duration_ms": milliseconds,
        },
    )
    if token is not None:
        request_id_reset(token)
