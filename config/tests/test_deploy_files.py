"""The deployment files in the repository parse and agree with the service: compose.yaml (no
default SECRET_KEY, every port on loopback unless told), deploy/Caddyfile, the nginx site and
the systemd units. Each file is read in Python here (what the tools cannot know: the proxies
point at the port gunicorn binds, probe the readiness URL, set the headers the settings trust),
and checked by its own tool where it is installed: ``caddy validate``, ``nginx -t``,
``systemd-analyze verify`` (.ci/run installs all three; docs/deploy.md says which validated
what)."""

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = {
    "web": DEPLOY / "systemd" / "reservaflow-web.service",
    "worker": DEPLOY / "systemd" / "reservaflow-worker.service",
    "beat": DEPLOY / "systemd" / "reservaflow-beat.service",
}
GUNICORN_BIND = "127.0.0.1:8000"


def tool(name: str) -> str | None:
    """The tool's path, also from /usr/sbin (not on a user's PATH on Debian)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


# --- compose.yaml ---------------------------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``."""

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op == ":?":
            raise MissingVariable(arg)
        return arg if op == ":-" else ""

    return INTERPOLATION.sub(replace, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_no_default_secret_key_and_says_how_to_make_one(compose):
    app_services = ("web", "worker", "beat")
    for name in app_services:
        value = compose["services"][name]["environment"]["SECRET_KEY"]
        assert value.startswith("${SECRET_KEY:?"), (name, value)
        with pytest.raises(MissingVariable) as refused:
            interpolate(value, {})
        assert "openssl rand -hex 32" in str(refused.value)
        assert interpolate(value, {"SECRET_KEY": "a-real-key"}) == "a-real-key"
    # No other spelling of a default anywhere in the file.
    text = (ROOT / "compose.yaml").read_text()
    assert "SECRET_KEY:-" not in text and "change-me" not in text


def test_compose_binds_every_published_port_to_loopback_unless_told(compose):
    published = {
        name: [interpolate(str(port), {}) for port in service.get("ports", [])]
        for name, service in compose["services"].items()
    }
    assert published["web"] == ["127.0.0.1:8000:8000"]
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), (name, port)
    [web_port] = compose["services"]["web"]["ports"]
    assert interpolate(web_port, {"WEB_BIND": "0.0.0.0"}) == "0.0.0.0:8000:8000"


def test_compose_runs_exactly_one_beat_and_the_image_the_dockerfile_builds(compose):
    commands = {name: str(s.get("command", "")) for name, s in compose["services"].items()}
    assert [name for name, c in commands.items() if "celery" in c and " beat" in c] == ["beat"]
    assert "deploy" not in compose["services"]["beat"], "beat is never scaled"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "SECRET_KEY=" not in dockerfile.replace("SECRET_KEY=build-only python manage.py", "")
    assert "config.wsgi:application" in dockerfile and "0.0.0.0:8000" in dockerfile


# --- Caddy ------------------------------------------------------------------------------------


def caddy_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The Caddyfile's top-level blocks: (label, the lines inside), braces balanced."""
    blocks, depth, label, body = [], 0, None, []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("#") else ""
        if not line:
            continue
        opens, closes = line.count("{"), line.count("}")
        if depth == 0 and opens:
            label, body = line[: line.index("{")].strip(), []
        elif depth > 0 and not (depth == 1 and closes and line == "}"):
            body.append(line)
        depth += opens - closes
        assert depth >= 0, f"unbalanced braces at {raw!r}"
        if depth == 0 and label is not None:
            blocks.append((label, body))
            label = None
    assert depth == 0, "unbalanced braces"
    return blocks


