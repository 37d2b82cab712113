"""The markers that keep a test out of the SQLite pass need a reason, and the SQLite pass leaves
out exactly the tests they mark (core/tests/markers.py), without reporting them skipped."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import pytest

def test_anywhere():
    pass

@pytest.mark.postgres_only(reason="the exclusion constraint")
def test_on_postgres():
    pass

@pytest.mark.redis_only(reason="the booking lock")
def test_with_redis():
    pass

@pytest.mark.slow
def test_a_process():
    pass

@pytest.mark.browser
def test_in_chromium():
    pass
"""


def run_pytest(tmp_path: Path, source: str, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(source)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers\nmarkers =\n"
        "    postgres_only(reason): x\n    redis_only(reason): x\n    slow: x\n    browser: x\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "RESERVAFLOW_TEST_EMBEDDED"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    # Only the plugin under test (no Django, no Hypothesis), so each run starts in a moment.
    environment.update(env, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "core.tests.markers",
            "-p",
            "no:cacheprovider",
            "-rA",
            "test_sample.py",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_postgresql_run_takes_every_test(tmp_path):
    result = run_pytest(tmp_path, TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_sqlite_pass_leaves_out_the_marked_tests_as_deselected(tmp_path):
    result = run_pytest(tmp_path, TESTS, RESERVAFLOW_TEST_EMBEDDED="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 4 deselected" in result.stdout
    assert "PASSED test_sample.py::test_anywhere" in result.stdout
    assert "skipped" not in result.stdout


def test_a_mark_without_a_reason_stops_the_run_naming_the_test(tmp_path):
    source = TESTS + (
        "\n@pytest.mark.postgres_only\ndef test_no_reason():\n    pass\n"
        '\n@pytest.mark.redis_only(reason=" ")\ndef test_blank_reason():\n    pass\n'
    )
    result = run_pytest(tmp_path, source)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "passed" not in output
    assert 'test_sample.py::test_no_reason: @pytest.mark.postgres_only needs reason="..."' in output
    assert 'test_sample.py::test_blank_reason: @pytest.mark.redis_only needs reason="..."' in output
