"""The per-Redis-server circuit breaker (core.cache) and the one task sender (core.tasks).

A hung Redis costs one 0.5 s socket timeout, after which cache calls and task sends to that server give
up at once for ``CircuitBreaker.COOLDOWN`` seconds; the server's breaker is shared by cache and broker."""

from __future__ import annotations

import logging
import time
from unittest import mock

import pytest
from django.core.cache.backends.redis import RedisCache

from integrity_portal.core.cache import BreakerConnection, CircuitBreaker, ResilientRedisCache
from integrity_portal.core.tasks import broker_breaker, send_now
from tests.faults.conftest import hung_redis


def _cache(location: str) -> RedisCache:
    return ResilientRedisCache(
        location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}, "KEY_PREFIX": "t"}
    )


def test_a_hung_redis_costs_one_timeout_then_calls_fail_at_once_until_the_cooldown_ends(monkeypatch):
    with hung_redis() as port:
        cache = _cache(f"redis://127.0.0.1:{port}/0")
        start = time.perf_counter()
        assert cache.get("k", "miss") == "miss"
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(20):
            assert cache.get("k", "miss") == "miss"
            cache.set("k", 1)
        rest = time.perf_counter() - start
        assert 0.4 <= first <= 1.0  # the socket timeout, once
        assert rest < 0.2  # 40 calls, none waited
        assert CircuitBreaker.for_address("127.0.0.1", port).is_open()

        monkeypatch.setattr(CircuitBreaker, "COOLDOWN", 0.0)  # cooldown over: the next call tries Redis again
        CircuitBreaker.for_address("127.0.0.1", port).reset()
        start = time.perf_counter()
        cache.get("k")
        assert time.perf_counter() - start >= 0.4


def test_the_broker_breaker_is_the_cache_breaker_of_the_same_server_and_skips_sends(caplog):
    app = mock.Mock()
    app.conf.broker_url = "redis://127.0.0.1:6390/0"
    task = mock.Mock()
    task.name = "merchants.tasks.recompute_merchant_ratings"
    task.app = app
    assert broker_breaker(app) is CircuitBreaker.for_address("127.0.0.1", 6390)

    CircuitBreaker.for_address("127.0.0.1", 6390).trip()  # e.g. a cache call to that server just failed
    with caplog.at_level(logging.WARNING, logger="integrity_portal.tasks"):
        assert send_now(task, (1,), fallback="left to the sweep") is False
    task.apply_async.assert_not_called()
    assert "broker marked down" in caplog.text and "left to the sweep" in caplog.text

    CircuitBreaker.reset_all()
    assert send_now(task, ([1, 2],), fallback="left to the sweep") is True
    task.apply_async.assert_called_once_with(args=([1, 2],), kwargs={}, retry=False)


def test_a_failed_send_is_logged_never_raised_and_opens_the_breaker(caplog):
    app = mock.Mock()
    app.conf.broker_url = "redis://127.0.0.1:6391/0"
    task = mock.Mock(name="task")
    task.name = "complaints.tasks.notify_complainant"
    task.app = app
    task.apply_async.side_effect = TimeoutError("Timeout reading from socket")
    with caplog.at_level(logging.WARNING, logger="integrity_portal.tasks"):
        assert send_now(task, (7, "accepted"), fallback="notice lost") is False
    assert broker_breaker(app).is_open()
    assert isinstance(caplog.records[-1].exc_info[1], TimeoutError)


@pytest.mark.parametrize(
    "location, breaker",
    [
        ("redis://127.0.0.1:6379/1", True),
        ("rediss://127.0.0.1:6379/1", False),
        ("unix:///run/redis.sock", False),
    ],
)
def test_the_breaker_connection_only_replaces_plain_tcp_connections(location, breaker):
    pool = _cache(location)._cache._get_connection_pool(write=True)
    assert (pool.connection_class is BreakerConnection) is breaker
