"""The read-replica router: which requests read from the replica, and an end-to-end check on a real alias.

The ``replica`` alias used here points at the same test database as ``default`` (added to
``connections.settings`` at run time, as a test mirror), so queries can be counted per alias on SQLite and
PostgreSQL alike without a second server.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from integrity_portal.celery import app as celery_app
from integrity_portal.core import db_router
from integrity_portal.core.db_router import REPLICA_DB_ALIAS, public_read
from integrity_portal.core.middleware import PublicReadReplicaMiddleware
from integrity_portal.core.public_cache import PUBLIC_PAGES_VERSION_KEY, public_pages_changed
from merchants.models import Merchant
from tests.factories import MerchantFactory, make_staff

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "integrity_portal.core.db_router.PublicReadReplicaRouter"
MIDDLEWARE = "integrity_portal.core.middleware.PublicReadReplicaMiddleware"

PUBLIC_PATHS = [
    "/",
    "/merchants/",
    "/merchants/12/",
    "/merchants/12/plaque/",
    "/lists/red/",
    "/lists/black/?format=csv",
    "/verify/abc123/",
    "/notices/",
    "/notices/3/",
    "/api/v1/merchants/",
    "/api/v1/merchants/12/",
    "/api/v1/regions/",
    "/api/v1/lists/red/",
    "/api/v1/commendations/",
]
PRIVATE_PATHS = [
    "/admin/",
    "/admin/merchants/merchant/",
    "/portal/",
    "/portal/complaints/",
    "/accounts/login/",
    "/complaints/new/",
    "/complaints/track/",
    "/complaints/track/result/",
    "/complaints/statistics/",
    "/api/v1/complaints/track/",
    "/api/v1/staff/complaints/",
    "/api/v1/portal/merchants/12/rating/",
    "/api/v1/campaign-applications/",
    "/api/schema/",
    "/healthz/",
    "/merchantsfoo/",
    "/index.html",
]


@pytest.fixture(scope="class")
def replica_alias(django_db_setup):
    """A ``replica`` alias on the test database of ``default``, removed again after the class.

    ``override_settings(DATABASES=…)`` does not reach the connection handler, which reads
    ``connections.settings`` (a cached dict); a new key there is enough for ``connections[alias]``."""
    if REPLICA_DB_ALIAS in connections.settings:
        yield REPLICA_DB_ALIAS
        return
    settings_dict = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings_dict["TEST"]["MIRROR"] = DEFAULT_DB_ALIAS
    connections.settings[REPLICA_DB_ALIAS] = settings_dict
    try:
        yield REPLICA_DB_ALIAS
    finally:
        conn = connections[REPLICA_DB_ALIAS]
        conn.close()
        if conn.connection is not None:  # SQLite ignores close() on an in-memory test database
            conn.connection.close()
            conn.connection = None
        del connections[REPLICA_DB_ALIAS]
        del connections.settings[REPLICA_DB_ALIAS]


@pytest.fixture
def router_on(settings):
    """The router as DATABASE_REPLICA_URL installs it (setting_changed resets ``django.db.router``)."""
    settings.DATABASE_ROUTERS = [ROUTER]
    auth = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[: auth + 1], MIDDLEWARE, *settings.MIDDLEWARE[auth + 1 :]]
    return settings


def _read_alias_in(request) -> str:
    """The alias a model read inside ``request`` would use, as the middleware and router decide it."""
    seen = {}

    def view(request):
        seen["alias"] = router.db_for_read(Merchant)
        return HttpResponse()

    if not hasattr(request, "user"):
        request.user = AnonymousUser()
    PublicReadReplicaMiddleware(view)(request)
    return seen["alias"]


@pytest.mark.usefixtures("replica_alias", "router_on")
class TestWhoReadsFromTheReplica:
    @pytest.mark.parametrize("path", PUBLIC_PATHS)
    def test_anonymous_get_of_a_public_page_reads_from_the_replica(self, path):
        assert _read_alias_in(RequestFactory().get(path)) == REPLICA_DB_ALIAS

    def test_anonymous_head_of_a_public_page_reads_from_the_replica(self):
        assert _read_alias_in(RequestFactory().head("/merchants/")) == REPLICA_DB_ALIAS

    @pytest.mark.parametrize("path", PRIVATE_PATHS)
    def test_staff_portal_complaint_and_other_paths_read_from_default(self, path):
        assert _read_alias_in(RequestFactory().get(path)) == DEFAULT_DB_ALIAS

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
    def test_requests_other_than_get_and_head_read_from_default(self, method):
        assert _read_alias_in(getattr(RequestFactory(), method)("/notices/3/")) == DEFAULT_DB_ALIAS

    def test_signed_in_user_on_a_public_page_reads_from_default(self):
        request = RequestFactory().get("/merchants/")
        request.user = get_user_model()(username="somebody")
        assert _read_alias_in(request) == DEFAULT_DB_ALIAS

    def test_visitor_with_a_session_cookie_reads_from_default(self, settings):
        request = RequestFactory().get("/merchants/")
        request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
        assert _read_alias_in(request) == DEFAULT_DB_ALIAS

    def test_api_call_with_credentials_reads_from_default(self):
        request = RequestFactory().get("/api/v1/merchants/", HTTP_AUTHORIZATION="Basic dTpw")
        assert _read_alias_in(request) == DEFAULT_DB_ALIAS

    def test_writes_always_go_to_default(self):
        assert router.db_for_write(Merchant) == DEFAULT_DB_ALIAS
        with public_read():
            assert router.db_for_write(Merchant) == DEFAULT_DB_ALIAS

    def test_reads_after_a_write_in_the_same_public_request_stay_on_default(self):
        with public_read():
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS
            router.db_for_write(Merchant)
            assert router.db_for_read(Merchant) == DEFAULT_DB_ALIAS

    def test_mark_ends_with_the_request_even_when_the_view_raises(self):
        def view(request):
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS
            raise RuntimeError("boom")

        request = RequestFactory().get("/merchants/")
        request.user = AnonymousUser()
        with pytest.raises(RuntimeError):
            PublicReadReplicaMiddleware(view)(request)
        assert router.db_for_read(Merchant) == DEFAULT_DB_ALIAS

    def test_mark_does_not_leak_into_the_next_request(self):
        assert _read_alias_in(RequestFactory().get("/merchants/")) == REPLICA_DB_ALIAS
        assert _read_alias_in(RequestFactory().get("/admin/")) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Merchant) == DEFAULT_DB_ALIAS

    def test_mark_does_not_leak_into_another_thread(self):
        with public_read():
            with ThreadPoolExecutor(max_workers=1) as pool:
                assert pool.submit(router.db_for_read, Merchant).result() == DEFAULT_DB_ALIAS
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS

    def test_code_outside_a_request_and_celery_tasks_read_from_default(self):
        @celery_app.task(name="tests.core.test_db_router.read_alias")
        def read_alias():
            return router.db_for_read(Merchant)

        assert router.db_for_read(Merchant) == DEFAULT_DB_ALIAS
        assert read_alias.delay().get() == DEFAULT_DB_ALIAS

    def test_only_default_is_migrated(self):
        assert router.allow_migrate_model(DEFAULT_DB_ALIAS, Merchant)
        assert not router.allow_migrate_model(REPLICA_DB_ALIAS, Merchant)

    def test_objects_from_default_and_replica_may_be_related(self):
        a, b = Merchant(), Merchant()
        a._state.db, b._state.db = DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS
        assert router.allow_relation(a, b)


@pytest.mark.usefixtures("replica_alias", "router_on")
class TestReplicaLagAfterAVersionBump:
    def test_public_reads_stay_on_default_for_the_lag_window_after_a_version_bump(self, monkeypatch):
        clock = SimpleNamespace(now=1_000_000.0)
        monkeypatch.setattr(db_router, "time", SimpleNamespace(time=lambda: clock.now))
        assert _read_alias_in(RequestFactory().get("/merchants/")) == REPLICA_DB_ALIAS

        public_pages_changed()
        assert _read_alias_in(RequestFactory().get("/merchants/")) == DEFAULT_DB_ALIAS
        clock.now += 4.9
        assert _read_alias_in(RequestFactory().get("/lists/red/")) == DEFAULT_DB_ALIAS
        clock.now += 0.2
        assert _read_alias_in(RequestFactory().get("/lists/red/")) == REPLICA_DB_ALIAS

        public_pages_changed()
        assert _read_alias_in(RequestFactory().get("/lists/red/")) == DEFAULT_DB_ALIAS

    def test_one_request_keeps_the_alias_it_started_reading_from(self, monkeypatch):
        clock = SimpleNamespace(now=1_000_000.0)
        monkeypatch.setattr(db_router, "time", SimpleNamespace(time=lambda: clock.now))
        with public_read():
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS
            public_pages_changed()
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS

    def test_lag_window_of_zero_turns_the_fence_off(self, settings):
        settings.REPLICA_MAX_LAG_SECONDS = 0
        public_pages_changed()
        assert _read_alias_in(RequestFactory().get("/merchants/")) == REPLICA_DB_ALIAS

    def test_fence_watches_the_key_the_public_pages_version_lives_under(self):
        assert db_router.PUBLIC_PAGES_VERSION_KEY == PUBLIC_PAGES_VERSION_KEY


@pytest.mark.usefixtures("router_on")
def test_without_a_replica_alias_public_reads_use_default():
    if REPLICA_DB_ALIAS in connections.settings:
        pytest.skip("DATABASE_REPLICA_URL is set in this environment")
    assert _read_alias_in(RequestFactory().get("/merchants/")) == DEFAULT_DB_ALIAS


def _run_settings(**env) -> subprocess.CompletedProcess:
    import os

    clean = {k: v for k, v in os.environ.items() if "DATABASE" not in k and k not in {"REDIS_URL", "DEBUG"}}
    code = (
        "import json, os, django; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS, 'middleware': s.MIDDLEWARE}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings_in_subprocess(**env) -> dict:
    result = _run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_DATABASE_REPLICA_URL_there_is_no_replica_router_or_middleware():
    conf = _settings_in_subprocess(DATABASE_URL="postgres://portal@db:5432/portal")
    assert list(conf["databases"]) == ["default"]
    assert conf["routers"] == []
    assert MIDDLEWARE not in conf["middleware"]


def test_DATABASE_REPLICA_URL_adds_the_replica_alias_router_and_middleware():
    conf = _settings_in_subprocess(
        DATABASE_URL="postgres://portal@db:5432/portal?sslmode=prefer",
        DATABASE_REPLICA_URL="postgres://reader@db-replica:5432/portal",
        CONN_MAX_AGE="45",
    )
    default, replica = conf["databases"]["default"], conf["databases"]["replica"]
    assert (replica["HOST"], replica["USER"], replica["ENGINE"]) == (
        "db-replica",
        "reader",
        default["ENGINE"],
    )
    assert replica["CONN_MAX_AGE"] == default["CONN_MAX_AGE"] == 45
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert replica["OPTIONS"] == default["OPTIONS"] == {"sslmode": "prefer", "options": "-c jit=off"}
    assert replica["TEST"]["MIRROR"] == "default"
    assert conf["routers"] == [ROUTER]
    middleware = conf["middleware"]
    assert (
        middleware.index(MIDDLEWARE)
        == middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    )


def test_postgres_connections_run_without_jit_unless_asked():
    url = "postgres://portal@db:5432/portal"
    assert _settings_in_subprocess(DATABASE_URL=url)["databases"]["default"]["OPTIONS"] == {
        "options": "-c jit=off"
    }
    jit = _settings_in_subprocess(DATABASE_URL=url, DATABASE_JIT="true")["databases"]["default"]
    assert "options" not in jit.get("OPTIONS", {})
    sqlite = _settings_in_subprocess(DATABASE_URL="sqlite:////tmp/x.sqlite3")["databases"]["default"]
    assert "options" not in sqlite["OPTIONS"]


def test_replica_on_another_database_engine_refuses_to_start():
    result = _run_settings(DATABASE_REPLICA_URL="postgres://reader@db-replica:5432/portal")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must use the same database engine" in result.stderr


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
@pytest.mark.usefixtures("replica_alias", "router_on")
class TestReplicaEndToEnd:
    @pytest.fixture(autouse=True)
    def _data(self, regions, router_on):
        router_on.REPLICA_MAX_LAG_SECONDS = 0
        self.merchant = MerchantFactory(name="副本测试商户")

    def _queries(self, client, path):
        with (
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
            CaptureQueriesContext(connections[REPLICA_DB_ALIAS]) as on_replica,
        ):
            response = client.get(path)
        return response, len(on_default), len(on_replica)

    def test_anonymous_directory_page_queries_run_on_the_replica_only(self, client):
        response, on_default, on_replica = self._queries(client, "/merchants/")
        assert response.status_code == 200
        assert "副本测试商户" in response.content.decode()
        assert on_replica > 0
        assert on_default == 0

    def test_anonymous_open_data_api_queries_run_on_the_replica_only(self, client):
        response, on_default, on_replica = self._queries(client, "/api/v1/merchants/")
        assert response.status_code == 200
        assert [m["name"] for m in response.json()["results"]] == ["副本测试商户"]
        assert on_replica > 0
        assert on_default == 0

    def test_signed_in_staff_queries_run_on_default_only(self, client):
        client.force_login(make_staff("410800"))
        for path in ("/merchants/", "/admin/merchants/merchant/"):
            response, on_default, on_replica = self._queries(client, path)
            assert response.status_code == 200
            assert "副本测试商户" in response.content.decode()
            assert on_default > 0
            assert on_replica == 0

    def test_complaint_tracking_page_queries_run_on_default_only(self, client):
        response, on_default, on_replica = self._queries(client, "/complaints/track/")
        assert response.status_code == 200
        assert on_replica == 0

    def test_reads_inside_a_transaction_go_to_default(self):
        with public_read():
            assert router.db_for_read(Merchant) == REPLICA_DB_ALIAS
            with transaction.atomic():
                assert router.db_for_read(Merchant) == DEFAULT_DB_ALIAS
                assert Merchant.objects.get(pk=self.merchant.pk)._state.db == DEFAULT_DB_ALIAS
            assert Merchant.objects.get(pk=self.merchant.pk)._state.db == REPLICA_DB_ALIAS

    def test_page_rendered_right_after_a_version_bump_reads_default_until_the_lag_window_ends(
        self, client, settings
    ):
        settings.REPLICA_MAX_LAG_SECONDS = 0.3
        public_pages_changed()
        response, on_default, on_replica = self._queries(client, "/lists/red/")
        assert response.status_code == 200
        assert (on_default > 0, on_replica) == (True, 0)
        time.sleep(0.35)
        response, on_default, on_replica = self._queries(client, "/lists/black/")
        assert response.status_code == 200
        assert (on_default, on_replica > 0) == (0, True)
