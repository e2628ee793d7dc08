"""Prometheus metrics (django-prometheus): requests, cache, Celery queue lengths; ``/metrics`` for scrapers only.

* Requests and responses: django-prometheus's Before/After middlewares (first and last in MIDDLEWARE); the
  After one as ``PrometheusAfterMiddleware`` below, which keeps each labelled child it has used.
* Cache: the cache backends below count gets, hits, misses and failures under django-prometheus's own
  metric names (``django_cache_get_total`` …, label ``backend``), around the portal's resilient Redis
  cache and the local-memory cache.
* Database: django-prometheus's engine wrappers (settings ``PROMETHEUS_DB_ENGINES``, swapped in after the
  settings compare Django's engine names): ``django_db_execute_total``, ``django_db_errors_total``,
  ``django_db_new_connections_total`` … by alias and vendor. PostgreSQL's own exporter adds the server side.
* Celery: ``celery_queue_length{queue=…}`` is read with Redis LLEN at scrape time (only when REDIS_URL
  is set), ``celery_broker_up`` says whether that read worked. The read goes through the broker's circuit
  breaker (core/cache.py): a dead or hung Redis costs one scrape at most one 0.5 s socket timeout, and the
  scrapes after it (and the requests of the same process) give up at once for the breaker's cooldown.

``/metrics`` answers only clients whose address (core.client.client_ip, which honours
TRUSTED_PROXY_COUNT) lies in ``METRICS_ALLOWED_NETWORKS`` (default loopback); everyone else gets the
portal's ordinary 404, so the endpoint's existence is not advertised.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.http import Http404
from django.views.decorators.cache import never_cache
from django_prometheus import middleware as prometheus_middleware
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from prometheus_client.core import GaugeMetricFamily

from .cache import BreakerConnection, ResilientRedisCache
from .client import client_ip

# kombu's Redis transport keeps priorities 3, 6 and 9 in sibling lists "<queue>\x06\x16<priority>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_MISSING = object()


class PrometheusAfterMiddleware(prometheus_middleware.PrometheusAfterMiddleware):
    """django-prometheus's, with each labelled child kept once looked up: every response counts about nine
    labelled metrics, and ``metric.labels(...)`` (validation and a lock each time) cost ~35 µs a request of
    the ~40 the middleware took. The labels are bounded — view names, status codes, methods (the parent maps
    any other to ``<invalid method>``), charsets, template names, exception types — and the kept children
    are dropped if they ever pass ``MAX_CHILDREN``."""

    MAX_CHILDREN = 10_000

    def __init__(self, get_response=None):
        super().__init__(get_response)
        self._children: dict = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (id(metric), *labels.items())
        child = self._children.get(key)
        if child is None:
            if len(self._children) >= self.MAX_CHILDREN:
                self._children.clear()
            child = self._children[key] = metric.labels(**labels)
        return child


class _MeteredGet:
    metrics_backend = "unknown"

    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend=self.metrics_backend).inc()
        try:
            value = super().get(key, _MISSING, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend=self.metrics_backend).inc()
            raise
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.metrics_backend).inc()
            return default
        django_cache_hits_total.labels(backend=self.metrics_backend).inc()
        return value


class MeteredResilientRedisCache(_MeteredGet, ResilientRedisCache):
    """The portal's Redis cache (an outage is a miss, see core/cache.py), counted."""

    metrics_backend = "redis"


class MeteredLocMemCache(_MeteredGet, LocMemCache):
    metrics_backend = "locmem"


@functools.lru_cache(maxsize=4)
def _allowed_networks(spec: tuple[str, ...]):
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in spec if n.strip())


def metrics_allowed(request) -> bool:
    address = client_ip(request)
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    networks = _allowed_networks(tuple(getattr(settings, "METRICS_ALLOWED_NETWORKS", ()) or ()))
    return any(ip.version == net.version and ip in net for net in networks)


@never_cache
def metrics_view(request):
    if not metrics_allowed(request):
        raise Http404
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)


class CeleryQueueCollector:
    """Queue lengths read from the broker at scrape time (never cached: a backlog must show at once)."""

    def __init__(self, url: str, queues: tuple[str, ...], timeout: float = 0.5):
        self.url, self.queues, self.timeout = url, queues, timeout

    def collect(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        lengths = GaugeMetricFamily("celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"])
        up = GaugeMetricFamily("celery_broker_up", "Whether the broker answered the queue-length read")
        try:
            options = {"connection_class": BreakerConnection} if self.url.startswith("redis://") else {}
            client = redis.Redis.from_url(
                self.url,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),  # redis-py's default retries 3 times with backoff: seconds
                **options,  # rediss:// keeps redis-py's TLS connection class
            )
            try:
                with client.pipeline(transaction=False) as pipe:
                    for queue in self.queues:
                        for suffix in _PRIORITY_SUFFIXES:
                            pipe.llen(queue + suffix)
                    counts = pipe.execute()
            finally:
                client.close()
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        step = len(_PRIORITY_SUFFIXES)
        for i, queue in enumerate(self.queues):
            lengths.add_metric([queue], sum(counts[i * step : (i + 1) * step]))
        up.add_metric([], 1)
        yield lengths
        yield up

    def describe(self):
        return []  # collected lazily: registering must not touch the broker


_registered: CeleryQueueCollector | None = None


def register_queue_collector() -> CeleryQueueCollector | None:
    """Called from CoreConfig.ready(): only with a Redis broker (REDIS_URL)."""
    global _registered
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if _registered is not None or not getattr(settings, "REDIS_URL", ""):
        return _registered
    if not url.startswith(("redis://", "rediss://")):
        return None
    from prometheus_client import REGISTRY

    queues = tuple(getattr(settings, "METRICS_CELERY_QUEUES", None) or (getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),))
    _registered = CeleryQueueCollector(url, queues)
    REGISTRY.register(_registered)
    return _registered
