"""The one rate-limit mechanism: fixed-window counters in the cache, for HTML forms and the API alike.

A limit is a *scope* whose rate lives in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"5/hour"``,
DRF's format, read by ``parse_rate``) and a list of *idents* — who is counted: ``core.client.rate_key``
for the client address, ``"phone:…"``, ``"user:<pk>"``. Every ident gets its own counter per window;
a request is refused when any of its idents is over the limit. The HTML form and the API endpoint of
the same action use the same scope and idents, so they share one budget.

Counters are an integer per scope, ident and window, created with ``add``/``SET NX`` and raised with
``incr``; on Redis one script call does both for every ident (``EVALSHA``: one command, one round trip,
whatever the number of idents — every API request pays it, so it is kept to the least Python and Redis
work: about half the cost of the pipeline it replaced, docs/BENCHMARKS.md §7). A fixed window admits up
to twice the rate across a boundary: acceptable for these limits, and what keeps the cost constant.
Idents are hashed into the key, so a phone number or a hostile header never reaches Redis as text.

When the cache is unreachable every limit admits the request (fail-open, the choice
``core.cache.ResilientRedisCache`` makes for the whole cache) and the outage is logged; the cache's
0.5 s socket timeouts keep an outage from hanging a request.

``backoff_*`` is the second shape: a failure counter per ident that, past a free allowance, admits one
attempt per 2^n seconds (capped) after the last failure — used by the login guard for a username.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("integrity_portal.cache")
_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
CACHE_ALIAS = "default"


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate format, ``"600/minute"`` → (600, 60); the period is read from its first letter."""
    count, _sep, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1].lower()]


def scope_rate(scope: str) -> tuple[int, int] | None:
    """(limit, window seconds) of a scope from the settings, or None when the scope has no rate."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    return parse_rate(rate) if rate else None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (what a 429's Retry-After says)
    limit: int = 0


ALLOW = Verdict(True, 0)


def _digest(ident: str) -> str:
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _keys(scope: str, idents: Iterable[str], window: int) -> list[str]:
    seen = dict.fromkeys(i for i in idents if i and not i.endswith(":"))
    return [f"rl:{scope}:{window}:{_digest(i)}" for i in seen]


#: Creates each key (``SET NX EX``) and raises it; returns the counts in the order of ``KEYS``.
_INCR_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')
  counts[i] = redis.call('INCR', key)
end
return counts
"""
_INCR_SHA = hashlib.sha1(_INCR_SCRIPT.encode()).hexdigest()  # noqa: S324  (Redis names scripts by SHA-1)


