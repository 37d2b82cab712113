"""The embedded mode keeps its guarantees: the tests marked ``embedded`` (rules, overlap refusal,
lazy expiry, a thread race, the reminder scan) run again in a subprocess on SQLite without Redis."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")


def test_the_embedded_subset_passes_on_sqlite_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICES}
    env.update(
        RESERVAFLOW_TEST_EMBEDDED="1",
        DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "reservations/tests",
            "notifications/tests",
            "-m",
            "embedded",
            "-q",
            "-p",
            "no:cacheprovider",
            # Keep the SQLite test database, so we can see where the tests ran.
            "--reuse-db",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 20, output[-2000:]
    assert not re.search(r"\d+ (failed|error|skipped)", output), output[-2000:]
    assert (tmp_path / "test.sqlite3").exists(), "the subset did not run on SQLite"
