"""The API's default throttle: the ``anon`` rate per address, the ``user`` rate per account, counted in
fixed windows (one counter per caller and window), and admitting requests while the cache is down."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from integrity_portal.core.throttling import CallerRateThrottle, parse_rate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/merchants/"
WINDOW_START = 60 * 28_000_000  # a minute boundary


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Each behaviour on the local-memory cache and on Redis (the production backend, one pipelined trip)."""
    if request.param == "redis":
        request.getfixturevalue("require_redis")
        settings.CACHES = {
            "default": {
                "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": "throttle-test",
            }
        }
    else:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
        }
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


@pytest.fixture
def rates(settings):
    def set_rates(anon: str = "3/minute", user: str = "5/minute") -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "anon": anon,
                "user": user,
            },
        }

    set_rates()
    return set_rates


@pytest.fixture
def clock(monkeypatch):
    now = {"t": WINDOW_START + 45.2}
    monkeypatch.setattr(CallerRateThrottle, "timer", staticmethod(lambda: now["t"]))
    return now


def _statuses(client, n: int, **extra) -> list[int]:
    return [client.get(URL, **extra).status_code for _ in range(n)]


def test_open_data_api_passes_a_single_throttle():
    from merchants.api.views import MerchantViewSet

    assert [type(t) for t in MerchantViewSet().get_throttles()] == [CallerRateThrottle]


def test_rates_keep_the_rest_framework_format():
    assert parse_rate("600/minute") == (600, 60)
    assert parse_rate("120/min") == (120, 60)
    assert parse_rate("1000000/second") == (1_000_000, 1)
    assert parse_rate("5/hour") == (5, 3600)
    assert parse_rate("10/day") == (10, 86400)


def test_anonymous_caller_gets_the_anon_rate(client, regions, cache_backend, rates, clock):
    assert _statuses(client, 4) == [200, 200, 200, 429]


def test_signed_in_caller_gets_the_user_rate(client, regions, cache_backend, rates, clock):
    client.force_login(UserFactory(username="data_journalist"))
    assert _statuses(client, 6) == [200] * 5 + [429]


def test_signed_in_callers_are_counted_per_account_not_per_address(
    client, regions, cache_backend, rates, clock
):
    client.force_login(UserFactory(username="reader_one"))
    assert _statuses(client, 5) == [200] * 5
    client.force_login(UserFactory(username="reader_two"))
    assert _statuses(client, 1) == [200]


def test_request_past_the_limit_gets_429_with_retry_after_until_the_window_ends(
    client, regions, cache_backend, rates, clock
):
    _statuses(client, 3)
    response = client.get(URL)
    assert response.status_code == 429
    assert response["Retry-After"] == "15"  # 45.2 s into the minute: 14.8 s left, rounded up
    assert response.json()["type"] == "client_error"
    assert [error["code"] for error in response.json()["errors"]] == ["throttled"]


def test_new_window_admits_again(client, regions, cache_backend, rates, clock):
    assert _statuses(client, 4) == [200, 200, 200, 429]
    clock["t"] = WINDOW_START + 59.9
    assert _statuses(client, 1) == [429]
    clock["t"] = WINDOW_START + 60.0
    assert _statuses(client, 4) == [200, 200, 200, 429]


def test_two_addresses_are_counted_separately(client, regions, cache_backend, rates, clock):
    assert _statuses(client, 4, REMOTE_ADDR="203.0.113.7") == [200, 200, 200, 429]
    assert _statuses(client, 3, REMOTE_ADDR="198.51.100.9") == [200, 200, 200]
    assert _statuses(client, 1, REMOTE_ADDR="203.0.113.7") == [429]


def test_long_forwarded_for_chain_is_still_counted(client, regions, cache_backend, rates, clock):
    chain = ", ".join(f"10.0.{i}.{i}" for i in range(40))
    assert _statuses(client, 4, HTTP_X_FORWARDED_FOR=chain) == [200, 200, 200, 429]


def test_throttle_admits_requests_while_the_cache_is_down(client, regions, settings, rates, clock):
    from tests.faults.conftest import closed_port

    rates(anon="1/minute")
    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    assert _statuses(client, 3) == [200, 200, 200]


def test_api_calls_under_an_eighth_of_the_rate_reach_redis_in_one_batch(
    client, regions, settings, rates, clock, require_redis, monkeypatch
):
    """The API's per-caller rate is counted with ``hit_batched``: requests far under the limit are held in
    the process (no round trip each) and sent together; the shared counter then holds every one."""
    from integrity_portal.core import ratelimit

    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "throttle-batch-test",
        }
    }
    caches["default"].clear()
    redis_client = caches["default"]._cache.get_client(write=True)

    def shared() -> int:
        return sum(int(redis_client.get(k)) for k in redis_client.keys("throttle-batch-test:*rl:anon:*"))

    rates(anon="800/minute")
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 3600)
    assert _statuses(client, 4) == [200] * 4
    assert shared() == 1  # the first was sent, three are held
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 0)
    assert _statuses(client, 1) == [200]
    assert shared() == 5
    caches["default"].clear()
