"""The one rate-limit helper: DRF's rate format, fixed windows per ident, shared by forms and API,
fail-open (logged, without hanging) when the cache is unreachable, and the progressive back-off."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from django.core.cache import caches

from integrity_portal.core import ratelimit
from integrity_portal.core.ratelimit import backoff_fail, backoff_reset, backoff_wait, hit, parse_rate, peek

ROOT = Path(__file__).resolve().parents[2]
T0 = 3600 * 500_000  # an hour boundary


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "demo": "2/hour"},
    }


@pytest.fixture
def redis_cache(settings, require_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "ratelimit-test",
        }
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture(params=["locmem", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


def test_one_rate_parser_in_drf_format():
    assert parse_rate("5/hour") == (5, 3600)
    assert parse_rate("120/min") == (120, 60)
    assert parse_rate("10/d") == (10, 86400)
    assert parse_rate("3/second") == (3, 1)


def test_the_old_limiters_and_their_parsers_are_gone():
    assert not (ROOT / "complaints" / "ratelimit.py").exists()
    for path in ("campaigns/views.py", "merchants/services/register.py", "complaints/api/views.py"):
        text = (ROOT / path).read_text()
        assert "SimpleRateThrottle" not in text and "ScopedRateThrottle" not in text, path
        assert "REMOTE_ADDR" not in text and "partition(\"/\")" not in text, path


def test_hit_refuses_past_the_limit_until_the_window_ends(rates, backend):
    assert [hit("demo", ["ip:192.0.2.1"], now=T0 + 10).allowed for _ in range(3)] == [True, True, False]
    refused = hit("demo", ["ip:192.0.2.1"], now=T0 + 3000.5)
    assert not refused.allowed and refused.retry_after == 600
    assert hit("demo", ["ip:192.0.2.2"], now=T0 + 10).allowed  # another ident
    assert hit("demo", ["ip:192.0.2.1"], now=T0 + 3600).allowed  # next window


def test_on_redis_one_script_call_counts_every_ident_and_sets_the_windows_expiry(rates, redis_cache):
    """One ``EVALSHA`` per hit: each ident's counter is created with the window's expiry and raised, and a
    server that lost its scripts (restarted, ``SCRIPT FLUSH``) gets the script again without a lost count."""
    client = redis_cache._cache.get_client(write=True)
    now = T0 + 3000.5  # 599.5 s left in the hour: the counters live until just after the window ends
    assert hit("demo", ["ip:192.0.2.1", "phone:13912345678"], now=now).allowed
    keys = sorted(k.decode() for k in client.keys("ratelimit-test:*"))
    assert len(keys) == 2 and all(":rl:demo:500000:" in k for k in keys)
    assert all(590 <= client.ttl(k) <= 601 for k in keys)
    assert [int(client.get(k)) for k in keys] == [1, 1]
    client.script_flush()
    assert hit("demo", ["ip:192.0.2.1"], now=now).allowed  # reloaded: the second of two allowed
    assert not hit("demo", ["ip:192.0.2.1"], now=now).allowed
    assert hit("demo", ["ip:192.0.2.3"], now=now).allowed


def test_on_redis_that_refuses_scripts_the_counters_still_count(rates, redis_cache, monkeypatch):
    """A hardened server may have EVAL renamed away or denied by an ACL: every API call would then 500. The
    counters fall back to the two commands per key, pipelined, with the same counts and expiry."""
    import redis

    client = redis_cache._cache.get_client(write=True)
    original = type(client).execute_command

    def refuse_scripts(self, *args, **kwargs):
        if args and args[0] in ("EVAL", "EVALSHA"):
            raise redis.exceptions.ResponseError(f"unknown command '{args[0]}'")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(client), "execute_command", refuse_scripts)
    now = T0 + 3000.5
    assert [hit("demo", ["ip:192.0.2.1", "phone:13912345678"], now=now).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    keys = [k.decode() for k in client.keys("ratelimit-test:*")]
    assert len(keys) == 2 and all(590 <= client.ttl(k) <= 601 for k in keys)


def test_any_ident_over_the_limit_refuses(rates, backend):
    hit("demo", ["phone:13912345678"], now=T0)
    hit("demo", ["phone:13912345678"], now=T0)
    assert not hit("demo", ["ip:192.0.2.9", "phone:13912345678"], now=T0).allowed


def test_peek_does_not_count(rates, backend):
    for _ in range(5):
        assert peek("demo", ["user:1"], now=T0).allowed
    ratelimit.record("demo", ["user:1"], now=T0)
    ratelimit.record("demo", ["user:1"], now=T0)
    assert not peek("demo", ["user:1"], now=T0).allowed


def test_a_scope_without_a_rate_is_not_limited(backend):
    assert all(hit("no-such-scope", ["ip:1.1.1.1"]).allowed for _ in range(50))


def test_idents_never_reach_the_cache_as_text(rates, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}}
    hit("demo", ["phone:13912345678", "ip:\x00<evil>"], now=T0)
    keys = list(caches["default"]._cache.keys())
    assert keys and not any("13912345678" in k or "evil" in k for k in keys)


def test_phone_idents_count_every_spelling_once():
    assert ratelimit.phone_ident("139 1234 5678") == ratelimit.phone_ident("+86 13912345678") == "phone:13912345678"
    assert ratelimit.phone_ident("") == "" and ratelimit.phone_ident("\x00") == ""


@pytest.mark.parametrize("backend_class", ["integrity_portal.core.cache.ResilientRedisCache",
                                           "django.core.cache.backends.redis.RedisCache"])
def test_unreachable_cache_admits_logs_and_does_not_hang(rates, settings, caplog, backend_class):
    from tests.faults.conftest import closed_port

    settings.CACHES = {
        "default": {
            "BACKEND": backend_class,
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="integrity_portal.cache"):
        assert all(hit("demo", ["ip:192.0.2.1"]).allowed for _ in range(4))
        assert peek("demo", ["ip:192.0.2.1"]).allowed
        assert backoff_wait("login", "clerk", free=0, cap=60) == 0
    assert time.monotonic() - started < 10
    assert "cache unavailable" in caplog.text


def test_backoff_doubles_after_the_free_failures_and_resets(backend):
    now = 1_000_000.0
    for i in range(3):
        backoff_fail("login", "clerk", ttl=3600, now=now)
        assert backoff_wait("login", "clerk", free=3, cap=60, now=now) == (0 if i < 2 else 1)
    backoff_fail("login", "clerk", ttl=3600, now=now)
    assert backoff_wait("login", "clerk", free=3, cap=60, now=now) == 2
    assert backoff_wait("login", "clerk", free=3, cap=60, now=now + 2) == 0  # the one attempt now admitted
    assert backoff_wait("login", "clerk", free=3, cap=60, now=now + 2) == 1  # a concurrent second one waits
    for _ in range(20):
        backoff_fail("login", "clerk", ttl=3600, now=now)
    assert backoff_wait("login", "clerk", free=3, cap=60, now=now) == 60  # capped
    assert backoff_wait("login", "someone-else", free=3, cap=60, now=now) == 0
    backoff_reset("login", "clerk")
    assert backoff_wait("login", "clerk", free=3, cap=60, now=now) == 0


# --- hit_batched: the API's per-caller rates, sent to Redis in batches ---------------------------------


@pytest.fixture
def batch_rates(settings):
    def set_rate(rate: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "batched": rate},
        }

    return set_rate


def _shared_count(redis_cache) -> int:
    client = redis_cache._cache.get_client(write=True)
    keys = client.keys("ratelimit-test:*rl:batched:*")
    return sum(int(client.get(k)) for k in keys)


def test_batched_hits_below_an_eighth_of_the_limit_go_to_redis_together(batch_rates, redis_cache, monkeypatch):
    """The first hit is sent; the next ones wait in the process (one round trip per ``BATCH_SECONDS``), then
    one call carries all of them."""
    batch_rates("800/minute")  # held while the caller is under 100
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 3600)
    assert ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0).allowed
    assert _shared_count(redis_cache) == 1
    assert all(ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0).allowed for _ in range(5))
    assert ratelimit.hit_batched("batched", ["ip:192.0.2.2"], now=T0).allowed
    assert _shared_count(redis_cache) == 1  # six hits held
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 0)
    assert ratelimit.hit_batched("batched", ["ip:192.0.2.3"], now=T0).allowed
    assert _shared_count(redis_cache) == 8  # every caller's held hits, in the one call


def test_batched_hits_refuse_at_the_shared_limit_across_processes(batch_rates, redis_cache, monkeypatch):
    """Two worker processes (two batches) taking turns: from an eighth of the limit on every hit is sent, so
    what they admit together is the limit, give or take what one process held below an eighth."""
    batch_rates("80/minute")
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 3600)
    workers = [ratelimit._Batch(), ratelimit._Batch()]
    admitted = 0
    for n in range(300):
        monkeypatch.setattr(ratelimit, "_batch", workers[n % 2])
        admitted += ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0 + 5).allowed
    assert 80 <= admitted < 80 + 10
    assert _shared_count(redis_cache) >= 290  # refused hits are counted too, as ``hit`` counts them
    refused = ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0 + 5)
    assert not refused.allowed and refused.retry_after == 55
    assert ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0 + 60).allowed  # the next window


def test_a_small_rate_is_exact_from_the_first_hit(batch_rates, redis_cache, monkeypatch):
    batch_rates("3/minute")
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 3600)
    verdicts = [ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0).allowed for _ in range(4)]
    assert verdicts == [True, True, True, False]
    assert _shared_count(redis_cache) == 4


def test_batched_hits_off_redis_are_counted_one_by_one(batch_rates, settings):
    batch_rates("800/minute")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}}
    for _ in range(3):
        ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0)
    assert not ratelimit._batch.pending
    assert caches["default"].get(ratelimit._keys("batched", ["ip:192.0.2.1"], T0 // 60)[0]) == 3


def test_batched_hits_admit_and_are_dropped_while_redis_is_unreachable(batch_rates, settings, caplog):
    from tests.faults.conftest import closed_port

    batch_rates("1/minute")
    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with caplog.at_level(logging.WARNING, logger="integrity_portal.cache"):
        assert all(ratelimit.hit_batched("batched", ["ip:192.0.2.1"]).allowed for _ in range(3))
    assert "cache unavailable" in caplog.text
    assert not ratelimit._batch.pending  # nothing piles up for a server that is not there


def test_a_forked_worker_starts_with_nothing_to_send(batch_rates, redis_cache, monkeypatch):
    """gunicorn forks its workers: hits held by the parent must not be sent again by every child."""
    import os

    batch_rates("800/minute")
    monkeypatch.setattr(ratelimit, "BATCH_SECONDS", 3600)
    ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0)
    ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0)
    assert ratelimit._batch.pending
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once
        os._exit(0 if not ratelimit._batch.pending and not ratelimit._batch.known else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ratelimit._batch.pending  # the parent's own are untouched


def test_rotating_callers_do_not_pile_up_in_the_process(batch_rates, redis_cache, monkeypatch):
    """A new address per request (a rotating ``X-Forwarded-For``): each is remembered until its window ends,
    never longer, so memory follows the request rate, not the attack's length."""
    batch_rates("120/minute")
    now = {"t": 1000.0}
    monkeypatch.setattr(ratelimit, "_clock", lambda: now["t"])
    for n in range(200):
        now["t"] += 0.25  # every hit is sent
        assert ratelimit.hit_batched("batched", [f"ip:198.51.100.{n % 250}:{n}"], now=T0 + 1).allowed
    assert len(ratelimit._batch.known) == 200 and not ratelimit._batch.pending
    now["t"] += 120  # both windows over
    ratelimit.hit_batched("batched", ["ip:192.0.2.1"], now=T0 + 121)
    assert len(ratelimit._batch.known) == 1
