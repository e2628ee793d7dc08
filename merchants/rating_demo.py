"""Demo credit facts (order 20) and the final full recompute (order 60).

Proportions per 140,000 entities: ~20,000 inspections, penalties for ~2 % of
entities, commitments for ~30 %, black-list entries for ~0.5 %, and a few integrity
role models on the red list. Every draw is a hash of (seed, merchant id, purpose),
so the data are deterministic, independent of insertion order, and a re-run skips
merchants that already have demo rows of that kind (adds nothing).
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from .models import (
    Commitment,
    CommitmentKind,
    FindingLevel,
    Industry,
    Inspection,
    InspectionOutcome,
    ListEntry,
    ListEntryKind,
    ListName,
    Merchant,
    Penalty,
    PenaltyKind,
    PenaltyTier,
)
from .services.credit import COMMITMENT_TEXT_VERSION, commitment_text
from .services.rating_policy import rating_policy_active

BATCH = 5000
DEMO_PLAN = "演示：2026年度双随机抽查计划"
DEMO_PREFIX = "演示"
FOOD = {Industry.CATERING, Industry.FOOD_RETAIL}
INSPECTORS = ("王磊、李娜", "张伟、刘洋", "陈静、杨帆", "赵强、孙丽", "周杰、吴敏")


def _u(seed: int, mid: int, salt: str) -> float:
    return zlib.crc32(f"{seed}:{mid}:{salt}".encode()) / 4294967296


def _pick(value: float, table):
    acc = 0.0
    for weight, item in table:
        acc += weight
        if value < acc:
            return item
    return table[-1][1]


FINDING = ((0.86, FindingLevel.PASS), (0.11, FindingLevel.MINOR), (0.03, FindingLevel.SERIOUS))


def _rosters(merchants) -> dict[str, list[tuple[int, str]]]:
    """Per region of the demo merchants, the rostered inspectors (user id, name) who may work there."""
    from .selectors.staff import inspector_roster

    out = {}
    for region in sorted({r for _m, _i, r in merchants}):
        out[region] = sorted((p.user_id, p.full_name) for p in inspector_roster(region=region))
    return out


def _inspectors(seed, mid, k, roster) -> dict:
    """Two different rostered inspectors, drawn from the hash (names only if no roster exists)."""
    if len(roster) < 2:
        return {"inspector_names": INSPECTORS[int(_u(seed, mid, f"who-{k}") * len(INSPECTORS))]}
    i = int(_u(seed, mid, f"who-{k}") * len(roster))
    j = (i + 1 + int(_u(seed, mid, f"who2-{k}") * (len(roster) - 1))) % len(roster)
    (a, name_a), (b, name_b) = roster[i], roster[j]
    return {"inspector_1_id": a, "inspector_2_id": b, "inspector_names": f"{name_a}、{name_b}"}


def _inspections(seed, merchants, today, done) -> list[Inspection]:
    rows = []
    rosters = _rosters(merchants)
    for mid, industry, region in merchants:
        if mid in done:
            continue
        u = _u(seed, mid, "insp")
        count = 2 if u < 0.015 else 1 if u < 0.125 else 0
        for k in range(count):
            days = int(_u(seed, mid, f"insp-date-{k}") * 700)
            findings = {
                item: _pick(_u(seed, mid, f"{item}-{k}"), FINDING)
                for item in ("price_marking", "metrology", "advertising", "premises")
            }
            findings["food_safety"] = (
                _pick(_u(seed, mid, f"food-{k}"), FINDING) if industry in FOOD else FindingLevel.PASS
            )
            worst = set(findings.values())
            outcome = (
                InspectionOutcome.CASE
                if FindingLevel.SERIOUS in worst
                else InspectionOutcome.RECTIFY
                if FindingLevel.MINOR in worst
                else InspectionOutcome.SATISFACTORY
            )
            rows.append(
                Inspection(
                    merchant_id=mid,
                    inspected_on=today - timedelta(days=days),
                    **_inspectors(seed, mid, k, rosters.get(region, [])),
                    plan=DEMO_PLAN,
                    outcome=outcome,
                    published=True,
                    **findings,
                )
            )
    return rows


PENALTY_TIER = ((0.5, PenaltyTier.MINOR), (0.35, PenaltyTier.MODERATE), (0.15, PenaltyTier.SERIOUS))
PENALTY_KIND = (
    (0.15, PenaltyKind.WARNING),
    (0.7, PenaltyKind.FINE),
    (0.1, PenaltyKind.CONFISCATION),
    (0.05, PenaltyKind.SUSPENSION),
)
BASES = (
    "《中华人民共和国价格法》第四十二条",
    "《中华人民共和国计量法》第二十七条",
    "《中华人民共和国广告法》第五十五条",
    "《中华人民共和国食品安全法》第一百二十四条",
    "《明码标价和禁止价格欺诈规定》第二十三条",
)


def _penalties(seed, merchants, today, done, months) -> list[Penalty]:
    rows = []
    for mid, _industry, region in merchants:
        if mid in done or _u(seed, mid, "pen") >= 0.02:
            continue
        decided = today - timedelta(days=int(_u(seed, mid, "pen-date") * 1000))
        tier = _pick(_u(seed, mid, "pen-tier"), PENALTY_TIER)
        kind = _pick(_u(seed, mid, "pen-kind"), PENALTY_KIND)
        basis = BASES[int(_u(seed, mid, "pen-basis") * len(BASES))]
        published = kind != PenaltyKind.WARNING
        start = decided + timedelta(days=14)
        rows.append(
            Penalty(
                merchant_id=mid,
                decision_number=f"{DEMO_PREFIX}{region}市监处罚〔{decided.year}〕{mid}号",
                decided_on=decided,
                legal_basis=basis,
                kind=kind,
                tier=tier,
                fine_yuan=0 if kind == PenaltyKind.WARNING else 500 + int(_u(seed, mid, "fine") * 50) * 100,
                facts="经查，当事人存在未按规定明码标价、使用不合格计量器具等行为。",
                published=published,
                publish_by=decided + timedelta(days=28) if published else None,
                publicity_from=start if published else None,
                publicity_until=start + relativedelta(months=months[tier]) if published else None,
                publicity_months=months[tier] if published else None,
            )
        )
    return rows


def _commitments(seed, merchants, now, done) -> list[Commitment]:
    rows = []
    kinds = list(CommitmentKind.values)
    for mid, industry, _region in merchants:
        if mid in done or _u(seed, mid, "com") >= 0.30:
            continue
        signed = now - timedelta(days=int(_u(seed, mid, "com-date") * 500))
        kind = CommitmentKind.FOOD_SAFETY if industry in FOOD and _u(seed, mid, "com-k") < 0.3 else kinds[0]
        if _u(seed, mid, "com-k2") < 0.2:
            kind = kinds[int(_u(seed, mid, "com-k3") * len(kinds))]
        rows.append(
            Commitment(
                merchant_id=mid,
                kind=kind,
                text_version=COMMITMENT_TEXT_VERSION,
                text=commitment_text(kind),
                signed_at=signed,
                valid_until=timezone.localdate(signed) + relativedelta(years=1),
            )
        )
    return rows


BLACK_KIND = (
    (0.6, ListEntryKind.ABNORMAL_OPERATION),
    (0.25, ListEntryKind.SERIOUS_DISHONESTY),
    (0.15, ListEntryKind.JUDGMENT_DEFAULTER),
)
BLACK_TEXT = {
    ListEntryKind.ABNORMAL_OPERATION: (
        "未按规定报送年度报告",
        "《市场主体登记管理条例》第三十五条、《企业信息公示暂行条例》第十七条",
    ),
    ListEntryKind.SERIOUS_DISHONESTY: (
        "因价格违法行为一年内受到两次以上较重行政处罚",
        "《市场监督管理严重违法失信名单管理办法》第十条",
    ),
    ListEntryKind.JUDGMENT_DEFAULTER: (
        "有履行能力而拒不履行生效法律文书确定的义务",
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
    ),
}


def _entries(seed, merchants, today, done) -> list[ListEntry]:
    rows = []
    for mid, _industry, region in merchants:
        if mid in done:
            continue
        u = _u(seed, mid, "list")
        if u < 0.005:
            kind = _pick(_u(seed, mid, "list-kind"), BLACK_KIND)
            start = today - timedelta(days=int(_u(seed, mid, "list-date") * 900))
            until = start + relativedelta(years=3) if kind == ListEntryKind.SERIOUS_DISHONESTY else None
            reason, basis = BLACK_TEXT[kind]
            court = kind == ListEntryKind.JUDGMENT_DEFAULTER
            rows.append(
                ListEntry(
                    merchant_id=mid,
                    list_name=ListName.BLACK,
                    kind=kind,
                    reason=reason,
                    legal_basis=basis,
                    decision_number=f"{DEMO_PREFIX}{region}{'执' if court else '市监'}〔{start.year}〕{mid}号",
                    decided_by="人民法院" if court else "市场监督管理局",
                    valid_from=start,
                    valid_until=until if until is None or until > today else today + timedelta(days=30),
                )
            )
        elif u > 0.997:
            start = date(today.year - 1, 12, 20)
            rows.append(
                ListEntry(
                    merchant_id=mid,
                    list_name=ListName.RED,
                    kind=ListEntryKind.ROLE_MODEL,
                    reason="诚信经营、明码标价、热心服务，群众满意度高",
                    legal_basis="《关于开展文明诚信经营示范创建活动的通知》",
                    decision_number=f"{DEMO_PREFIX}{region[:4]}文明办〔{start.year}〕12号",
                    decided_by="市文明办、市场监督管理局",
                    valid_from=start,
                    valid_until=start + relativedelta(years=3),
                )
            )
    return rows


def _bulk(model, rows) -> int:
    for start in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
    return len(rows)


def seed_credit_facts(*, seed: int, merchant_count: int, stdout=None) -> dict:
    """Inspections, penalties, commitments and list entries for the demo register (bulk, idempotent)."""
    today = timezone.localdate()
    now = timezone.now()
    months = rating_policy_active().rules["publicity_months"]
    merchants = list(Merchant.objects.order_by("id").values_list("id", "industry", "region_id"))
    with transaction.atomic():
        counts = {
            "inspections": _bulk(
                Inspection,
                _inspections(
                    seed,
                    merchants,
                    today,
                    set(Inspection.objects.filter(plan=DEMO_PLAN).values_list("merchant_id", flat=True)),
                ),
            ),
            "penalties": _bulk(
                Penalty,
                _penalties(
                    seed,
                    merchants,
                    today,
                    set(
                        Penalty.objects.filter(decision_number__startswith=DEMO_PREFIX).values_list(
                            "merchant_id", flat=True
                        )
                    ),
                    months,
                ),
            ),
            "commitments": _bulk(
                Commitment,
                _commitments(
                    seed,
                    merchants,
                    now,
                    set(
                        Commitment.objects.filter(
                            text_version=COMMITMENT_TEXT_VERSION, signed_by__isnull=True
                        ).values_list("merchant_id", flat=True)
                    ),
                ),
            ),
            "list_entries": _bulk(
                ListEntry,
                _entries(
                    seed,
                    merchants,
                    today,
                    set(
                        ListEntry.objects.filter(decision_number__startswith=DEMO_PREFIX).values_list(
                            "merchant_id", flat=True
                        )
                    ),
                ),
            ),
        }
    if stdout is not None:
        stdout.write("  信用信息 / credit facts: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
    return counts


def seed_final_recompute(*, seed: int, merchant_count: int, stdout=None) -> dict:
    from .services.rating import ratings_recompute

    result = ratings_recompute(actor=None)
    if stdout is not None:
        stdout.write(
            f"  星级评定 / ratings: {result.considered} considered, {result.rated} rated, "
            f"{result.changed} changed in {result.seconds:.2f}s"
        )
    return result.as_dict()
