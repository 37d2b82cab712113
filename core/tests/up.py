"""``reservaflow up`` as a user starts it, for the tests that run the whole system in a
subprocess: the command line, an embedded-mode environment, and a context manager that starts
it with its output in a log file (a pipe nobody reads could stall a chatty server), waits for
its health check, and stops it with Ctrl-C however the test ends."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
# What would point a started process at the test run's own servers and files instead of its
# defaults (the test run's metrics directory among them: ``up`` empties the one it uses).
REVEALING = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_CACHE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "PROMETHEUS_MULTIPROC_DIR",
)


def reservaflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "config.cli", *args]


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The test run's environment without its servers: ``up`` takes the embedded mode, its
    data in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in REVEALING}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DATA_DIR"] = str(data_dir)
    return env


@dataclass
class Up:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 90) -> str:
        """The body of the first 200 of /api/health/; fails the test if none comes in time or
        the process ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base}/api/health/", timeout=2) as response:
                    if response.status == 200:
                        return response.read().decode()
            except OSError:
                time.sleep(0.5)
        raise AssertionError(
            f"no 200 from /api/health/ within {timeout} s:\n{self.output()[-3000:]}"
        )


@contextmanager
def reservaflow_up(
    env: dict[str, str], log: Path, *args: str, port: int | None = None, stop_within: float = 40
) -> Iterator[Up]:
    """``reservaflow up --port PORT [args]`` with ``env``, its output in ``log``; on the way
    out, SIGINT and a wait (killed if it has not stopped within ``stop_within`` s). The exit
    status is ``up.proc.returncode`` afterwards."""
    port = port or free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            reservaflow("up", "--port", str(port), *args),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    up = Up(proc=proc, port=port, log=log)
    try:
        yield up
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(stop_within)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
