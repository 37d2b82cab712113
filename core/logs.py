"""Logging pieces that the settings' LOGGING refers to."""

import logging


class ClientFaultAsWarning(logging.Filter):
    """Django logs some requests that a client alone can send (a Host header the server does
    not answer, a body over the upload limits) as errors on ``django.security.*``. They are
    the client's fault, not the service's: kept, but as warnings, so an error in the log
    always means something to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
