"""Production headers: a Content-Security-Policy on every HTML page (pages that still work
under it: no inline scripts, assets from this origin), HSTS and secure cookies over HTTPS
behind a proxy, and ``check --deploy`` clean with the README's production settings."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from customers.tests.factories import DEFAULT_PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
HOST = "book.example.com"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_scripts(response) -> None:
    """Scripts only from this origin, none inline: what the policy allows is what runs."""
    csp = policy(response)
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "application/json" in tag:  # a data block, never executed
            continue
        src = re.search(r'src="([^"]+)"', tag)
        assert src, f"inline script: {tag}"
        assert src[1].startswith("/") and not src[1].startswith("//"), src[1]


def assert_assets_served(client, response) -> None:
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets
    for url in assets:
        assert url.startswith("/"), f"asset from another origin: {url}"
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_login_page_has_the_strict_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    assert policy(response)["style-src"] == ["'self'"]
    assert_assets_served(client, response)


@pytest.mark.django_db
def test_admin_pages_have_it_too(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert_strict_scripts(response)


def test_swagger_ui_is_served_from_this_origin_under_the_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    assert policy(response)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert_assets_served(client, response)
    # Its start-up script is a request of its own, with the schema's address in it.
    script = re.findall(r'<script src="([^"]+)"', response.content.decode())[-1]
    init = client.get(script)
    assert init.status_code == 200 and "/api/schema/" in init.content.decode()


def test_redoc_is_served_from_this_origin_under_the_policy(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    csp = policy(response)
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"] and csp["worker-src"] == ["blob:"]
    assert 'spec-url="/api/schema/"' in response.content.decode()
    assert_assets_served(client, response)
    assert "fonts.googleapis" not in response.content.decode()


@pytest.mark.django_db
def test_the_widening_stays_on_the_docs_pages(client):
    assert policy(client.get("/admin/login/"))["style-src"] == ["'self'"]
    assert "worker-src" not in policy(client.get("/api/docs/"))


# --- HTTPS behind a proxy, from the environment --------------------------------------------


def production_env(tmp_path: Path) -> dict[str, str]:
    """The README's production block, its ``<...>`` placeholders filled in for this machine."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Production settings\n.*?```sh\n(.*?)```", readme, re.S)
    assert block, "README has no production settings block"
    documented = dict(
        line.split("=", 1) for line in block[1].splitlines() if re.match(r"[A-Z_]+=", line)
    )
    db = django_settings.DATABASES["default"]
    filled = {
        "SECRET_KEY": "k" + os.urandom(32).hex(),
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        ),
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    placeholders = {k for k, v in documented.items() if v.startswith("<")}
    assert placeholders == set(filled)
    documented.update(filled)
    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "UV_LINK_MODE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(documented, DATA_DIR=str(tmp_path), REDIS_CACHE_URL=django_settings.REDIS_CACHE_URL)
    return env


@pytest.mark.postgres_only(reason="the documented production settings name PostgreSQL and Redis")
def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


HTTPS_PROBE = """
import json, django
django.setup()
from django.db import transaction
from django.test import Client
from accounts.models import User

host = {"HTTP_HOST": "__HOST__"}
out = {}
client = Client()
plain = client.get("/admin/login/", **host)
out["plain"] = [plain.status_code, plain.get("Location"), plain.get("Strict-Transport-Security")]
secure = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https", **host)
out["secure"] = [secure.status_code, secure.get("Strict-Transport-Security")]
out["csp"] = secure.get("Content-Security-Policy")
out["csrf_cookie_secure"] = bool(secure.cookies["csrftoken"]["secure"])
with transaction.atomic():
    User.objects.create_superuser(email="ops@example.com", password="__PASSWORD__")
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@example.com", "password": "__PASSWORD__"},
        HTTP_X_FORWARDED_PROTO="https",
        **host,
    )
    out["login"] = login.status_code
    out["session_cookie_secure"] = bool(login.cookies["sessionid"]["secure"])
    transaction.set_rollback(True)
print("PROBE" + json.dumps(out))
""".replace("__HOST__", HOST).replace("__PASSWORD__", DEFAULT_PASSWORD)


@pytest.mark.postgres_only(reason="the documented production settings name PostgreSQL and Redis")
@pytest.mark.django_db
def test_https_behind_the_proxy_gets_hsts_and_secure_cookies(tmp_path):
    """The production environment, read by the settings, over a request the proxy marks as
    HTTPS: HSTS and secure cookies; plain HTTP is redirected, without HSTS."""
    result = subprocess.run(
        [sys.executable, "-c", HTTPS_PROBE],
        cwd=ROOT,
        env={**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.split("PROBE", 1)[1])
    assert out["plain"] == [301, f"https://{HOST}/admin/login/", None]
    assert out["secure"] == [200, "max-age=31536000; includeSubDomains; preload"]
    assert "default-src 'self'" in out["csp"]
    assert out["csrf_cookie_secure"] is True
    assert out["login"] == 302 and out["session_cookie_secure"] is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HTTP_X_FORWARDED_PROTO", ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("X-Forwarded-Proto", ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("true", ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("", None),
        ("false", None),
    ],
)
@pytest.mark.postgres_only(reason="the documented production settings name PostgreSQL and Redis")
def test_the_proxy_header_setting_reads_the_environment(tmp_path, value, expected):
    env = {**production_env(tmp_path), "SECURE_PROXY_SSL_HEADER": value}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from config.settings import base; "
            "h = base.SECURE_PROXY_SSL_HEADER; print(json.dumps(list(h) if h else None))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


@pytest.mark.django_db
def test_the_health_check_is_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/api/health/").status_code == 200
