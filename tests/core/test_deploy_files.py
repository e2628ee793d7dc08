"""Docker cannot run on the CI machine, so the compose file and Dockerfile are checked by reading."""

import importlib
import os
import re
import runpy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.test import Client, override_settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = {
    "SECRET_KEY": "compose-config-test-not-a-secret",
    "POSTGRES_PASSWORD": "compose-config-test-password",
    "ALLOWED_HOSTS": "portal.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.cn",
    "SITE_URL": "https://portal.example.cn",
}


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (Debian's v1 package); no engine is needed for config."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_runs_the_full_stack_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat", "nginx"}
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert services["web"]["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "integrity_portal.wsgi:application"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "integrity_portal"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:6379")
    assert set(compose["volumes"]) >= {"pgdata", "media"}


def test_dockerfile_installs_the_lock_file_and_serves_the_wsgi_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install -r requirements.lock" in dockerfile
    assert "requirements-dev" not in dockerfile  # the image carries no test tools
    # gunicorn.conf.py binds to loopback; in the container nginx must reach it on the compose network.
    assert 'GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000"' in dockerfile
    assert 'CMD ["gunicorn", "-c", "gunicorn.conf.py", "integrity_portal.wsgi:application"]' in dockerfile
    module = re.search(r'"(integrity_portal\.wsgi):application"', dockerfile).group(1)
    assert importlib.util.find_spec(module) is not None


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "lint", "worker", "beat", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def _compose_config(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    cli = _compose_cli()
    if cli is None:
        skip_or_fail("needs a compose CLI (apt-get install docker-compose); .ci/run installs it")
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}
    env.update(env_overrides)
    return subprocess.run(
        [*cli, "-f", str(ROOT / "docker-compose.yml"), "--project-directory", str(ROOT), "config"],
        capture_output=True, text=True, timeout=60, env=env, cwd="/",  # cwd: never read a developer's .env
    )


def test_compose_config_validates_with_the_required_settings():
    result = _compose_config(COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    web_env = config["services"]["web"]["environment"]
    assert web_env["DATABASE_URL"] == "postgres://portal:compose-config-test-password@db:5432/portal"
    assert web_env["SECRET_KEY"] == COMPOSE_ENV["SECRET_KEY"]
    assert config["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == COMPOSE_ENV["POSTGRES_PASSWORD"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"])
def test_compose_refuses_to_start_without_a_secret_or_the_domain(missing):
    """No default password or key is baked in: each must come from .env, and compose says which."""
    result = _compose_config({k: v for k, v in COMPOSE_ENV.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_compose_file_holds_no_password_or_key():
    text = (ROOT / "docker-compose.yml").read_text()
    keys = {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\w*(?:PASSWORD|SECRET_KEY))\s*:\s*(\S+)", text, re.M)}
    assert {"POSTGRES_PASSWORD", "SECRET_KEY"} <= set(keys)
    for key, value in keys.items():
        assert value.startswith("${" + key + ":"), key  # only ever from .env, never a literal
    assert keys["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert keys["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "portal:portal@" not in text


def test_migrate_runs_once_before_web_worker_and_beat():
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert "migrate" not in services["migrate"]["depends_on"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert "migrate" not in " ".join(services[name]["command"]), name  # nobody else migrates (no race)


def test_app_settings_in_compose_use_separate_redis_databases_and_trust_one_proxy():
    env = _compose()["services"]["web"]["environment"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["CACHE_URL"] == "redis://redis:6379/1"
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    assert env["DEBUG"] == "false"
    volumes = _compose()["volumes"]
    assert {"pgdata", "media"} <= set(volumes)


def test_nginx_terminates_tls_and_appends_the_client_address():
    services = _compose()["services"]
    nginx = services["nginx"]
    assert "443:443" in nginx["ports"]
    assert "./certs:/etc/nginx/certs:ro" in nginx["volumes"]
    assert "./deploy/nginx/portal.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    conf = (ROOT / "deploy/nginx/portal.conf").read_text()
    assert re.search(r"listen 443 ssl;", conf)
    assert "ssl_certificate     /etc/nginx/certs/fullchain.pem;" in conf
    assert "ssl_certificate_key /etc/nginx/certs/privkey.pem;" in conf
    assert "client_max_body_size 32m;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_pass http://portal_web;" in conf and "server web:8000;" in conf


def test_nginx_answers_502_and_504_with_the_portals_own_page_mounted_by_compose():
    """The container path nginx serves the error page from is a file compose mounts from deploy/nginx/."""
    conf = (ROOT / "deploy/nginx/portal.conf").read_text()
    codes, uri = re.search(r"^\s*error_page\s+([\d\s]+?)\s+(/\S+);", conf, re.M).groups()
    assert {"502", "504"} <= set(codes.split())
    location = re.search(r"location = " + re.escape(uri) + r"\s*\{(.*?)\}", conf, re.S).group(1)
    assert "internal;" in location
    container_path = re.search(r"root\s+(\S+);", location).group(1).rstrip("/") + uri

    mounts = dict(
        (volume.split(":")[1], volume.split(":")[0]) for volume in _compose()["services"]["nginx"]["volumes"]
    )
    assert container_path in mounts, container_path
    source = ROOT / mounts[container_path]
    assert source.is_file() and source.parent == ROOT / "deploy" / "nginx"

    page = source.read_text(encoding="utf-8")
    assert "服务暂时不可用" in page and "Service temporarily unavailable" in page
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import|<script""", page, re.I)  # nothing from elsewhere
    # The portal's own 500 page and 503 answers (/readyz/) pass through: nginx replaces only its own errors.
    assert not re.search(r"^\s*proxy_intercept_errors\s+on", conf, re.M)


def test_docker_stop_waits_longer_than_gunicorns_graceful_shutdown(monkeypatch):
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    grace = _compose()["services"]["web"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace)
    assert int(grace[:-1]) > conf["graceful_timeout"]


def _healthcheck_url() -> str:
    test = _compose()["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "curl"
    urls = [part for part in test if part.startswith("http")]
    assert len(urls) == 1
    assert not any(part.lower().startswith("host:") for part in test)  # no guessed Host header
    return urls[0]


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["portal.example.cn"], SECURE_SSL_REDIRECT=True)
def test_web_healthcheck_answers_with_the_real_allowed_hosts():
    """The request curl makes inside the container (Host 127.0.0.1:8000, plain HTTP) is answered 200,
    while every other page still refuses a host that is not allowed."""
    url = urlsplit(_healthcheck_url())
    client = Client()
    response = client.get(url.path, HTTP_HOST=url.netloc)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/", HTTP_HOST=url.netloc).status_code == 400
    assert client.get("/healthz/", HTTP_HOST="portal.example.cn").status_code == 200


# --- .dockerignore ---------------------------------------------------------------------------------


def _dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """Docker's rules: paths relative to the context, `*` within a segment, `**` across, `!` re-includes,
    the last matching line wins, and excluding a directory excludes everything under it."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                regex += ".*"
                i += 2
                if pattern.startswith("/", i):
                    regex += "/?"
                    i += 1
                continue
            char = pattern[i]
            regex += "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
            i += 1
        rules.append((negate, re.compile(regex + r"\Z")))
    return rules


def _excluded(path: str, rules) -> bool:
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        verdict = None
        for negate, regex in rules:
            if regex.match(prefix):
                verdict = not negate
        if verdict:
            return True
    return False


@pytest.mark.parametrize(
    "path",
    [".env", "media/complaints/evidence.jpg", "db.sqlite3", "db.sqlite3-journal", ".venv/bin/python",
     ".git/HEAD", "staticfiles/css/site.css", "tests/e2e/screenshots/home.png", "certs/privkey.pem",
     "merchants/__pycache__/models.cpython-311.pyc", ".pytest_cache/v/cache", ".ruff_cache/x"],
)
def test_build_context_excludes_secrets_data_and_caches(path):
    assert _excluded(path, _dockerignore_rules()), path


@pytest.mark.parametrize(
    "path",
    ["manage.py", "requirements.lock", "gunicorn.conf.py", "integrity_portal/settings.py", "templates/base.html",
     "static/css/site.css", "locale/en/LC_MESSAGES/django.po", "merchants/fixtures/regions.json", "Dockerfile"],
)
def test_build_context_keeps_what_the_image_needs(path):
    assert not _excluded(path, _dockerignore_rules()), path


def test_dockerignore_matcher_follows_docker_rules():
    """The matcher itself: a rule that only names a deeper path, or a later `!`, changes the answer."""
    rules = [(False, re.compile(r"docs\Z")), (True, re.compile(r"docs/DEPLOY\.md\Z"))]
    assert _excluded("docs/x.md", rules)
    assert not _excluded("docsx/y", rules)


# --- locks -----------------------------------------------------------------------------------------

TEST_TOOLS = {"pytest", "pytest-django", "pytest-env", "playwright", "schemathesis", "ruff", "factory-boy",
              "faker", "hypothesis"}


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            package, version = line.strip().split("==")
            pins[canonicalize_name(package)] = version
    return pins


def test_production_lock_has_no_test_tools_and_the_dev_lock_adds_them():
    prod, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert not TEST_TOOLS & set(prod)
    assert set(dev) >= TEST_TOOLS
    assert "-r requirements.lock" in (ROOT / "requirements-dev.lock").read_text().splitlines()
    assert all(prod[name] == dev[name] for name in set(prod) & set(dev))  # never two versions of one package


def test_locks_pin_exactly_what_pyproject_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prod, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for spec, lock in [(s, prod) for s in project["dependencies"]] + [
        (s, dev) for s in project["optional-dependencies"]["dev"]
    ]:
        requirement = Requirement(spec)
        assert lock.get(canonicalize_name(requirement.name)) == str(requirement.specifier).lstrip("="), spec


def test_makefile_installs_both_locks_and_the_image_only_production():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): requirements\.lock requirements-dev\.lock pyproject\.toml", makefile, re.M)
    assert "pip install --quiet -r requirements-dev.lock" in makefile


# --- static files ----------------------------------------------------------------------------------

MANIFEST_SCRIPT = """
import os, sys
import django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
from django.template.loader import render_to_string
from django.contrib.staticfiles.storage import staticfiles_storage
call_command("collectstatic", "--noinput", verbosity=0)
print(type(staticfiles_storage._wrapped).__name__)
print(render_to_string("base.html", {}))
"""


def test_production_pages_reference_hashed_compressed_static_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"MANIFEST_STATIC", "DEBUG"}}
    env.update(DEBUG="false", SECRET_KEY="manifest-test-not-a-secret", DJANGO_SETTINGS_MODULE="integrity_portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", MANIFEST_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=300,
        cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    storage, page = result.stdout.split("\n", 1)
    assert storage == "CompressedManifestStaticFilesStorage"
    hashed = re.search(r'href="/static/(css/site\.[0-9a-f]{12}\.css)"', page)
    assert hashed, page[:2000]
    assert (tmp_path / "staticfiles.json").exists()
    assert (tmp_path / hashed.group(1)).exists() and (tmp_path / (hashed.group(1) + ".gz")).exists()


# --- README and Makefile ---------------------------------------------------------------------------


def test_readme_documents_every_environment_variable_settings_reads():
    """Any `env.<type>("NAME"` added to settings.py must get a row in README's Environment table."""
    settings_source = (ROOT / "integrity_portal" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", settings_source))
    assert {"SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXY_COUNT", "MANIFEST_STATIC"} <= names  # the parser works
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in names | {"HOST", "PORT"} if f"`{name}`" not in readme)
    assert not missing, f"undocumented in README.md: {missing}"


def _make_dry_run(*args: str) -> str:
    if not shutil.which("make"):
        skip_or_fail("needs GNU make")
    # Under `make test` the suite inherits MAKELEVEL/MAKEFLAGS, and a nested make then prints
    # "Entering directory" lines: run it as a top-level make.
    drop = {"DEBUG", "SITE_URL", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # -o STAMP: treat the venv as installed (a dry run prints, never installs).
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", ["migrate", "seed", "serve", "worker", "beat", "check", "messages"])
def test_every_make_target_runs_in_the_same_mode_as_demo(target):
    commands = [line for line in _make_dry_run(target, "HOST=0.0.0.0", "PORT=9000").splitlines() if line.strip()]
    assert commands, f"make {target} does nothing"
    for line in commands:
        assert line.startswith("DEBUG=${DEBUG:-true} SITE_URL=${SITE_URL:-http://0.0.0.0:9000} "), line


def test_make_demo_serves_and_links_on_host_and_port():
    out = _make_dry_run("demo", "HOST=0.0.0.0", "PORT=9000")
    assert "runserver 0.0.0.0:9000" in out
    assert "SITE_URL=${SITE_URL:-http://0.0.0.0:9000}" in out.split("seed_demo")[0].splitlines()[-1]


def test_demo_printout_uses_site_url(db, settings):
    from io import StringIO
    from unittest import mock

    from django.core.management import call_command

    settings.SITE_URL = "http://0.0.0.0:9000"
    out = StringIO()
    with mock.patch("merchants.management.commands.seed_demo.demo_seeders", return_value=[]):
        call_command("seed_demo", "--merchants", "1", stdout=out)
    printed = out.getvalue()
    assert "http://0.0.0.0:9000/admin/" in printed and "http://0.0.0.0:9000/portal/" in printed
    assert "127.0.0.1:8000" not in printed


def test_gunicorn_outlasts_the_worst_request_and_drains_gracefully(monkeypatch):
    """gunicorn.conf.py (used by the Dockerfile CMD and compose ``web``): a killed worker drops the request with
    no portal page, so ``timeout`` must exceed the worst request by design, and nginx must wait longer still."""
    import runpy

    from gunicorn.config import Config

    for name in ("GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for key, value in values.items():
        if key in cfg.settings:
            cfg.set(key, value)  # gunicorn's own validation of every value in the file
    assert cfg.timeout == 60 and cfg.graceful_timeout == 30 and cfg.worker_class_str == "sync"
    assert cfg.workers >= 2 and cfg.max_requests > 0
    assert cfg.preload_app is True  # recycled workers are forked from the loaded master, not loaded anew
    nginx = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    proxy_read = int(re.search(r"proxy_read_timeout\s+(\d+)s;", nginx).group(1))
    assert proxy_read > cfg.timeout  # nginx never gives up on a request gunicorn is still running
    # The worst request by design under a Redis outage is one 0.5 s socket timeout (docs/FAULTS.md §6).
    from django.conf import settings

    assert settings.CELERY_TASK_IGNORE_RESULT is True
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["socket_timeout"] <= 0.5 and options["socket_connect_timeout"] <= 0.5
    assert settings.CELERY_REDIS_SOCKET_TIMEOUT <= 0.5 and settings.CELERY_REDIS_SOCKET_CONNECT_TIMEOUT <= 0.5
    monkeypatch.setenv("GUNICORN_TIMEOUT", "90")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["timeout"] == 90  # operators can raise it


def test_gunicorn_workers_freeze_the_loaded_application_out_of_the_collectors_way():
    """``post_worker_init`` (after the app is loaded, before the first request) moves every object then alive
    into the permanent generation, so the cyclic collector stops walking Django's ~180,000 objects."""
    import gc
    import runpy

    from gunicorn.config import Config

    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"]
    Config().set("post_worker_init", hook)  # gunicorn's own check of the hook's signature
    assert gc.get_freeze_count() == 0
    try:
        hook(object())
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


MASTER_LOAD = r"""
import json, os, runpy, socket, sys
connects = []
_connect = socket.socket.connect
def _record(self, address):
    connects.append(str(address))
    return _connect(self, address)
socket.socket.connect = _record
conf = runpy.run_path("gunicorn.conf.py")
assert conf["preload_app"] is True
from integrity_portal.wsgi import application  # what gunicorn's master does with preload_app
class Cfg: preload_app = True
class Server: cfg = Cfg()
conf["when_ready"](Server())
from django.db import connections
from django.urls import get_resolver
opened = [c.alias for c in connections.all() if c.connection is not None]
print(json.dumps({"db": opened, "sockets": connects, "views": "merchants.api.views" in sys.modules,
                  "urls": len(get_resolver().url_patterns)}))
"""


def test_gunicorns_master_loads_the_portal_without_opening_a_connection_the_workers_would_share():
    """gunicorn.conf.py sets ``preload_app``: the master imports the portal and resolves the URLconf, then forks
    the workers. A database or Redis connection opened by then would be one socket shared by every worker
    (interleaved protocol, answers to the wrong request); none may be."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="integrity_portal.settings", GUNICORN_PRELOAD="true")
    done = subprocess.run(
        [sys.executable, "-c", MASTER_LOAD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["views"] is True and loaded["urls"] > 5  # the warm-up did load the views
    assert loaded["db"] == [] and loaded["sockets"] == []


def test_gunicorn_preload_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("GUNICORN_PRELOAD", "false")
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert values["preload_app"] is False

    class Server:
        class cfg:  # noqa: N801 — gunicorn's attribute name
            preload_app = False

    values["when_ready"](Server())  # nothing loaded in the master then
