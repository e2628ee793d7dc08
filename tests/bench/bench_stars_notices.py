"""Benchmark: what the stars-changed notices add to a recompute, per changed merchant (docs/NOTIFICATIONS.md
"How it scales", docs/BENCHMARKS.md §11).

Run with ``DATABASE_URL=postgres://…``::

    .venv/bin/python -m pytest tests/bench/bench_stars_notices.py -o addopts="-ra --nomigrations" \\
        -o python_files="bench_*.py" -p no:cacheprovider -s

Seeds ``BENCH_MERCHANTS`` (default 2,000) operating merchants: one in ten with no account, the others with one
or two members (the second with a notice profile: English, a phone number). A first recompute rates them all
(a first rating sends nothing); then, ``BENCH_RUNS`` times (default 3), every merchant's stored stars are
moved off what the engine gives, so the next recompute changes the stars of every merchant, and that recompute
is timed (its transaction, up to the commit) without notices (``notify_stars_changed`` replaced by a counter) and with them. Prints both, the
difference per changed merchant, and the rows written. The best of the runs is reported (a shared machine).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F

from merchants.models import Membership, Merchant, MerchantKind, MerchantStatus
from merchants.services import rating as rating_service
from merchants.services.rating import ratings_recompute
from notifications import services as notice_services
from notifications.models import Notice, NoticeProfile

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = int(os.environ.get("BENCH_MERCHANTS", "2000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _seed() -> None:
    from django.core.management import call_command

    call_command("loaddata", "regions", verbosity=0)
    Merchant.objects.bulk_create(
        [
            Merchant(
                kind=MerchantKind.MERCHANT,
                name=f"通知基准商户{i}",
                licence_number=f"NOTE{i:09d}",
                legal_representative="张三",
                address=f"民主路{i}号",
                region_id="410802",
                industry="general_retail",
                status=MerchantStatus.OPERATING,
            )
            for i in range(COUNT)
        ],
        batch_size=5000,
    )
    from datetime import timedelta

    from django.utils import timezone

    from merchants.models import Inspection, InspectionOutcome
    from tests.factories import make_inspector

    first, second = make_inspector("410802").pk, make_inspector("410802").pk
    Inspection.objects.bulk_create(  # a rating needs a fact: one recent satisfactory inspection each
        [
            Inspection(
                merchant_id=pk,
                inspected_on=timezone.localdate() - timedelta(days=30),
                inspector_1_id=first,
                inspector_2_id=second,
                outcome=InspectionOutcome.SATISFACTORY,
            )
            for pk in Merchant.objects.values_list("pk", flat=True)
        ],
        batch_size=5000,
    )
    users, pairs = [], []
    for i, merchant_id in enumerate(Merchant.objects.order_by("pk").values_list("pk", flat=True)):
        if i % 10 == 0:
            continue  # no account: one undeliverable row
        for j in range(1 + i % 2):
            users.append(get_user_model()(username=f"note{i}_{j}", email=f"note{i}_{j}@example.cn", password="!"))
            pairs.append((merchant_id, j))
    users = get_user_model().objects.bulk_create(users, batch_size=5000)
    Membership.objects.bulk_create(
        [Membership(user=u, merchant_id=m) for u, (m, _j) in zip(users, pairs, strict=True)], batch_size=5000
    )
    NoticeProfile.objects.bulk_create(
        [
            NoticeProfile(user=u, language="en", phone=f"138{k:08d}")
            for k, (u, (_m, j)) in enumerate(zip(users, pairs, strict=True))
            if j
        ],
        batch_size=5000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _timed(*, notices: bool, monkeypatch) -> tuple[float, int]:
    """One recompute that changes every merchant's stars; its seconds and the merchants notified."""
    Merchant.objects.update(stars=(F("stars") % 5) + 1)  # moved off what the engine gives
    Notice.objects.all().delete()
    with monkeypatch.context() as m:
        if not notices:
            m.setattr(rating_service, "notify_stars_changed", lambda *, changes, actor: len(list(changes)))
        # The transaction only: the tasks published after commit (at most DISPATCH_AT_COMMIT per call, the
        # rest left to the sweep) are not part of it, and would run eagerly here without a broker.
        m.setattr(notice_services, "_dispatch", lambda pk: True)
        with transaction.atomic():
            profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") and notices else None
            t0 = time.perf_counter()
            if profile:
                profile.enable()
            result = ratings_recompute()
            seconds = time.perf_counter() - t0
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return seconds, result.notified


def test_stars_changed_notices_per_changed_merchant(require_postgres, monkeypatch):
    _seed()
    first = ratings_recompute()
    assert first.rated == COUNT and not Notice.objects.exists()
    _timed(notices=True, monkeypatch=monkeypatch)  # warm-up: the URLconf and first renders load once per process
    without, with_ = [], []
    for _ in range(RUNS):
        seconds, changed = _timed(notices=False, monkeypatch=monkeypatch)
        without.append(seconds)
        seconds, notified = _timed(notices=True, monkeypatch=monkeypatch)
        with_.append(seconds)
        assert changed == notified == COUNT
    rows = Notice.objects.count()
    per = (min(with_) - min(without)) / COUNT * 1000
    print(
        f"\n{COUNT} merchants, all stars changed, {rows} notice rows: recompute without notices "
        f"{', '.join(f'{s:.2f}' for s in without)} s, with notices {', '.join(f'{s:.2f}' for s in with_)} s; "
        f"best: {min(without):.2f} s / {min(with_):.2f} s = {per:.2f} ms per changed merchant"
    )