def _incr_many(keys: list[str], ttl: int) -> list[int] | None:
    """Each key's count including this hit, or None when the cache is unreachable (fail-open)."""
    if not keys:
        return []
    backend = caches[CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # ``make_key`` without the validation (a character scan meant for memcached): the keys are ASCII by
        # construction — the scope is the code's, the window a number, the ident a hex digest.
        full = [backend.make_key(k) for k in keys]
        try:
            client = backend._cache.get_client(full[0], write=True)
            try:
                try:
                    counts = client.execute_command("EVALSHA", _INCR_SHA, len(full), *full, ttl)
                except redis.exceptions.NoScriptError:  # a restarted or flushed server: EVAL loads it again
                    counts = client.execute_command("EVAL", _INCR_SCRIPT, len(full), *full, ttl)
            except redis.exceptions.ResponseError:
                # A server that refuses scripts (EVAL renamed away, an ACL without it): the same two commands
                # per key, pipelined — one round trip still, never a 500 on every API call.
                pipe = client.pipeline(transaction=False)
                for key in full:
                    pipe.set(key, 0, ex=ttl, nx=True)
                    pipe.incr(key)
                counts = pipe.execute()[1::2]
            return [int(v) for v in counts]
        except _UNREACHABLE:
            logger.warning("cache unavailable: rate limit admits the request", exc_info=True)
            return None
    counts = []
    for key in keys:
        try:
            counts.append(backend.incr(key))
            continue
        except ValueError:
            pass
        if backend.add(key, 1, ttl):
            counts.append(1)
            continue
        try:
            counts.append(backend.incr(key))
        except ValueError:
            logger.warning("cache unavailable: rate limit admits the request")
            return None
    return counts


def _get_many(keys: list[str]) -> dict:
    if not keys:
        return {}
    try:
        return caches[CACHE_ALIAS].get_many(keys)
    except _UNREACHABLE:
        logger.warning("cache unavailable: rate limit admits the request", exc_info=True)
        return {}


def _window(seconds: int, now: float | None) -> tuple[int, float]:
    now = time.time() if now is None else now
    window = int(now // seconds)
    return window, (window + 1) * seconds - now


def hit(scope: str, idents: Iterable[str], *, now: float | None = None) -> Verdict:
    """Count this attempt for every ident; refused when any count is now over the scope's limit."""
    rate = scope_rate(scope)
    if rate is None:
        return ALLOW
    limit, seconds = rate
    window, left = _window(seconds, now)
    counts = _incr_many(_keys(scope, idents, window), math.ceil(left) + 1)
    if counts and max(counts) > limit:
        return Verdict(False, math.ceil(left), limit)
    return Verdict(True, 0, limit)


def peek(scope: str, idents: Iterable[str], *, now: float | None = None) -> Verdict:
    """Without counting: refused when any ident has already used up the limit (check, then ``record``)."""
    rate = scope_rate(scope)
    if rate is None:
        return ALLOW
    limit, seconds = rate
    window, left = _window(seconds, now)
    values = _get_many(_keys(scope, idents, window)).values()
    if any(int(v or 0) >= limit for v in values):
        return Verdict(False, math.ceil(left), limit)
    return Verdict(True, 0, limit)


def record(scope: str, idents: Iterable[str], *, now: float | None = None) -> None:
    """Count an attempt that ``peek`` admitted (e.g. only a wrong claim code, only a filed complaint)."""
    hit(scope, idents, now=now)


# --- Progressive back-off for one ident -----------------------------------------------------


def _backoff_keys(scope: str, ident: str) -> tuple[str, str]:
    base = f"bo:{scope}:{_digest(ident)}"
    return f"{base}:n", f"{base}:t"


def backoff_wait(scope: str, ident: str, *, free: int, cap: int, now: float | None = None) -> int:
    """Seconds before the next attempt for ``ident`` may go ahead (0: go ahead now).

    After ``free`` failures the k-th further failure asks for 2^k seconds (at most ``cap``) from the last
    one; once that has passed, exactly one attempt claims the slot (``add``) and concurrent ones wait.
    """
    now = time.time() if now is None else now
    n_key, t_key = _backoff_keys(scope, ident)
    values = _get_many([n_key, t_key])
    failures = int(values.get(n_key) or 0)
    if failures == 0 or failures < free:  # nothing recorded (or the cache is unreachable): go ahead
        return 0
    last = float(values.get(t_key) or 0)
    delay = min(2 ** min(failures - free, 30), cap)
    wait = last + delay - now
    if wait > 0:
        return math.ceil(wait)
    try:
        claimed = caches[CACHE_ALIAS].add(f"{t_key}:slot:{last}", 1, cap + 1)
    except _UNREACHABLE:
        logger.warning("cache unavailable: back-off admits the attempt", exc_info=True)
        return 0
    return 0 if claimed else 1


def backoff_fail(scope: str, ident: str, *, ttl: int, now: float | None = None) -> int:
    """Record one failure for ``ident`` (kept ``ttl`` seconds after the first); returns the count."""
    now = time.time() if now is None else now
    n_key, t_key = _backoff_keys(scope, ident)
    counts = _incr_many([n_key], ttl)
    try:
        caches[CACHE_ALIAS].set(t_key, now, ttl)
    except _UNREACHABLE:
        logger.warning("cache unavailable: back-off failure not recorded", exc_info=True)
    return counts[0] if counts else 0


def backoff_reset(scope: str, ident: str) -> None:
    try:
        caches[CACHE_ALIAS].delete_many(list(_backoff_keys(scope, ident)))
    except _UNREACHABLE:
        logger.warning("cache unavailable: back-off not reset", exc_info=True)


def phone_ident(value) -> str:
    """A phone number as an ident: digits only, without a +86 prefix, so every spelling counts once."""
    digits = "".join(ch for ch in str(value or "") if ch.isascii() and ch.isdigit())[:20]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return f"phone:{digits}" if digits else ""
