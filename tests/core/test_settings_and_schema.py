import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _clean_env(**extra) -> dict:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(extra)
    return env


def test_production_refuses_to_start_without_secret_key():
    result = _run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup()",
        _clean_env(),
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_is_sqlite_eager_and_locmem():
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'], s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    result = _run_python(code, _clean_env(DEBUG="true"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django_prometheus.db.backends.sqlite3",  # Django's SQLite backend, counted (django_db_* metrics)
        "True",
        "integrity_portal.core.metrics.MeteredLocMemCache",
        "zh-hans",
        "Asia/Shanghai",
    ]


def test_environment_switches_to_postgres_and_redis():
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
    )
    result = _run_python(
        code,
        _clean_env(
            SECRET_KEY="x" * 50,
            DATABASE_URL="postgres://u@127.0.0.1:5432/db",
            REDIS_URL="redis://127.0.0.1:6379/2",
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django_prometheus.db.backends.postgresql",  # Django's PostgreSQL backend, counted
        "False",
        "redis://127.0.0.1:6379/2",
        "integrity_portal.core.metrics.MeteredResilientRedisCache",
    ]


def test_deploy_check_is_clean_with_production_settings():
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"
        "from django.core.management import call_command; call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    env = _clean_env(
        SECRET_KEY="prod-" + "k7Q2x9LmZ4vB8nR1tY6wE3uI0oP5aS" * 2, ALLOWED_HOSTS="portal.example.cn"
    )
    result = _run_python(code, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


_HSTS_CODE = (
    "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"
    "from django.conf import settings as s;"
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD);"
    "from django.http import HttpResponse; from django.middleware.security import SecurityMiddleware;"
    "from django.test import RequestFactory;"
    "r = SecurityMiddleware(lambda request: HttpResponse())(RequestFactory().get('/', secure=True));"
    "print(r.headers.get('Strict-Transport-Security'))"
)


def _production_env(**extra) -> dict:
    env = {k: v for k, v in _clean_env().items() if not k.startswith("SECURE_HSTS_")}
    env.update(SECRET_KEY="prod-" + "k7Q2x9LmZ4vB8nR1tY6wE3uI0oP5aS" * 2, ALLOWED_HOSTS="portal.example.cn")
    env.update(extra)
    return env


def test_hsts_preload_and_subdomains_are_off_unless_the_domain_owner_opts_in():
    """Preload and includeSubDomains bind a whole (government) domain to HTTPS: issue #11 wants both opt-in."""
    result = _run_python(_HSTS_CODE, _production_env())
    assert result.returncode == 0, result.stderr
    flags, header = result.stdout.strip().splitlines()[-2:]
    assert flags == "31536000 False False"
    assert header == "max-age=31536000"

    opted_in = _run_python(
        _HSTS_CODE, _production_env(SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true")
    )
    assert opted_in.returncode == 0, opted_in.stderr
    flags, header = opted_in.stdout.strip().splitlines()[-2:]
    assert flags == "31536000 True True"
    assert header == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_whole_suite_hashes_passwords_fast_from_one_setting():
    """pytest-env sets TEST_FAST_PASSWORD_HASHER for every test folder (pyproject.toml); no folder sets
    PASSWORD_HASHERS itself, and without the variable the production hashers stay."""
    from django.conf import settings

    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"D:TEST_FAST_PASSWORD_HASHER=true"' in pyproject
    setters = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path != Path(__file__).resolve() and "settings.PASSWORD_HASHERS =" in path.read_text(encoding="utf-8")
    ]
    assert setters == []
