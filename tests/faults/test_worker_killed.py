"""A Celery worker is SIGKILLed in the middle of a full rating recompute (PostgreSQL + Redis, real workers).

How the engine writes (merchants/services/rating.py, ``ratings_recompute``): one
``transaction.atomic()`` covers claiming the stale flags, inserting every new
``Rating`` row (batches of 2,000) and updating every merchant (batches of 5,000).
So a worker that dies at any point leaves nothing behind: PostgreSQL rolls the
whole transaction back when the session ends, the flags come back, and whatever
runs next (the re-delivered message, the sweep, the nightly run) starts from the
old state.

To kill the worker at a known point rather than at a lucky moment, the test holds a
row lock on one merchant (one that is not stale, so the claim step does not touch
it). The worker then blocks inside its transaction on the final ``UPDATE`` of the
merchants, after all its ``Rating`` inserts; the test sees that in
``pg_stat_activity``/``pg_locks`` and kills it there.
"""

from __future__ import annotations

import signal
import uuid
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from integrity_portal.core.models import AuditEntry
from merchants.models import (
    FindingLevel,
    Industry,
    Inspection,
    InspectionOutcome,
    Merchant,
    MerchantKind,
    Rating,
)
from merchants.services.rating import ratings_recompute

from .conftest import JIEFANG, pg_dsn, start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

MERCHANTS = 5000  # three Rating INSERT batches and one merchant UPDATE batch


def _seed() -> Merchant:
    """MERCHANTS merchants with one inspection each (a third with a serious advertising finding), all flagged but one."""
    day = timezone.localdate() - timedelta(days=10)
    Merchant.objects.bulk_create(
        Merchant(
            kind=MerchantKind.MERCHANT,
            name=f"故障测试商户{i:05d}",
            licence_number=f"FAULT{i:06d}",
            legal_representative="张三",
            address=f"民主路{i}号",
            region_id=JIEFANG,
            industry=Industry.GENERAL_RETAIL,
            rating_stale=True,
        )
        for i in range(MERCHANTS)
    )
    ids = list(Merchant.objects.order_by("name", "id").values_list("id", flat=True))
    Inspection.objects.bulk_create(
        Inspection(
            merchant_id=mid,
            inspected_on=day,
            outcome=InspectionOutcome.SATISFACTORY,
            advertising=FindingLevel.SERIOUS if n % 3 == 0 else FindingLevel.PASS,
        )
        for n, mid in enumerate(ids)
    )
    locked = Merchant.objects.get(pk=ids[-1])  # the engine writes in (name, id) order: this one comes last
    Merchant.objects.filter(pk=locked.pk).update(rating_stale=False)
    return locked


def _blocked_recompute_backend():
    """The worker's session, waiting on our row lock inside its recompute transaction, once it has inserted ratings."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.pid, a.query FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
              AND a.wait_event_type = 'Lock' AND a.query LIKE 'UPDATE "merchants_merchant"%%SET stars%%'
              AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                          WHERE l.pid = a.pid AND c.relname = 'merchants_rating'
                            AND l.mode = 'RowExclusiveLock')
            """
        )
        return cursor.fetchone()


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def _snapshot() -> dict:
    return {
        "ratings": Rating.objects.count(),
        "rated": Merchant.objects.filter(stars__isnull=False).count(),
        "with_current": Merchant.objects.filter(current_rating__isnull=False).count(),
        "stale": Merchant.objects.filter(rating_stale=True).count(),
        "recompute_audits": AuditEntry.objects.filter(action="rating.recompute").count(),
    }


def test_worker_killed_mid_recompute_leaves_nothing_half_written_and_the_redelivered_task_converges(
    require_postgres, require_redis, transactional_db, regions, tmp_path
):
    from integrity_portal.celery import app
    from merchants.tasks import recompute_all_ratings

    locked = _seed()
    before = _snapshot()
    assert before == {
        "ratings": 0,
        "rated": 0,
        "with_current": 0,
        "stale": MERCHANTS - 1,
        "recompute_audits": 0,
    }

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    log1, log2 = tmp_path / "worker1.log", tmp_path / "worker2.log"
    lock_conn = psycopg2.connect(**pg_dsn())
    worker1 = worker2 = None
    app.conf.task_always_eager = False
    try:
        with lock_conn.cursor() as cur:  # a transaction stays open until rollback() below
            cur.execute('SELECT id FROM "merchants_merchant" WHERE id = %s FOR UPDATE', [locked.pk])
        task_id = recompute_all_ratings.apply_async(queue=queue).id
        worker1 = start_worker("faults-victim", log1, queues=queue)

        pid, query = wait_for(
            _blocked_recompute_backend,
            timeout=40,
            what="the worker to block inside its recompute transaction",
            proc=worker1,
            log_path=log1,
        )
        assert task_id in log1.read_text(errors="replace")  # it is our message the worker is running

        stop_worker(worker1, signal.SIGKILL)
        assert worker1.returncode == -signal.SIGKILL
        worker1 = None
        lock_conn.rollback()  # the orphaned session proceeds, finds its client gone and aborts
        wait_for(lambda: _backend_gone(pid), timeout=15, what=f"the killed worker's session {pid} to end")

        # Nothing half-written: no Rating row, no merchant result, every stale flag back, no audit entry.
        assert _snapshot() == before

        worker2 = start_worker("faults-rescuer", log2, queues=queue, visibility_timeout=1)
        wait_for(
            lambda: (
                Merchant.objects.filter(rating_stale=True).count() == 0
                and Merchant.objects.filter(stars__isnull=True).count() == 0
            ),
            timeout=40,
            what="the re-delivered recompute to finish",
            proc=worker2,
            log_path=log2,
        )
        wait_for(
            lambda: "succeeded" in log2.read_text(errors="replace"), timeout=10, what="the task to be acked"
        )
        text = log2.read_text(errors="replace")
        assert f"merchants.tasks.recompute_all_ratings[{task_id}] received" in text  # the same message, again
    finally:
        app.conf.task_always_eager = True
        stop_worker(worker1, signal.SIGKILL)
        stop_worker(worker2, signal.SIGTERM)
        lock_conn.close()

    after = _snapshot()
    assert (
        after["ratings"] == MERCHANTS == after["rated"] == after["with_current"]
    )  # one row each, none doubled
    assert after["stale"] == 0
    assert set(Merchant.objects.values_list("stars", flat=True)) == {4, 5}  # serious finding → 4, clean → 5
    assert ratings_recompute().changed == 0  # identical to an undisturbed full recompute
