"""The SQLite pass: every test of every app runs again in the embedded mode (SQLite in DATA_DIR,
no Redis), in a subprocess, except those marked ``postgres_only``, ``redis_only`` or ``slow``
(core/tests/markers.py). A query that only PostgreSQL understands fails here."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")


def outcomes_by_module(results: ET.Element) -> dict[str, list[str]]:
    """Each test module of the JUnit report, with the outcome of each of its tests."""
    modules: dict[str, list[str]] = {}
    for case in results.iter("testcase"):
        # "reservations.tests.test_rules" or, for a test in a class, "...test_rules.TestX"
        parts = case.get("classname", "").split(".")
        module = "/".join(p for p in parts if not p[:1].isupper()) + ".py"
        outcome = next(
            (child.tag for child in case if child.tag in ("failure", "error", "skipped")),
            "passed",
        )
        modules.setdefault(module, []).append(outcome)
    return modules


@pytest.mark.slow
def test_every_test_not_marked_for_the_service_mode_passes_on_sqlite_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICES}
    env.update(
        RESERVAFLOW_TEST_EMBEDDED="1",
        DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    report = tmp_path / "sqlite-pass.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            # Keep the SQLite test database, so we can see where the tests ran.
            "--reuse-db",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert (tmp_path / "test.sqlite3").exists(), "the pass did not run on SQLite"

    modules = outcomes_by_module(ET.parse(report).getroot())
    outcomes = [outcome for tests in modules.values() for outcome in tests]
    assert set(outcomes) == {"passed"}, output[-4000:]
    # Every app's service tests, selectors, rules and availability ran, and most of the rest.
    for path in sorted(ROOT.glob("*/tests/test_*.py")):
        name = path.relative_to(ROOT).as_posix()
        if path.stem.startswith(("test_services", "test_selectors", "test_rules")) or (
            "availability" in path.stem
        ):
            assert modules.get(name), f"{name} did not run on SQLite"
    assert len(outcomes) >= 900, f"only {len(outcomes)} tests ran on SQLite"
