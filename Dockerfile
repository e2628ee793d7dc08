# One image for web, worker, beat and the one-shot migrate service. Only the production lock is installed
# (no test tools); .dockerignore keeps .env, media/, databases, .venv and .git out of the build context.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000"

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN useradd --create-home --uid 1000 portal \
 && mkdir -p /app/media /app/staticfiles \
 && SECRET_KEY=build-only-not-secret DEBUG=false python manage.py collectstatic --noinput \
 && test -f /app/staticfiles/staticfiles.json \
 && chown -R portal:portal /app/media /app/staticfiles
USER portal

EXPOSE 8000
# Exec form: gunicorn is PID 1 and gets SIGTERM on docker stop. Timeouts and workers: gunicorn.conf.py.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "integrity_portal.wsgi:application"]
