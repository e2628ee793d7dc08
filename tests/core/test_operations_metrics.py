"""/metrics: Prometheus text for scrapers on allowed networks only; request, cache and Celery queue metrics."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from integrity_portal.core.metrics import CeleryQueueCollector

pytestmark = pytest.mark.django_db


def test_metrics_answer_loopback_with_request_and_cache_counters(client):
    client.get("/healthz/")
    cache.get("metrics-test-miss")
    response = client.get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    backend = cache.metrics_backend  # "locmem", or "redis" with REDIS_URL
    assert f'django_cache_get_total{{backend="{backend}"}}' in text
    assert f'django_cache_get_misses_total{{backend="{backend}"}}' in text
    assert response["Cache-Control"].startswith("max-age=0")


def _sample(text: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_responses_are_counted_per_view_status_and_method_with_the_kept_children(client):
    """The After middleware keeps each labelled child (core.metrics.PrometheusAfterMiddleware): every request
    still lands on the right one, a new label set gets its own, and the kept ones stay bounded."""
    from integrity_portal.core.metrics import PrometheusAfterMiddleware

    name = "django_http_responses_total_by_status_view_method_total"
    before = client.get("/metrics").content.decode()
    client.get("/api/v1/regions/")
    client.get("/api/v1/regions/")
    client.get("/api/v1/regions/999999/")
    client.generic("BREW", "/api/v1/regions/")
    after = client.get("/metrics").content.decode()
    view = "open-region-list"
    assert _sample(after, name, status="200", view=view, method="GET") - _sample(
        before, name, status="200", view=view, method="GET"
    ) == 2
    assert _sample(after, name, status="404", view="open-region-detail", method="GET") - _sample(
        before, name, status="404", view="open-region-detail", method="GET"
    ) == 1
    assert _sample(after, name, status="405", view=view, method="<invalid method>") - _sample(
        before, name, status="405", view=view, method="<invalid method>"
    ) == 1
    middleware = PrometheusAfterMiddleware(lambda request: None)
    middleware.MAX_CHILDREN = 3
    metric = middleware.metrics.responses_by_status
    children = [middleware.label_metric(metric, None, status=str(code)) for code in (200, 201, 202, 203, 200)]
    assert children[0] is metric.labels(status="200") and children[-1] is children[0]
    assert len(middleware._children) <= 3


@pytest.mark.parametrize("address", ["10.0.0.7", "203.0.113.9", "2001:db8::1", ""])
def test_metrics_are_404_outside_the_allowed_networks(address):
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_a_forged_forwarded_for_does_not_open_metrics():
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404


def test_an_allowed_network_from_settings_opens_metrics(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert Client(REMOTE_ADDR="10.20.3.4").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_cache_hits_are_counted():
    from django_prometheus.cache.metrics import django_cache_hits_total

    counter = django_cache_hits_total.labels(backend=cache.metrics_backend)
    before = counter._value.get()
    cache.set("metrics-hit", 0)
    assert cache.get("metrics-hit") == 0  # a falsy value is a hit, not a miss
    assert cache.get("metrics-absent", "fallback") == "fallback"
    assert counter._value.get() == before + 1


def _samples(collector):
    return {(m.name, tuple(s.labels.items())): s.value for m in collector.collect() for s in m.samples}


def test_queue_collector_reports_a_dead_broker_quickly():
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    samples = _samples(CeleryQueueCollector(f"redis://127.0.0.1:{port}/0", ("celery",)))
    assert time.monotonic() - started < 2
    assert samples == {("celery_broker_up", ()): 0}


@pytest.mark.redis
def test_queue_collector_counts_waiting_messages(require_redis, settings):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    queue = "h12-test-queue"
    client.delete(queue, queue + "\x06\x163")
    client.rpush(queue, "a", "b")
    client.rpush(queue + "\x06\x163", "c")
    try:
        samples = _samples(CeleryQueueCollector(settings.REDIS_URL, (queue,)))
    finally:
        client.delete(queue, queue + "\x06\x163")
    assert samples[("celery_queue_length", (("queue", queue),))] == 3
    assert samples[("celery_broker_up", ())] == 1


def test_metrics_count_database_queries_and_connections(client):
    import re

    from merchants.models import Region

    list(Region.objects.all())
    text = client.get("/metrics").content.decode()
    for name in ("django_db_execute_total", "django_db_new_connections_total"):
        match = re.search(rf'^{name}{{alias="default",vendor="(?:sqlite|postgresql)"}} (\d+)\.0$', text, re.M)
        assert match and int(match.group(1)) >= 1, name


@pytest.mark.redis
def test_metrics_expose_the_length_of_every_celery_queue(require_redis, client):
    """With REDIS_URL the collector is registered at start-up (CoreConfig.ready) for CELERY_TASK_QUEUES."""
    text = client.get("/metrics").content.decode()
    for queue in ("celery", "recompute", "notices", "reports"):
        assert f'celery_queue_length{{queue="{queue}"}}' in text, queue
    assert "celery_broker_up 1.0" in text


@pytest.mark.parametrize("outage", ["refused", "hung"])
def test_metrics_answer_at_once_while_the_broker_is_down(client, outage):
    """A hung Redis costs the first scrape its socket timeouts (0.5 s each); its breaker then answers the next ones
    without touching the network."""
    import time
    from contextlib import nullcontext
    from unittest import mock

    import redis.connection
    from prometheus_client import REGISTRY

    from tests.faults.conftest import closed_port, hung_redis

    real_connect = redis.connection.AbstractConnection.connect
    attempts = []  # (scrape, port) of every connection attempt that reached the network
    current = [0]  # the scrape under way

    def counted_connect(self, *args, **kwargs):
        attempts.append((current[0], self.port))
        return real_connect(self, *args, **kwargs)

    with (
        hung_redis() if outage == "hung" else nullcontext(closed_port()) as port,
        mock.patch.object(redis.connection.AbstractConnection, "connect", counted_connect),
    ):
        collector = CeleryQueueCollector(f"redis://127.0.0.1:{port}/0", ("celery", "recompute"))
        REGISTRY.register(collector)
        try:
            timings = []
            for scrape in range(3):
                current[0] = scrape
                started = time.monotonic()
                response = client.get("/metrics")
                timings.append(time.monotonic() - started)
                assert response.status_code == 200
                assert "celery_broker_up 0.0" in response.content.decode()
        finally:
            REGISTRY.unregister(collector)
    # The first scrape pays the socket timeouts of one connection attempt (the connect handshake and the
    # read: at most 2 × 0.5 s; CI measured 1.22 s once); without timeouts a hung Redis never answers, and
    # redis-py's default retries take seconds. The breaker then answers at once: the later scrapes make no
    # connection attempt to the dead server at all.
    assert timings[0] < 1.6, timings
    assert [scrape for scrape, p in attempts if p == port] == [0], attempts
    # … and answer within less than one more socket timeout plus the scrape itself. (Wall time alone was the
    # check before: the full suite in CI twice showed ~0.55 s for a third scrape, cause not found; the
    # attempts above are the property, and would show a scrape that went to the network.)
    assert max(timings[1:]) < 0.5 + 0.3, timings
