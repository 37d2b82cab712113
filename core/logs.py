"""Logging pieces that the settings' LOGGING refers to."""

import json
import logging
from datetime import UTC, datetime

from core.request_id import current_request_id


class ClientFaultAsWarning(logging.Filter):
    """Django logs some requests that a client alone can send (a Host header the server does
    not answer, a body over the upload limits) as errors on ``django.security.*``. They are
    the client's fault, not the service's: kept, but as warnings, so an error in the log
    always means something to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class RequestIdFilter(logging.Filter):
    """Puts the current request id (core.request_id) on every record ("-" outside a request
    or task), for the plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or "-"
        return True


# What every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``): time (UTC, ISO 8601), level, logger,
    message, request_id, the fields given with ``extra=``, and the traceback when there is
    one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
