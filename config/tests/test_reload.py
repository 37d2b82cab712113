"""The upgrade step of docs/deploy.md that keeps the web server answering: ``systemctl reload
reservaflow-web`` sends gunicorn SIGHUP, which starts new workers (loading the code afresh)
and lets the old ones finish what they serve. Requests sent all along are all answered."""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from core.tests.ports import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def test_sighup_replaces_every_worker_without_refusing_a_request(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATA_DIR=str(tmp_path),
        SECRET_KEY="k" + os.urandom(32).hex(),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--graceful-timeout", "20"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/health/live/"
    statuses: list[int] = []
    latencies: list[float] = []
    errors: list[str] = []
    stop = threading.Event()
    guard = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                # While the new workers load the code, requests wait in the listen backlog.
                with urllib.request.urlopen(url, timeout=60) as response:
                    status = response.status
            except Exception as exc:  # a refused or dropped request fails the test below
                with guard:
                    errors.append(repr(exc))
                continue
            with guard:
                statuses.append(status)
                latencies.append(time.monotonic() - sent)

    try:
        deadline = time.monotonic() + 45
        while True:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        while len(children(server.pid)) < 2:
            time.sleep(0.1)
        old = children(server.pid)
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        before_reload = len(statuses)
        os.kill(server.pid, signal.SIGHUP)
        deadline = time.monotonic() + 45
        while not (len(children(server.pid)) == 2 and not children(server.pid) & old):
            assert time.monotonic() < deadline, "the old workers were not replaced"
            time.sleep(0.1)
        time.sleep(1)  # the new workers serve too
        stop.set()
        for thread in threads:
            thread.join(15)
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    assert errors == []
    assert set(statuses) == {200}
    assert before_reload > 0 and len(statuses) > before_reload
    assert "Handling signal: hup" in log.read_text()
    print(f"{len(statuses)} requests, the slowest {max(latencies):.2f} s")
