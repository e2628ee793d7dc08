"""Demo showcases (order 25, between the credit facts and the final recompute): one merchant whose
re-inspection lifted its stars, and one whose commitment was breached.

Each is chosen deterministically (a hash of the seed among the demo district's merchants that have no
other credit facts, so the story reads clearly) and written once: a re-run finds the showcase plan and
adds nothing. The re-inspection merchant is rated before the re-inspection (1 star, kept in its history)
so the final recompute visibly lifts it.
"""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from .models import (
    INSPECTION_ITEMS,
    Commitment,
    CommitmentKind,
    FindingLevel,
    Inspection,
    InspectionOutcome,
    ListEntry,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Penalty,
    ReinspectionRequest,
    ReinspectionStatus,
)
from .rating_demo import _inspectors, _rosters, _u
from .services.credit import COMMITMENT_TEXT_VERSION, commitment_text

SHOWCASE_REGION = "410802"
REINSPECTION_PLAN = "演示：整改复查示例"
BREACH_PLAN = "演示：信用承诺践诺检查示例"


def _clean_candidates(limit: int = 2000) -> list[tuple[int, str, str]]:
    """(id, industry, region) of operating shops in the demo district with no credit facts at all."""
    with_facts = [
        Inspection.objects.values("merchant_id"),
        Commitment.objects.values("merchant_id"),
        Penalty.objects.values("merchant_id"),
        ListEntry.objects.values("merchant_id"),
    ]
    qs = Merchant.objects.filter(
        region_id=SHOWCASE_REGION, status=MerchantStatus.OPERATING, kind=MerchantKind.MERCHANT
    )
    for sub in with_facts:
        qs = qs.exclude(pk__in=sub)
    return list(qs.order_by("id").values_list("id", "industry", "region_id")[:limit])


def _pick(seed: int, candidates, salt: str, exclude: set[int]):
    pool = [c for c in candidates if c[0] not in exclude]
    return min(pool, key=lambda c: _u(seed, c[0], salt)) if pool else None


def _reinspection_showcase(seed: int, merchant, today, now) -> int:
    """Two serious findings 75 days ago (1 star), fixed, re-inspected 40 days ago: all items pass."""
    from .services.rating import ratings_recompute

    mid, _industry, region = merchant
    roster = _rosters([merchant]).get(region, [])
    original = Inspection.objects.create(
        merchant_id=mid,
        inspected_on=today - timedelta(days=75),
        **_inspectors(seed, mid, 0, roster),
        plan=REINSPECTION_PLAN,
        price_marking=FindingLevel.SERIOUS,
        metrology=FindingLevel.SERIOUS,
        outcome=InspectionOutcome.RECTIFY,
        notes="价签与实际收费不符；电子秤未经检定。责令十五日内整改。",
    )
    ratings_recompute(merchant_ids=[mid])  # the rating before the re-inspection stays in the history
    visit = Inspection.objects.create(
        merchant_id=mid,
        inspected_on=today - timedelta(days=40),
        **_inspectors(seed, mid, 1, roster),
        plan=REINSPECTION_PLAN,
        outcome=InspectionOutcome.SATISFACTORY,
        notes="复查：价签已全部更换并与收费一致，电子秤已检定合格。",
        rechecks=original,
    )
    Inspection.objects.filter(pk=original.pk).update(
        superseded_items=",".join(name for name, _label in INSPECTION_ITEMS),
        superseded_by=visit,
        superseded_at=now - timedelta(days=40),
    )
    requested = now - timedelta(days=60)
    ReinspectionRequest.objects.create(
        merchant_id=mid,
        improvements="已按要求更换全部价签，电子秤送检合格并张贴检定标志，店员已培训。",
        status=ReinspectionStatus.DONE,
        requested_at=requested,
        visit_by=timezone.localdate(requested) + relativedelta(months=3),
        scheduled_for=visit.inspected_on,
        inspection=visit,
    )
    Merchant.objects.filter(pk=mid).update(rating_stale=True)
    return 2


def _breach_showcase(seed: int, merchant, today, now) -> int:
    """A price commitment signed 200 days ago; an inspection 30 days ago finds price tags missing."""
    mid, _industry, region = merchant
    signed = now - timedelta(days=200)
    Commitment.objects.create(
        merchant_id=mid,
        kind=CommitmentKind.PRICE,
        text_version=COMMITMENT_TEXT_VERSION,
        text=commitment_text(CommitmentKind.PRICE),
        signed_at=signed,
        valid_until=timezone.localdate(signed) + relativedelta(years=1),
    )
    Inspection.objects.create(
        merchant_id=mid,
        inspected_on=today - timedelta(days=30),
        **_inspectors(seed, mid, 0, _rosters([merchant]).get(region, [])),
        plan=BREACH_PLAN,
        price_marking=FindingLevel.MINOR,
        outcome=InspectionOutcome.RECTIFY,
        notes="部分商品未明码标价，违反本店作出的价格诚信承诺。",
    )
    Merchant.objects.filter(pk=mid).update(rating_stale=True)
    return 2


def seed_showcases(*, seed: int, merchant_count: int, stdout=None) -> dict:
    today = timezone.localdate()
    now = timezone.now()
    counts = {"reinspection": 0, "breach": 0}
    done = set(
        Inspection.objects.filter(plan__in=[REINSPECTION_PLAN, BREACH_PLAN]).values_list("plan", flat=True)
    )
    candidates = None
    used: set[int] = set()
    with transaction.atomic():
        for plan, key, build in (
            (REINSPECTION_PLAN, "reinspection", _reinspection_showcase),
            (BREACH_PLAN, "breach", _breach_showcase),
        ):
            if plan in done:
                continue
            if candidates is None:
                candidates = _clean_candidates()
            merchant = _pick(seed, candidates, key, used)
            if merchant is None:
                continue
            used.add(merchant[0])
            counts[key] = build(seed, merchant, today, now)
    if stdout is not None:
        names = dict(
            Merchant.objects.filter(inspections__plan__in=[REINSPECTION_PLAN, BREACH_PLAN]).values_list(
                "inspections__plan", "name"
            )
        )
        stdout.write(
            f"  复查与践诺示例 / showcases: re-inspection «{names.get(REINSPECTION_PLAN, '—')}», "
            f"commitment breach «{names.get(BREACH_PLAN, '—')}»"
        )
    return counts
