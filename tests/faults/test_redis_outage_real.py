"""Redis refused, then hung, on a real ``redis-server`` with a real worker, measured over HTTP; then Redis
comes back and what the writes left behind is done by the worker.

``test_redis_outage_latency.py`` measures the same targets in-process with a port that never had a Redis
behind it. Here the portal runs as in production: a private ``redis-server`` (broker, result backend and
cache, production timeouts), a Celery worker subprocess on the pytest PostgreSQL database, and requests
through a real socket to the live server (session cookie and CSRF token like a browser's). The outage
happens to connections that were open and working:

1. Redis up: a clerk closes a complaint; the worker rates the merchant and sends the complainant's notice
   (the notifications outbox, SMS through the file backend into this test's own file).
2. refused: ``redis-server`` is SIGKILLed (the port refuses). Public complaints are submitted and complaints
   closed (two sends each) over HTTP; every write answers within 1 s (p95) and is saved; public pages
   answer within 200 ms (p95), or within 1.5 × their uncached cost with Redis up on a machine too
   loaded to render them in 200 ms at all (``_outage``).
3. hung: a listener that accepts and never answers takes the port. Same writes, same targets.
4. Redis restarted (empty, no persistence) on the same port, and a new worker. The sweep beat runs every
   5 minutes (``sweep-stale-ratings`` in ``BEAT_DEFAULT_SCHEDULE``), sent as beat sends it, rates every
   merchant the outage writes flagged; the outbox sweep (``sweep-notices``, every minute) sends the
   complainant notices of the closures made during the outage, which were written as queued Notice rows in
   the closures' transactions; a write after the return queues its recompute directly again.
"""

from __future__ import annotations

import signal
import time

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from complaints.models import Complaint, Status
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.cache import CircuitBreaker
from integrity_portal.core.roles import StaffRole
from merchants.models import Merchant
from notifications.models import Notice
from tests.factories import MerchantFactory, make_staff

