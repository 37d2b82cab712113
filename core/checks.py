"""ReservaFlow's own deployment checks, beside Django's (``check --deploy`` runs both;
``reservaflow check`` runs them and fails on any warning).

Django's deploy checks already report a short or repetitive SECRET_KEY (security.W009),
DEBUG on (W018), an empty ALLOWED_HOSTS (W020), HSTS (W004), the HTTPS redirect (W008) and
the cookies' Secure flags (W012, W016). These add what a deployment of this service gets
wrong that Django cannot know: a placeholder key, hosts only the machine itself answers to,
links in emails over plain HTTP, a proxy whose HTTPS Django cannot see, the embedded mode's
parts, and more than one Celery beat.
"""

from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.checks import Error, Tags, register

from core import beat

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# Django's W009 already refuses its own "django-insecure-" keys (the settings' key when DEBUG
# is on without one is such a key).
PLACEHOLDER_KEYS = {
    "change-me-in-production-please-a-long-random-string",  # compose.yaml's former default
}
MIN_DISTINCT_KEY_CHARACTERS = 10
MAKE_A_KEY = "make one with: openssl rand -hex 32"


def _key_problems() -> list[Error]:
    key = settings.SECRET_KEY
    if key in PLACEHOLDER_KEYS or "change-me" in key.lower():
        return [
            Error(
                f"SECRET_KEY is a placeholder, not a secret: set SECRET_KEY ({MAKE_A_KEY})",
                id="reservaflow.E001",
            )
        ]
    # Django's W009 refuses fewer than 50 characters or fewer than 5 distinct ones; a key of
    # 50 characters drawn from a handful (a word repeated) is still guessable.
    if len(key) >= 50 and len(set(key)) < MIN_DISTINCT_KEY_CHARACTERS:
        return [
            Error(
                f"SECRET_KEY has only {len(set(key))} distinct characters (at least "
                f"{MIN_DISTINCT_KEY_CHARACTERS}): set a random one ({MAKE_A_KEY})",
                id="reservaflow.E002",
            )
        ]
    return []


def _host_problems() -> list[Error]:
    hosts = [host.strip().lower() for host in settings.ALLOWED_HOSTS]
    problems = []
    if "*" in hosts:
        problems.append(
            Error(
                "ALLOWED_HOSTS contains '*': name the public host names "
                "(ALLOWED_HOSTS=book.example.com)",
                id="reservaflow.E003",
            )
        )
    elif hosts and set(hosts) <= LOCAL_HOSTS:
        problems.append(
            Error(
                "ALLOWED_HOSTS names only this machine (localhost, 127.0.0.1, [::1]): add the "
                "public host name the proxy passes on (ALLOWED_HOSTS=book.example.com)",
                id="reservaflow.E004",
            )
        )
    public = urlsplit(settings.PUBLIC_BASE_URL)
    if public.scheme != "https":
        problems.append(
            Error(
                f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL}: the guests' manage links in "
                "every email would use plain HTTP; set it to the https:// address",
                id="reservaflow.E005",
            )
        )
    host = (public.hostname or "").lower()
    public_hosts = set(hosts) - LOCAL_HOSTS  # none: ALLOWED_HOSTS's problem is reported already
    if host and public_hosts and "*" not in hosts and not _host_allowed(host, hosts):
        problems.append(
            Error(
                f"PUBLIC_BASE_URL's host {host} is not in ALLOWED_HOSTS: the links in emails "
                "would answer 400",
                id="reservaflow.E006",
            )
        )
    for origin in settings.CSRF_TRUSTED_ORIGINS:
        if not origin.startswith("https://"):
            problems.append(
                Error(
                    f"CSRF_TRUSTED_ORIGINS has {origin}: trust only https:// origins",
                    id="reservaflow.E007",
                )
            )
    return problems


def _host_allowed(host: str, hosts: list[str]) -> bool:
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in hosts)


def _proxy_problems() -> list[Error]:
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if proxies and not settings.SECURE_PROXY_SSL_HEADER:
        return [
            Error(
                f"NUM_PROXIES is {proxies} but SECURE_PROXY_SSL_HEADER is unset: behind the "
                "TLS proxy every request looks like plain HTTP (a redirect loop with "
                "SECURE_SSL_REDIRECT, no HSTS); set SECURE_PROXY_SSL_HEADER="
                "HTTP_X_FORWARDED_PROTO",
                id="reservaflow.E008",
            )
        ]
    return []


def _service_problems() -> list[Error]:
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append(
            Error(
                "the database is SQLite (the embedded mode): a deployment runs on PostgreSQL; "
                "set DATABASE_URL=postgres://...",
                id="reservaflow.E009",
            )
        )
    if not settings.REDIS_CACHE_URL or not settings.CELERY_BROKER_URL.startswith(
        ("redis://", "rediss://")
    ):
        problems.append(
            Error(
                "the cache or the Celery broker is not Redis (the embedded mode): set "
                "REDIS_URL=redis://...",
                id="reservaflow.E010",
            )
        )
    if not settings.EMAIL_HOST:
        problems.append(
            Error(
                "EMAIL_HOST is unset: guest emails would only be printed by the workers; set "
                "EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, ...)",
                id="reservaflow.E011",
            )
        )
    return problems


def _beat_problems() -> list[Error]:
    client = beat.broker_redis()
    if client is None:
        return []  # no Redis broker: reported as the embedded mode above
    try:
        beats = beat.beats_running(client)
    except redis.RedisError as exc:
        return [
            Error(
                f"cannot count the running Celery beats in the broker's Redis: {exc}",
                id="reservaflow.E012",
            )
        ]
    if len(beats) > 1:
        where = "; ".join(beat.describe(b) for b in beats)
        return [
            Error(
                f"{len(beats)} Celery beats are running ({where}): run exactly one beat in "
                "the whole deployment; stop the others",
                id="reservaflow.E013",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def reservaflow_deploy_check(app_configs=None, **kwargs) -> list[Error]:
    return [
        *_key_problems(),
        *_host_problems(),
        *_proxy_problems(),
        *_service_problems(),
        *_beat_problems(),
    ]