def test_caddyfile_parses_and_proxies_to_gunicorn_with_the_readiness_probe():
    text = (DEPLOY / "Caddyfile").read_text()
    blocks = dict(caddy_blocks(text))
    assert set(blocks) == {"", "book.example.com"}  # the global options and the site
    site = blocks["book.example.com"]
    assert f"reverse_proxy {GUNICORN_BIND} {{" in site
    assert "health_uri /api/health/" in site
    assert "Host book.example.com" in site
    if tool("caddy"):
        result = subprocess.run(
            [
                tool("caddy"),
                "validate",
                "--config",
                str(DEPLOY / "Caddyfile"),
                "--adapter",
                "caddyfile",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Valid configuration" in result.stdout + result.stderr


# --- nginx ------------------------------------------------------------------------------------


def nginx_statements(text: str) -> list[str]:
    """Every directive (ending in ``;``) and block opening, braces balanced."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    statements, depth = [], 0
    for token in re.findall(r"[^;{}]*[;{}]", code):
        statement = " ".join(token.split())
        if statement.endswith("}"):
            depth -= 1
            assert depth >= 0, "unbalanced braces"
            continue
        if statement.endswith("{"):
            depth += 1
        statements.append(statement)
    assert depth == 0, "unbalanced braces"
    assert not code[code.rfind("}") + 1 :].strip(), "text after the last block"
    return statements


def test_nginx_site_parses_and_proxies_to_gunicorn_with_the_trusted_headers(tmp_path):
    site = DEPLOY / "nginx" / "reservaflow.conf"
    statements = nginx_statements(site.read_text())
    assert f"server {GUNICORN_BIND} max_fails=3 fail_timeout=10s;" in statements
    assert "proxy_pass http://reservaflow_web;" in statements
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in statements
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in statements
    assert "proxy_set_header Host $host;" in statements
    assert "listen 443 ssl http2;" in statements
    if tool("nginx"):
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=book.example.com",
                "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        # nginx -t binds the listen addresses: free high ports instead of 80 and 443 (no root
        # needed, nothing else disturbed), and no IPv6 lines where this machine has none.
        http_port, https_port = free_port(), free_port()
        while https_port == http_port:
            https_port = free_port()
        text = (
            site.read_text()
            .replace("/etc/letsencrypt/live/book.example.com/fullchain.pem", f"{tmp_path}/cert.pem")
            .replace("/etc/letsencrypt/live/book.example.com/privkey.pem", f"{tmp_path}/key.pem")
            .replace("/var/log/nginx/", f"{tmp_path}/")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
            .replace("listen [::]:80;", f"listen [::1]:{http_port};")
            .replace("listen [::]:443 ssl", f"listen [::1]:{https_port} ssl")
        )
        if not has_ipv6_loopback():
            text = "\n".join(line for line in text.splitlines() if "[::1]" not in line)
        (tmp_path / "site.conf").write_text(text)
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
            f"http {{\n  access_log {tmp_path}/access.log;\n"
            f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
            f"  include {tmp_path}/site.conf;\n}}\n"
        )
        result = subprocess.run(
            [tool("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e",
             str(tmp_path / "error.log")],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# --- systemd ----------------------------------------------------------------------------------

KNOWN_KEYS = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires"},
    "Service": {
        "Type", "NotifyAccess", "User", "Group", "WorkingDirectory", "EnvironmentFile",
        "Environment", "StateDirectory", "RuntimeDirectory", "RuntimeDirectoryPreserve",
        "ExecStart", "ExecReload", "KillMode", "TimeoutStopSec", "Restart", "RestartSec",
        "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
    },
    "Install": {"WantedBy"},
}  # fmt: skip


def unit_file(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file, each a list of (key, value): keys may repeat, a trailing
    backslash continues the line."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current, pending = None, ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), line
            current = line[1:-1]
            sections[current] = []
            continue
        assert current is not None and "=" in line, f"{path.name}: {line!r}"
        key, value = line.split("=", 1)
        sections[current].append((key.strip(), " ".join(value.split())))
    assert not pending, f"{path.name}: a continuation at the end"
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [v for k, v in unit[section] if k == key]


def test_systemd_units_parse_and_run_web_worker_and_one_beat(tmp_path):
    units = {name: unit_file(path) for name, path in UNITS.items()}
    for name, unit in units.items():
        assert set(unit) == {"Unit", "Service", "Install"}, name
        for section, entries in unit.items():
            unknown = {k for k, _ in entries} - KNOWN_KEYS[section]
            assert not unknown, (name, section, unknown)
        assert values(unit, "Service", "User") == ["reservaflow"]
        assert values(unit, "Service", "EnvironmentFile") == ["/etc/reservaflow/reservaflow.env"]
        assert "DJANGO_SETTINGS_MODULE=config.settings.base" in " ".join(
            values(unit, "Service", "Environment")
        )
        assert values(unit, "Install", "WantedBy") == ["multi-user.target"]
        # One metrics directory for the host's processes, on tmpfs, which no unit's stop
        # removes while the others write to it.
        assert "PROMETHEUS_MULTIPROC_DIR=/run/reservaflow/metrics" in values(
            unit, "Service", "Environment"
        ), name
        assert values(unit, "Service", "RuntimeDirectory") == ["reservaflow/metrics"], name
        assert values(unit, "Service", "RuntimeDirectoryPreserve") == ["yes"], name
    [web] = values(units["web"], "Service", "ExecStart")
    assert web.startswith("/opt/reservaflow/.venv/bin/gunicorn config.wsgi:application")
    assert f"--bind {GUNICORN_BIND}" in web
    assert values(units["web"], "Service", "ExecReload") == ["/bin/kill -s HUP $MAINPID"]
    [worker] = values(units["worker"], "Service", "ExecStart")
    assert worker.startswith("/opt/reservaflow/.venv/bin/celery -A config worker")
    # Every task goes to the default queue: a worker limited to some queues would miss some.
    assert " -Q" not in worker and "--queues" not in worker
    assert "--hostname worker@%H" in worker  # a node name of its own on every host
    [beat] = values(units["beat"], "Service", "ExecStart")
    assert beat.startswith("/opt/reservaflow/.venv/bin/celery -A config beat")
    beats = [n for n, u in units.items() if " beat" in " ".join(values(u, "Service", "ExecStart"))]
    assert beats == ["beat"]
    if tool("systemd-analyze"):
        # verify checks that each command exists: point the copies at this checkout's venv.
        venv_bin = Path(sys.executable).parent
        for path in UNITS.values():
            text = path.read_text().replace("/opt/reservaflow/.venv/bin/", f"{venv_bin}/")
            text = text.replace("WorkingDirectory=/opt/reservaflow", f"WorkingDirectory={ROOT}")
            (tmp_path / path.name).write_text(text)
        result = subprocess.run(
            [tool("systemd-analyze"), "verify", *(str(tmp_path / p.name) for p in UNITS.values())],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # verify exits 0 after a line it could not parse: any output is a problem.
        assert result.returncode == 0 and not result.stdout + result.stderr, result.stderr


def test_the_environment_file_has_the_readme_production_settings():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Production settings\n.*?```sh\n(.*?)```", readme, re.S)
    documented = {line.split("=", 1)[0] for line in block[1].splitlines() if "=" in line}
    example = (DEPLOY / "reservaflow.env.example").read_text()
    keys = {
        line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")
    }
    assert documented <= keys
    assert keys - documented <= {
        "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
        "DEFAULT_FROM_EMAIL", "METRICS_TOKEN", "LOG_FORMAT", "SENTRY_DSN",
    }  # fmt: skip


def test_the_manage_wrapper_reads_the_environment_file_as_systemd_does(tmp_path):
    import getpass

    env_file = tmp_path / "reservaflow.env"
    env_file.write_text(
        "# a comment\n\nDEFAULT_FROM_EMAIL=Casa Demo <reservations@book.example.com>\n"
        f"DATA_DIR={tmp_path}\nPUBLIC_BASE_URL=https://book.example.com"  # no final newline
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        RESERVAFLOW_ENV_FILE=str(env_file),
        RESERVAFLOW_HOME=str(ROOT),
        RESERVAFLOW_VENV=str(Path(sys.executable).parent.parent),
        RESERVAFLOW_USER=getpass.getuser(),
    )
    code = (
        "from django.conf import settings as s; "
        "print(s.DEFAULT_FROM_EMAIL); print(s.PUBLIC_BASE_URL); print(s.DATA_DIR)"
    )
    result = subprocess.run(
        ["sh", str(DEPLOY / "reservaflow-manage"), "shell", "--no-imports", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Casa Demo <reservations@book.example.com>",
        "https://book.example.com",
        str(tmp_path),
    ]
