"""The API's default throttle: one fixed-window counter per caller.

DRF's ``AnonRateThrottle`` and ``UserRateThrottle`` both run for an anonymous caller (the second falls
back to the IP address), and each reads and rewrites a pickled list of timestamps as long as the rate: four
cache round trips and a growing list per request, on answers that are otherwise served from the cache.
This throttle applies the ``anon`` rate to anonymous callers (by address) and the ``user`` rate to
signed-in ones (by user id), and counts requests in a fixed window: an integer per caller and window,
created with ``add`` and raised with ``incr``, whatever the rate. On Redis both commands go in one
pipelined round trip.

A fixed window admits up to twice the rate across a window boundary; for an open-data limit that is
acceptable, and it is what keeps the cost constant. When the cache is unreachable the throttle admits the
request (the same fail-open choice as ``core.cache.ResilientRedisCache``), and the outage is logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("integrity_portal.cache")
_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_IDENT = 64


@functools.lru_cache(maxsize=32)
def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate format, ``"600/minute"`` → (600, 60); the period is read from its first letter."""
    count, _sep, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1].lower()]


class CallerRateThrottle(BaseThrottle):
    """``anon`` rate for anonymous callers, ``user`` rate for signed-in ones; Retry-After = end of window."""

    cache_alias = "default"
    anon_scope = "anon"
    user_scope = "user"
    timer = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            scope, ident = self.user_scope, str(user.pk)
        else:
            scope, ident = self.anon_scope, str(self.get_ident(request))
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        limit, duration = parse_rate(rate)
        now = self.timer()
        window = int(now // duration)
        self._wait = (window + 1) * duration - now
        if len(ident) > _MAX_IDENT:  # an X-Forwarded-For chain: keep the key short
            ident = hashlib.sha256(ident.encode()).hexdigest()
        count = self._hit(f"throttle:{scope}:{window}:{ident}", math.ceil(self._wait) + 1)
        return count is None or count <= limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)

    def _hit(self, key: str, ttl: int) -> int | None:
        """This window's count for the key including this request, or None when the cache is unreachable."""
        backend = caches[self.cache_alias]
        if isinstance(backend, RedisCache):
            full_key = backend.make_and_validate_key(key)
            try:
                pipe = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
                pipe.set(full_key, 0, ex=ttl, nx=True)
                pipe.incr(full_key)
                return pipe.execute()[1]
            except _UNREACHABLE:
                logger.warning("cache unavailable: throttle admits the request", exc_info=True)
                return None
        try:
            return backend.incr(key)
        except ValueError:
            pass
        if backend.add(key, 1, ttl):
            return 1
        try:
            return backend.incr(key)
        except ValueError:
            return None