from .conftest import (
    JIEFANG,
    PUBLIC_PAGES,
    RedisServer,
    complaint_form_data,
    complaint_in_mediation,
    hung_redis,
    p95,
    redis_outage,
    start_worker,
    stop_worker,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

WRITE_P95_SECONDS = 1.0
PAGE_P95_SECONDS = 0.2
ROUNDS = 8  # per outage: 8 public submissions and 8 closures (16 writes, 24 task sends)
PAGE_ROUNDS = 3  # 7 pages × 3 = 21 views: the 95th percentile leaves out the one socket timeout of a hung Redis

MEASURED: dict[str, dict] = {}  # printed at the end (pytest -s) for docs/FAULTS.md


@pytest.fixture
def redis_server(require_postgres, require_redis_server, tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


class Browser:
    """requests through a real socket, with a CSRF cookie and header as a browser's form post carries."""

    def __init__(self, base_url: str, user=None):
        self.base_url = base_url
        self.session = requests.Session()
        token = get_random_string(32)
        self.session.cookies.set("csrftoken", token)
        self.session.headers["X-CSRFToken"] = token
        if user is not None:
            client = Client()
            client.force_login(user)
            self.session.cookies.set("sessionid", client.cookies["sessionid"].value)

    def timed(self, samples: list, method: str, path: str, **kwargs) -> requests.Response:
        start = time.perf_counter()
        response = self.session.request(method, self.base_url + path, allow_redirects=False, timeout=30, **kwargs)
        samples.append(time.perf_counter() - start)
        return response


def _worker_ready(log_path):
    return " ready." in log_path.read_text(errors="replace")


def _close_form(complaint) -> dict:
    return {
        "action": "close_selected",
        "_selected_action": [complaint.pk],
        "outcome": "close_mediated",
        "agreement": "商家退还货款二十元",
    }


def _writes(public: Browser, staff: Browser, mediating: list, tag: str) -> dict[str, list[float]]:
    """ROUNDS public submissions and ROUNDS closures over HTTP; each must answer as a success."""
    samples = {"submit": [], "close": []}
    for i, complaint in enumerate(mediating):
        submitted = public.timed(
            samples["submit"],
            "POST",
            "/complaints/new/",
            data=complaint_form_data(
                phone=f"13{7 if tag == 'refused' else 8}1234{i:04d}",
                description=f"复秤少了四两（{tag}），第{i}次购买。",
            ),
        )
        closed = staff.timed(samples["close"], "POST", reverse("admin:complaints_complaint_changelist"), data=_close_form(complaint))
        assert submitted.status_code == 302, (tag, submitted.status_code, submitted.text[:500])
        assert closed.status_code in (200, 302), (tag, closed.status_code)
    return samples


def _forget_cached_pages(port: int) -> None:
    """Delete the portal's cache entries (prefix ``ip:``), not the broker's queues on the same database."""
    import redis

    client = redis.Redis(port=port)
    keys = list(client.scan_iter("ip:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _pages(public: Browser, merchant, tag: str, before_each=None) -> list[float]:
    samples, by_path = [], {}
    for _ in range(PAGE_ROUNDS):
        for path in [*PUBLIC_PAGES, f"/merchants/{merchant.pk}/"]:
            if before_each:
                before_each()
            response = public.timed(samples, "GET", path)
            by_path.setdefault(path, []).append(round(samples[-1], 3))
            assert response.status_code == 200, (tag, path, response.status_code)
    MEASURED.setdefault("pages_by_path", {})[tag] = by_path
    return samples


def _outage(public, staff, mediating, page_merchant, tag) -> None:
    """One outage: writes from a cold breaker (the first pays the failure), then pages from a cold breaker."""
    CircuitBreaker.reset_all()
    writes = _writes(public, staff, mediating, tag)
    CircuitBreaker.reset_all()
    pages = _pages(public, page_merchant, tag)
    every_write = writes["submit"] + writes["close"]
    MEASURED[tag] = {
        "write_p95": p95(every_write),
        "write_max": max(every_write),
        "write_median": sorted(every_write)[len(every_write) // 2],
        "page_p95": p95(pages),
        "page_max": max(pages),
    }
    print(f"\n{tag}: {MEASURED[tag]}\n  pages: {MEASURED['pages_by_path']}")  # pytest -s: the figures in docs
    for kind, seconds in writes.items():
        assert p95(seconds) <= WRITE_P95_SECONDS, (tag, kind, [round(s, 3) for s in seconds])
    # The target, or half again what these pages cost on this machine with Redis up and nothing cached,
    # whichever is larger. An outage cannot make a page cheaper than rendering it, and on a loaded 2-core
    # machine rendering a directory page from PostgreSQL alone passes 200 ms; the bound still catches a
    # Redis wait in a page (one hung call is 0.5 s: without the breaker every page paid several).
    bound = max(PAGE_P95_SECONDS, 1.5 * MEASURED["uncached"]["page_p95"])
    assert p95(pages) <= bound, (tag, bound, [round(s, 3) for s in pages])


def _mediated_notices(complaints) -> list[tuple[str, str]]:
    keys = [f"complaint:{c.pk}:mediated" for c in complaints]
    return sorted(Notice.objects.filter(key__in=keys, channel="sms").values_list("address", "status"))


def _sms_to(path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_redis_refused_then_hung_on_a_real_redis_and_worker_writes_fast_and_the_work_is_done_after_it_returns(
    redis_server, live_server, transactional_db, regions, settings, tmp_path, monkeypatch
):
    from merchants.tasks import sweep_stale_ratings
    from notifications.tasks import sweep_notices

    # SMS into this test's file, in this process (live server) and in the workers (their environment).
    sms_path = tmp_path / "sms.jsonl"
    for name, value in (("SMS_BACKEND", "notifications.sms.FileSMSBackend"), ("SMS_FILE_PATH", str(sms_path))):
        monkeypatch.setenv(name, value)
        setattr(settings, name, value)

    city = make_staff("410800", StaffRole.CITY_BUREAU, username="jz_city_real")
    merchants = [MerchantFactory(region_id=JIEFANG, name=f"真实故障商户{i}") for i in range(2 * ROUNDS + 2)]
    # Set up with eager tasks (Redis not in the picture yet); then nothing is stale and nothing is rated.
    mediating = [complaint_in_mediation(m, city, n) for n, m in enumerate(merchants)]
    Merchant.objects.update(rating_stale=False, stars=None)
    baseline, refused, hung, after = mediating[0], mediating[1 : ROUNDS + 1], mediating[ROUNDS + 1 : -1], mediating[-1]
    outage_merchants = {c.merchant_id for c in refused + hung}

    public, staff = Browser(live_server.url), Browser(live_server.url, city)
    log1, log2 = tmp_path / "worker1.log", tmp_path / "worker2.log"
    worker1 = worker2 = None
    with redis_outage(settings, redis_server.port):  # everything on the real Redis, production options
        try:
            worker1 = start_worker("faults-real-1", log1, redis_url=redis_server.url)
            wait_for(lambda: _worker_ready(log1), timeout=30, what="worker 1 to be ready", proc=worker1, log_path=log1)
            for path in [*PUBLIC_PAGES, f"/merchants/{merchants[0].pk}/", "/complaints/new/"]:
                assert public.timed([], "GET", path).status_code == 200  # warm, Redis up
            # The same pages with Redis up and nothing cached: what a page costs without the cache's help.
            uncached = _pages(public, merchants[0], "uncached", lambda: _forget_cached_pages(redis_server.port))
            MEASURED["uncached"] = {"page_p95": p95(uncached), "page_max": max(uncached)}

            # 1. Redis up: the closure's two messages reach the worker, which rates and notifies.
            assert staff.timed([], "POST", reverse("admin:complaints_complaint_changelist"), data=_close_form(baseline)).status_code in (200, 302)
            wait_for(
                lambda: Merchant.objects.filter(pk=baseline.merchant_id, rating_stale=False, stars__isnull=False).exists(),
                timeout=20, what="the worker to rate the baseline merchant", proc=worker1, log_path=log1,
            )  # fmt: skip
            wait_for(
                lambda: _mediated_notices([baseline]) == [(baseline.complainant_phone, "sent")],
                timeout=20, what="the worker to send the baseline notice", proc=worker1, log_path=log1,
            )  # fmt: skip
            assert "notifications.tasks.deliver_notice[" in log1.read_text(errors="replace")
            assert [m["to"] for m in _sms_to(sms_path) if "调解成功" in m["text"]] == [baseline.complainant_phone]

            # 2. refused: redis-server killed, its port closed.
            redis_server.stop()
            _outage(public, staff, refused, merchants[0], "refused")
            # 3. hung: the same port accepts and never answers.
            with hung_redis(redis_server.port):
                _outage(public, staff, hung, merchants[0], "hung")
            stop_worker(worker1, signal.SIGKILL)
            worker1 = None

            # Every write was saved and audited; what it queued is recorded, none of it done yet.
            assert Complaint.objects.filter(merchant__isnull=True).count() == 2 * ROUNDS
            for complaint in refused + hung:
                complaint.refresh_from_db()
                assert complaint.status == Status.MEDIATED
                assert audit_entries_for(complaint).filter(to_status=Status.MEDIATED).count() == 1
            stale = set(Merchant.objects.filter(rating_stale=True).values_list("pk", flat=True))
            assert stale == outage_merchants
            assert not Merchant.objects.filter(pk__in=outage_merchants, stars__isnull=False).exists()
            # The closures' notices are rows, queued (their messages could not be published): not lost.
            outage_phones = sorted(c.complainant_phone for c in refused + hung)
            assert _mediated_notices(refused + hung) == [(phone, "queued") for phone in outage_phones]

            # 4. Redis back (restarted empty on the same port) and a new worker.
            redis_server.start()
            CircuitBreaker.reset_all()  # the breakers' 5 s cooldown, passed
            worker2 = start_worker("faults-real-2", log2, redis_url=redis_server.url)
            wait_for(lambda: _worker_ready(log2), timeout=30, what="worker 2 to be ready", proc=worker2, log_path=log2)
            sweep_stale_ratings.apply_async()  # what beat sends every 5 minutes
            wait_for(
                lambda: not Merchant.objects.filter(rating_stale=True).exists()
                and Merchant.objects.filter(pk__in=outage_merchants, stars__isnull=False).count() == len(outage_merchants),
                timeout=30, what="the sweep to rate every merchant the outage writes flagged", proc=worker2, log_path=log2,
            )  # fmt: skip
            assert "merchants.tasks.sweep_stale_ratings[" in log2.read_text(errors="replace")
            # The outbox sweep (what beat sends every minute) sends every notice the outage left queued, once.
            sweep_notices.apply_async()
            wait_for(
                lambda: _mediated_notices(refused + hung) == [(phone, "sent") for phone in outage_phones],
                timeout=60, what="the outbox sweep to send the notices queued during the outage", proc=worker2, log_path=log2,
            )  # fmt: skip
            assert "notifications.tasks.sweep_notices[" in log2.read_text(errors="replace")
            mediated_sms = sorted(m["to"] for m in _sms_to(sms_path) if "调解成功" in m["text"])
            assert mediated_sms == sorted([baseline.complainant_phone, *outage_phones])

            # A write after the return queues its work directly again (no sweep needed).
            assert staff.timed([], "POST", reverse("admin:complaints_complaint_changelist"), data=_close_form(after)).status_code in (200, 302)
            wait_for(
                lambda: Merchant.objects.filter(pk=after.merchant_id, rating_stale=False, stars__isnull=False).exists(),
                timeout=20, what="the worker to rate the merchant of the write after the return", proc=worker2, log_path=log2,
            )  # fmt: skip
            assert "merchants.tasks.recompute_merchant_ratings[" in log2.read_text(errors="replace")
        finally:
            stop_worker(worker1, signal.SIGKILL)
            stop_worker(worker2, signal.SIGTERM)
