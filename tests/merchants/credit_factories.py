"""Helpers that create credit facts through the services (so stale marking and audit happen)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

from merchants.models import FindingLevel, InspectionOutcome, ListEntryKind, PenaltyKind, PenaltyTier
from merchants.services.credit import inspection_record, list_entry_add_black, penalty_record
from tests.factories import make_inspector

_seq = itertools.count(1)


def today() -> date:
    return timezone.localdate()


def inspector_pair(region_code: str):
    """Two rostered inspectors who may inspect in ``region_code`` (reused when already there)."""
    from merchants.selectors.staff import inspector_roster

    users = [p.user for p in inspector_roster(region=region_code)[:2]]
    while len(users) < 2:
        users.append(make_inspector(region_code))
    return users


def inspect(merchant, *, days_ago: int = 10, actor=None, **findings):
    first, second = inspector_pair(merchant.region_id)
    return inspection_record(
        merchant=merchant,
        inspected_on=today() - timedelta(days=days_ago),
        findings=findings,
        outcome=InspectionOutcome.RECTIFY if findings else InspectionOutcome.SATISFACTORY,
        actor=actor,
        inspector_1=first,
        inspector_2=second,
    )


def penalise(
    merchant, *, tier=PenaltyTier.MODERATE, kind=PenaltyKind.FINE, days_ago: int = 5, actor=None, number=None
):
    return penalty_record(
        merchant=merchant,
        decision_number=number or f"焦市监处罚〔2026〕{next(_seq)}号",
        decided_on=today() - timedelta(days=days_ago),
        legal_basis="《中华人民共和国价格法》第四十二条",
        kind=kind,
        tier=tier,
        fine_yuan=2000,
        actor=actor,
    )


def blacklist(merchant, *, kind=ListEntryKind.SERIOUS_DISHONESTY, valid_from=None, actor=None, number=None):
    return list_entry_add_black(
        merchant=merchant,
        kind=kind,
        reason="提供虚假材料骗取登记",
        legal_basis="《市场监督管理严重违法失信名单管理办法》第十条",
        decision_number=number or f"焦市监失信〔2026〕{next(_seq)}号",
        decided_by="焦作市市场监督管理局",
        valid_from=valid_from or today() - timedelta(days=1),
        actor=actor,
    )


MINOR = FindingLevel.MINOR
SERIOUS = FindingLevel.SERIOUS
