"""The one rate-limit mechanism: fixed-window counters in the cache, for HTML forms and the API alike.

A limit is a *scope* whose rate lives in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"5/hour"``,
DRF's format, read by ``parse_rate``) and a list of *idents* — who is counted: ``core.client.rate_key``
for the client address, ``"phone:…"``, ``"user:<pk>"``. Every ident gets its own counter per window;
a request is refused when any of its idents is over the limit. The HTML form and the API endpoint of
the same action use the same scope and idents, so they share one budget.

Counters are an integer per scope, ident and window, created with ``add``/``SET NX`` and raised with
``incr``; on Redis one script call does both for every ident (``EVALSHA``: one command, one round trip,
whatever the number of idents — every API request pays it, so it is kept to the least Python and Redis
work: about half the cost of the pipeline it replaced, docs/BENCHMARKS.md §7). The API's per-caller rates,
asked on every request, go one step further: ``hit_batched`` sends a process's hits together, exact from
an eighth of the limit on. A fixed window admits up
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
import os
import threading
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


#: Creates each key (``SET NX EX``) and raises it by its increment; ``ARGV`` holds each key's expiry and
#: increment in turn. Returns the counts in the order of ``KEYS``.
_INCR_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i - 1], 'NX')
  counts[i] = redis.call('INCRBY', key, ARGV[2 * i])
end
return counts
"""
_INCR_SHA = hashlib.sha1(_INCR_SCRIPT.encode()).hexdigest()  # noqa: S324  (Redis names scripts by SHA-1)


def _incr_many(items: list[tuple[str, int, int]]) -> list[int] | None:
    """Raises each ``(key, ttl, by)`` counter by ``by`` (created to expire after ``ttl`` seconds); each key's
    count including the increment, or None when the cache is unreachable (fail-open)."""
    if not items:
        return []
    backend = caches[CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # ``make_key`` without the validation (a character scan meant for memcached): the keys are ASCII by
        # construction — the scope is the code's, the window a number, the ident a hex digest.
        full = [backend.make_key(key) for key, _ttl, _by in items]
        args = [value for _key, ttl, by in items for value in (ttl, by)]
        try:
            client = backend._cache.get_client(full[0], write=True)
            try:
                try:
                    counts = client.execute_command("EVALSHA", _INCR_SHA, len(full), *full, *args)
                except redis.exceptions.NoScriptError:  # a restarted or flushed server: EVAL loads it again
                    counts = client.execute_command("EVAL", _INCR_SCRIPT, len(full), *full, *args)
            except redis.exceptions.ResponseError:
                # A server that refuses scripts (EVAL renamed away, an ACL without it): the same two commands
                # per key, pipelined — one round trip still, never a 500 on every API call.
                pipe = client.pipeline(transaction=False)
                for key, (_key, ttl, by) in zip(full, items, strict=True):
                    pipe.set(key, 0, ex=ttl, nx=True)
                    pipe.incrby(key, by)
                counts = pipe.execute()[1::2]
            return [int(v) for v in counts]
        except _UNREACHABLE:
            logger.warning("cache unavailable: rate limit admits the request", exc_info=True)
            return None
    counts = []
    for key, ttl, by in items:
        try:
            counts.append(backend.incr(key, by))
            continue
        except ValueError:
            pass
        if backend.add(key, by, ttl):
            counts.append(by)
            continue
        try:
            counts.append(backend.incr(key, by))
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
    ttl = math.ceil(left) + 1
    counts = _incr_many([(key, ttl, 1) for key in _keys(scope, idents, window)])
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


# --- Batched counting for the per-request rates ---------------------------------------------------


#: Seconds a process may hold the per-request rates' hits before it sends them (``hit_batched``) …
BATCH_SECONDS = 0.2
#: … and only while the caller's count, as far as the process knows, is under 1/BATCH_SHARE of the limit.
BATCH_SHARE = 8
_clock = time.monotonic  # when hits were held and sent (the tests move it)


class _Batch:
    """One process's hits not yet sent, and the shared counts it last heard, per counter key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.pending: dict[str, list[int]] = {}  # key -> [hits not sent, ttl]
        self.known: dict[str, tuple[int, float]] = {}  # key -> (shared count when last sent, expiry)
        self.sent_at = self.pruned_at = float("-inf")

    def send(self, clock: float) -> dict[str, int] | None:
        """Every pending hit in one round trip (the lock held); the shared counts, None if unreachable."""
        items = [(key, ttl, hits) for key, (hits, ttl) in self.pending.items()]
        self.pending = {}
        self.sent_at = clock
        counts = _incr_many(items)
        if counts is None:
            return None
        if clock - self.pruned_at >= 1:  # past windows' counts; not on every send of a busy caller
            self.known = {key: value for key, value in self.known.items() if value[1] > clock}
            self.pruned_at = clock
        sent = {}
        for (key, ttl, _hits), count in zip(items, counts, strict=True):
            self.known[key] = (count, clock + ttl)
            sent[key] = count
        return sent


_batch = _Batch()
os.register_at_fork(after_in_child=_batch.reset)  # a forked worker starts with nothing to send


def hit_batched(scope: str, idents: Iterable[str], *, now: float | None = None) -> Verdict:
    """``hit`` for the rates asked on every request (the API's per-caller ``anon`` and ``user``).

    On Redis the hits are counted in the process and sent together, one round trip per ``BATCH_SECONDS``
    at most instead of one per request (the largest part of an API request's cost after its query,
    docs/BENCHMARKS.md §7). A caller is judged by the shared count last heard plus this process's hits
    since; once that reaches an eighth of the limit (``BATCH_SHARE``), every further hit of that caller is
    sent at once, so the refusal at the limit is the shared counter's. What batching can let through: the
    hits other processes hold for the same caller, fewer than an eighth of the limit each (with 4 workers at
    most 3/8 over, for a caller that sprays every worker within ``BATCH_SECONDS``). A rate of 8 or less is
    exact from the first hit; any cache but Redis is counted as ``hit``."""
    rate = scope_rate(scope)
    if rate is None:
        return ALLOW
    limit, seconds = rate
    if not isinstance(caches[CACHE_ALIAS], RedisCache):
        return hit(scope, idents, now=now)
    window, left = _window(seconds, now)
    ttl = math.ceil(left) + 1
    keys = _keys(scope, idents, window)
    clock = _clock()
    with _batch.lock:
        estimate = 0
        for key in keys:
            entry = _batch.pending.setdefault(key, [0, ttl])
            entry[0] += 1
            known = _batch.known.get(key)
            estimate = max(estimate, entry[0] + (known[0] if known else 0))
        if estimate * BATCH_SHARE >= limit or clock - _batch.sent_at >= BATCH_SECONDS:
            sent = _batch.send(clock)
            # Unreachable: admitted, as ``hit`` does (fail-open, logged by ``_incr_many``).
            estimate = 0 if sent is None else max((sent[key] for key in keys), default=0)
    if estimate > limit:
        return Verdict(False, math.ceil(left), limit)
    return Verdict(True, 0, limit)


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
    counts = _incr_many([(n_key, ttl, 1)])
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
