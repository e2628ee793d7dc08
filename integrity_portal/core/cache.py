"""A Redis cache whose outage degrades to cache misses instead of 500s.

The cache holds only derived data (headline counts, page counts) and rate-limit
counters. When Redis is unreachable, reads miss, writes are dropped and
``incr`` raises ValueError (what callers already handle for a missing key), so
public pages keep answering from the database. Rate limits fail open during an
outage: claim codes and tracking codes are long enough that this does not make
guessing feasible, and the outage is logged.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.http import QueryDict

logger = logging.getLogger("integrity_portal.cache")
_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class CircuitBreaker:
    """Remembers for a few seconds that a Redis server failed, so the next calls give up at once.

    A hung Redis (accepting connections, never answering) costs a full socket timeout (0.5 s) per call,
    and a page makes several cache calls: without this it took 2–4 s. After one failure every call to
    that server in this process fails immediately for ``COOLDOWN`` seconds; then one call tries again.
    One breaker per server address, shared by the cache and the broker (``core.tasks``): a write that
    hits the rate limiter and then queues a task pays the timeout once. Per process: each gunicorn
    worker learns about the outage from its own first failure.
    """

    COOLDOWN = 5.0
    _registry: dict[str, CircuitBreaker] = {}
    _registry_lock = threading.Lock()

    def __init__(self, name: str, cooldown: float | None = None):
        self.name = name
        self.cooldown = self.COOLDOWN if cooldown is None else cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def for_address(cls, host, port) -> CircuitBreaker:
        name = f"redis {host}:{port}"
        with cls._registry_lock:
            return cls._registry.setdefault(name, cls(name))

    @classmethod
    def reset_all(cls) -> None:
        with cls._registry_lock:
            breakers = list(cls._registry.values())
        for breaker in breakers:
            breaker.reset()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        with self._lock:
            if not self.is_open():
                logger.warning("%s unavailable: calls skipped for %.0f s", self.name, self.cooldown)
            self._open_until = time.monotonic() + self.cooldown

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


class BreakerOpen(redis.exceptions.ConnectionError):
    """A call refused without touching the network because its server's breaker is open. The breaker logged
    the outage when it tripped; callers log this one quietly (a page makes several cache calls, and a
    traceback for each during an outage buried the log and cost every request a few milliseconds)."""


class BreakerConnection(redis.connection.Connection):
    """A Redis connection that fails at once while its server's breaker is open and trips it on any failure.

    At the connection level, so every path is covered: the cache methods, the rate limiter's pipeline
    (``core.ratelimit``) and any future direct client use."""

    def _breaker(self) -> CircuitBreaker:
        return CircuitBreaker.for_address(self.host, self.port)

    def _guard(self):
        if self._breaker().is_open():
            raise BreakerOpen("Redis marked down by the circuit breaker")

    def connect(self, *args, **kwargs):
        self._guard()
        try:
            return super().connect(*args, **kwargs)
        except _UNREACHABLE:
            self._breaker().trip()
            raise

    def send_packed_command(self, *args, **kwargs):
        self._guard()
        try:
            return super().send_packed_command(*args, **kwargs)
        except _UNREACHABLE:
            self._breaker().trip()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except _UNREACHABLE:
            self._breaker().trip()
            raise


def _degrade(fallback):
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except BreakerOpen:
                logger.debug("cache skipped (breaker open): %s degraded to a miss", method.__name__)
                return fallback(*args, **kwargs)
            except _UNREACHABLE:
                logger.warning("cache unavailable: %s degraded to a miss", method.__name__, exc_info=True)
                return fallback(*args, **kwargs)

        return inner

    return wrap


def _incr_unavailable(*_args, **_kwargs):
    raise ValueError("cache unavailable")


class ResilientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        # The breaker connection above for plain TCP servers (redis://), unless the settings name another
        # connection class. rediss:// and unix:// keep redis-py's own TLS and socket classes.
        if all(str(server).startswith("redis://") for server in servers):
            options.setdefault("connection_class", BreakerConnection)
        super().__init__(servers, **options)

    def get_client(self, key=None, *, write=False):
        """One ``redis.Redis`` per connection pool, reused: Django builds a new one on every cache call
        (~0.1 ms each, several per cached page). The client holds no per-call state and is thread-safe."""
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    get = _degrade(lambda key, default: default)(RedisCacheClient.get)
    get_many = _degrade(lambda keys: {})(RedisCacheClient.get_many)
    has_key = _degrade(lambda key: False)(RedisCacheClient.has_key)
    add = _degrade(lambda *a, **k: False)(RedisCacheClient.add)
    set = _degrade(lambda *a, **k: None)(RedisCacheClient.set)
    set_many = _degrade(lambda *a, **k: [])(RedisCacheClient.set_many)
    touch = _degrade(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = _degrade(lambda *a, **k: False)(RedisCacheClient.delete)
    delete_many = _degrade(lambda *a, **k: None)(RedisCacheClient.delete_many)
    incr = _degrade(_incr_unavailable)(RedisCacheClient.incr)
    clear = _degrade(lambda *a, **k: False)(RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


# Query normalisation for cached public answers: only the parameters a view reads count, each value stripped
# and cut, a few values per name. Keyed on the raw query string, ``?r=<random>`` made every request a miss
# and a new cache entry.
MAX_PARAM_VALUES = 5
MAX_PARAM_LENGTH = 200


def normalized_query(query: QueryDict, params) -> QueryDict:
    """The known ``params`` of ``query`` (sorted, stripped, cut, empty values dropped); the rest ignored."""
    clean = QueryDict(mutable=True)
    for name in sorted(set(params)):
        values = [v.strip()[:MAX_PARAM_LENGTH] for v in query.getlist(name)[:MAX_PARAM_VALUES]]
        values = [v for v in values if v]
        if values:
            clean.setlist(name, values)
    clean._mutable = False
    return clean


def reduce_query(request, params) -> None:
    """Make the request carry only its normalised known parameters, before the view and the cache key see it.

    ``GET`` and ``QUERY_STRING`` are both replaced: the view, its paginator links and every
    ``request.get_full_path()`` in a template then depend on exactly what the cache key was built from, so
    a page stored for one URL is right for every URL that shares its key."""
    request.GET = normalized_query(request.GET, params)
    request.META["QUERY_STRING"] = request.GET.urlencode()
