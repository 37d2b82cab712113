# ReservaFlow: one image for web, worker and beat (compose.yaml chooses the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=config.settings.base \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles

RUN pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home /app reservaflow \
    && mkdir -p /data && chown -R reservaflow /data

USER reservaflow
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
