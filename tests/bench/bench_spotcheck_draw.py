"""Benchmark: a 双随机 spot-check plan over 140,000 merchants on PostgreSQL (docs/SPOT_CHECKS.md, BENCHMARKS.md).

Run with ``make bench PYTEST_ARGS="-k spotcheck"`` and ``DATABASE_URL=postgres://…``.
Seeds ``BENCH_MERCHANTS`` (default 140,000) operating merchants over the ten districts of 焦作市 with a
spread of credit classes (A 40 %, B 30 %, C 15 %, D 5 %, unrated 10 %), three inspectors per district plus
city inspectors, and one earlier inspection for every fifth merchant (so the "last inspector" exclusions are
real), then times, for one city-wide plan with the default shares:

* the approval (freeze: eligible merchants per class as tokens, roster per district, exclusions, digest);
* the draw (``spot_check_plan_draw``: the shuffle, the pairs, the openings and the task rows) — target ≤ 2 s;
  ``BENCH_RUNS`` (default 3) plans are approved and drawn in turn and the best draw is checked;
* ``manage.py verify_draw`` on the result.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from integrity_portal.core.roles import StaffRole
from merchants.models import Inspection, InspectionOutcome, Merchant, MerchantKind, MerchantStatus, Region
from spotchecks.models import SpotCheckTask
from spotchecks.services import spot_check_plan_approve, spot_check_plan_create, spot_check_plan_draw

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = int(os.environ.get("BENCH_MERCHANTS", "140000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CLASSES = ["A"] * 40 + ["B"] * 30 + ["C"] * 15 + ["D"] * 5 + [""] * 10


def _seed(rng: random.Random) -> tuple[list[str], dict[str, list[int]]]:
    from django.core.management import call_command as cc

    from tests.factories import make_inspector, make_staff

    cc("loaddata", "regions", verbosity=0)
    from merchants import regions as region_tree

    region_tree.clear_cache()
    districts = list(Region.objects.filter(parent_id="410800").values_list("code", flat=True))
    inspectors = {d: [make_inspector(d).pk for _ in range(3)] for d in districts}
    inspectors["410800"] = [make_inspector("410800").pk for _ in range(2)]
    make_staff("410800", StaffRole.CITY_BUREAU, username="bench_city")
    batch = []
    for i in range(COUNT):
        batch.append(
            Merchant(
                kind=MerchantKind.MERCHANT,
                name=f"抽查基准商户{i}",
                licence_number=f"BENCH{i:09d}",
                legal_representative="张三",
                address=f"民主路{i}号",
                region_id=districts[i % len(districts)],
                industry="general_retail",
                status=MerchantStatus.OPERATING,
                credit_class=rng.choice(CLASSES),
            )
        )
        if len(batch) == 10000:
            Merchant.objects.bulk_create(batch)
            batch = []
    Merchant.objects.bulk_create(batch)
    past = timezone.localdate().replace(year=timezone.localdate().year - 1)
    rows = []
    for mid, region_id in Merchant.objects.order_by("id").values_list("id", "region_id")[::5]:
        first, second = rng.sample(inspectors[region_id], 2)
        rows.append(
            Inspection(
                merchant_id=mid,
                inspected_on=past,
                inspector_1_id=first,
                inspector_2_id=second,
                outcome=InspectionOutcome.SATISFACTORY,
            )
        )
    Inspection.objects.bulk_create(rows, batch_size=10000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE merchants_merchant; ANALYZE merchants_inspection")
    return districts, inspectors


def test_spotcheck_draw_over_140k_merchants(require_postgres):
    from django.contrib.auth import get_user_model

    rng = random.Random(17)
    t0 = time.perf_counter()
    _seed(rng)
    seeded = time.perf_counter() - t0
    actor = get_user_model().objects.get(username="bench_city")
    # Three plans over the same register (the machine is shared and noisy): every figure is printed, the
    # target is checked against the best draw, as the other benchmarks compare within one run.
    approvals, draws = [], []
    for n in range(RUNS):
        plan = spot_check_plan_create(
            actor=actor,
            region=Region.objects.get(code="410800"),
            title=f"基准：全市双随机抽查 {n + 1}",
            year=timezone.localdate().year,
            due_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
            items=["price_marking", "metrology", "premises"],
        )
        t0 = time.perf_counter()
        spot_check_plan_approve(plan_id=plan.pk, actor=actor)
        approvals.append(time.perf_counter() - t0)
        profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
        t0 = time.perf_counter()
        if profile:
            profile.enable()
        plan = spot_check_plan_draw(plan_id=plan.pk, actor=actor)
        draws.append(time.perf_counter() - t0)
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    drawn = min(draws)
    t0 = time.perf_counter()
    out = StringIO()
    call_command("verify_draw", str(plan.pk), stdout=out)
    verify = time.perf_counter() - t0
    tasks = SpotCheckTask.objects.filter(plan=plan).count()
    print(
        f"\nspot-check benchmark: {COUNT} merchants seeded in {seeded:.1f} s; approval (freeze) "
        f"{', '.join(f'{t:.2f}' for t in approvals)} s; draw {', '.join(f'{t:.2f}' for t in draws)} s "
        f"({tasks} tasks each); verify_draw {verify:.2f} s → {out.getvalue().strip()}; load average {os.getloadavg()}"
    )
    assert out.getvalue().strip() == "OK"
    assert tasks == plan.drawn_count > 0
    if COUNT >= 140000:
        assert drawn <= 2.0, f"best draw took {drawn:.2f} s (target ≤ 2 s)"
