# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock

COPY . .
RUN useradd --create-home --uid 1000 portal \
 && mkdir -p /app/media /app/staticfiles \
 && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
 && chown -R portal:portal /app/media /app/staticfiles
USER portal

EXPOSE 8000
CMD ["gunicorn", "integrity_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
