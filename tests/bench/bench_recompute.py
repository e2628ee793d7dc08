"""Benchmark: the rating recompute over 140,000 seeded entities on PostgreSQL.

Run with ``make bench`` (or ``pytest tests/bench/bench_recompute.py -s -p no:cacheprovider``
with ``DATABASE_URL=postgres://…``). Prints: seeding time, a cold recompute (every
rated merchant gets its first history row), a warm re-run (nothing changes), the
management command, the hand-written one-statement SQL baseline (CTE aggregates +
``UPDATE … FROM``) and the peak Python memory of a recompute (tracemalloc).
Targets: ≤ 3 s, ≤ 300 MB, within 2× the baseline.
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from merchants.models import Merchant, Rating
from merchants.rating_demo import seed_credit_facts
from merchants.services.rating import ratings_recompute
from merchants.services.rating_policy import rating_policy_active

COUNT = int(os.environ.get("BENCH_MERCHANTS", "140000"))

BASELINE_SQL = """
WITH insp AS (
  SELECT merchant_id, COUNT(*) AS n,
    SUM(CASE WHEN inspected_on >= %(recent)s THEN
      (CASE WHEN price_marking='minor' THEN 1 ELSE 0 END + CASE WHEN metrology='minor' THEN 1 ELSE 0 END
       + CASE WHEN advertising='minor' THEN 1 ELSE 0 END + CASE WHEN food_safety='minor' THEN 1 ELSE 0 END)
      ELSE 0 END) AS minor_recent,
    SUM(CASE WHEN inspected_on >= %(recent)s THEN
      (CASE WHEN price_marking='serious' THEN 1 ELSE 0 END + CASE WHEN metrology='serious' THEN 1 ELSE 0 END
       + CASE WHEN advertising='serious' THEN 1 ELSE 0 END + CASE WHEN food_safety='serious' THEN 1 ELSE 0 END)
      ELSE 0 END) AS serious_recent,
    SUM(CASE WHEN inspected_on < %(recent)s THEN
      (CASE WHEN price_marking='minor' THEN 1 ELSE 0 END + CASE WHEN metrology='minor' THEN 1 ELSE 0 END
       + CASE WHEN advertising='minor' THEN 1 ELSE 0 END + CASE WHEN food_safety='minor' THEN 1 ELSE 0 END)
      ELSE 0 END) AS minor_older,
    SUM(CASE WHEN inspected_on < %(recent)s THEN
      (CASE WHEN price_marking='serious' THEN 1 ELSE 0 END + CASE WHEN metrology='serious' THEN 1 ELSE 0 END
       + CASE WHEN advertising='serious' THEN 1 ELSE 0 END + CASE WHEN food_safety='serious' THEN 1 ELSE 0 END)
      ELSE 0 END) AS serious_older,
    SUM(CASE WHEN premises='minor' THEN 1 ELSE 0 END) AS premises_minor,
    SUM(CASE WHEN premises='serious' THEN 1 ELSE 0 END) AS premises_serious
  FROM merchants_inspection WHERE inspected_on >= %(lookback)s AND inspected_on <= %(today)s
  GROUP BY merchant_id
), pen AS (
  SELECT merchant_id,
    SUM(CASE WHEN tier='minor' THEN 1 ELSE 0 END) AS p_minor,
    SUM(CASE WHEN tier='moderate' THEN 1 ELSE 0 END) AS p_moderate,
    SUM(CASE WHEN tier='serious' THEN 1 ELSE 0 END) AS p_serious
  FROM merchants_penalty
  WHERE published AND revoked_at IS NULL AND publicity_ended_at IS NULL
    AND publicity_from <= %(today)s AND publicity_until >= %(today)s
  GROUP BY merchant_id
), com AS (
  SELECT merchant_id,
    SUM(CASE WHEN revoked_at IS NULL AND valid_until >= %(today)s THEN 1 ELSE 0 END) AS in_force,
    SUM(CASE WHEN revoked_at IS NOT NULL THEN 1 ELSE 0 END) AS revoked
  FROM merchants_commitment GROUP BY merchant_id
), lst AS (
  SELECT merchant_id, SUM(CASE WHEN list_name='black' THEN 1 ELSE 0 END) AS black
  FROM merchants_listentry
  WHERE ended_at IS NULL AND valid_from <= %(today)s AND (valid_until IS NULL OR valid_until > %(today)s)
  GROUP BY merchant_id
), el AS (
  SELECT m.id,
    COALESCE(i.n, 0) AS n, COALESCE(p.p_moderate, 0) + COALESCE(p.p_serious, 0) + COALESCE(p.p_minor, 0) AS pens,
    COALESCE(l.black, 0) AS black,
    LEAST(COALESCE(5*i.minor_recent + 10*i.serious_recent + 2*i.minor_older + 5*i.serious_older, 0), 30) AS trading,
    LEAST(COALESCE(2*i.premises_minor + 5*i.premises_serious, 0), 30) AS service,
    GREATEST(LEAST(CASE WHEN COALESCE(c.in_force, 0) > 0 THEN 0 ELSE 5 END
      + CASE WHEN COALESCE(c.revoked, 0) > 0 THEN 10 ELSE 0 END
      + 5*COALESCE(p.p_minor, 0) + 10*COALESCE(p.p_moderate, 0) + 20*COALESCE(p.p_serious, 0), 30), 0) AS credit
  FROM merchants_merchant m
  LEFT JOIN insp i ON i.merchant_id = m.id LEFT JOIN pen p ON p.merchant_id = m.id
  LEFT JOIN com c ON c.merchant_id = m.id LEFT JOIN lst l ON l.merchant_id = m.id
), st AS (
  SELECT id, CASE
    WHEN black > 0 THEN 0
    WHEN n = 0 AND pens = 0 THEN NULL
    ELSE LEAST(
      CASE WHEN trading+service+credit <= 15 THEN 5 WHEN trading+service+credit <= 20 THEN 4
           WHEN trading+service+credit <= 30 THEN 3 WHEN trading+service+credit <= 40 THEN 2
           WHEN trading+service+credit <= 50 THEN 1 ELSE 0 END,
      CASE WHEN GREATEST(trading, service, credit) <= 5 THEN 5 WHEN GREATEST(trading, service, credit) <= 10 THEN 4
           WHEN GREATEST(trading, service, credit) <= 15 THEN 2 WHEN GREATEST(trading, service, credit) <= 20 THEN 1
           ELSE 0 END)
    END AS stars
  FROM el
)
UPDATE merchants_merchant m SET stars = st.stars FROM st
WHERE m.id = st.id AND m.stars IS DISTINCT FROM st.stars
"""


def _timed(fn):
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


@pytest.mark.postgres
@pytest.mark.django_db
def test_bench_recompute_140k(require_postgres, regions):
    from merchants.demo import seed_register

    _seeded, seed_s = _timed(lambda: seed_register(seed=0, merchant_count=COUNT))
    facts, facts_s = _timed(lambda: seed_credit_facts(seed=0, merchant_count=COUNT))
    merchants = Merchant.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\nseeded {merchants} merchants in {seed_s:.1f}s; facts {facts} in {facts_s:.1f}s")

    cold, cold_s = _timed(lambda: ratings_recompute())
    print(f"cold recompute: {cold.as_dict()} wall {cold_s:.2f}s")
    warm, warm_s = _timed(lambda: ratings_recompute())
    print(f"warm recompute (no change): {warm.as_dict()} wall {warm_s:.2f}s")
    assert warm.history_rows == 0 and warm.changed == 0

    out = StringIO()
    _none, cmd_s = _timed(lambda: call_command("recompute_ratings", stdout=out))
    print(f"manage.py recompute_ratings: {out.getvalue().strip()} wall {cmd_s:.2f}s")

    Merchant.objects.filter(pk__in=Merchant.objects.order_by("?").values("pk")[:1400]).update(
        rating_stale=True
    )
    out = StringIO()
    _none, stale_s = _timed(lambda: call_command("recompute_ratings", "--stale-only", stdout=out))
    print(
        f"manage.py recompute_ratings --stale-only (1 % flagged): {out.getvalue().strip()} wall {stale_s:.2f}s"
    )

    rules = rating_policy_active().rules
    today = timezone.localdate()
    from dateutil.relativedelta import relativedelta

    params = {
        "today": today,
        "recent": today - relativedelta(months=rules["windows"]["recent_months"]),
        "lookback": today - relativedelta(months=rules["windows"]["lookback_months"]),
    }
    Merchant.objects.update(stars=None)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, params)
            return cursor.rowcount

    baseline_rows, baseline_s = _timed(baseline)
    print(f"baseline one-statement SQL (cold, stars only): {baseline_rows} rows updated in {baseline_s:.2f}s")
    _rows, baseline_warm_s = _timed(baseline)
    print(f"baseline one-statement SQL (warm): {baseline_warm_s:.2f}s")

    # Reset to the cold state and measure peak Python memory of a full recompute.
    Merchant.objects.update(stars=None, credit_class="", current_rating=None)
    Rating.objects.all().delete()
    tracemalloc.start()
    traced, traced_s = _timed(lambda: ratings_recompute())
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"cold recompute under tracemalloc: {traced_s:.2f}s, peak Python allocations {peak / 2**20:.0f} MB; "
        f"process peak RSS (includes seeding) {rss_mb:.0f} MB"
    )
    print(
        f"ratio cold/baseline-cold = {cold_s / baseline_s:.2f}, warm/baseline-warm = {warm_s / baseline_warm_s:.2f}"
    )
    assert warm_s <= 3.0 and cmd_s <= 3.0
    assert cold_s <= 2 * baseline_s
    assert peak <= 300 * 2**20
