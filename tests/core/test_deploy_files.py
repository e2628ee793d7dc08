"""Docker cannot run on the CI machine, so the compose file and Dockerfile are checked by reading."""

import importlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_full_stack_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert "gunicorn integrity_portal.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "integrity_portal"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:6379")
    assert set(compose["volumes"]) >= {"pgdata", "media"}


def test_dockerfile_installs_the_lock_file_and_serves_the_wsgi_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install -r requirements.lock" in dockerfile
    module = re.search(r'"(integrity_portal\.wsgi):application"', dockerfile).group(1)
    assert importlib.util.find_spec(module) is not None


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "lint", "worker", "beat", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), target
