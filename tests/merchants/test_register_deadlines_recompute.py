"""Entering a year's official holiday schedule recounts the register's provisional deadlines
(issue #12 item 3): a penalty's latest publication date and a credit-repair decision date, each from
its own start, audited old → new; decided repair requests are left alone."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from merchants.models import CreditRepairRequest, Penalty, PenaltyKind, PenaltyTier, RepairStatus
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

# Test data for 2031, a year chinesecalendar does not have: New Year 1–2 Jan off, Sat 4 Jan worked.
SCHEDULE_2031 = "date,kind,name\n2031-01-01,holiday,测试元旦\n2031-01-02,holiday,测试元旦\n2031-01-04,workday,测试调休\n"


SCHEDULE_2030 = "date,kind,name\n2030-10-01,holiday,测试国庆\n"


def _load(tmp_path, text: str) -> None:
    path = tmp_path / "schedule.csv"
    path.write_text(text, encoding="utf-8")
    call_command("load_holidays", str(path), verbosity=0)


def _repair(merchant, penalty, *, submitted: date, status=RepairStatus.SUBMITTED) -> CreditRepairRequest:
    row = CreditRepairRequest.objects.create(
        merchant=merchant,
        penalty=penalty,
        application="已整改",
        pledge_text="守法经营",
        pledge_signed=True,
        status=status,
        decide_by=date(2031, 1, 7),  # Mon–Fri count from Fri 27 Dec 2030: 30, 31, 1, 2, 3, 6, 7
        decide_by_provisional=True,
    )
    at = timezone.make_aware(datetime(submitted.year, submitted.month, submitted.day, 10))
    CreditRepairRequest.objects.filter(pk=row.pk).update(submitted_at=at)
    return row


def test_loading_a_schedule_recounts_provisional_penalty_and_repair_deadlines(regions, tmp_path):
    from merchants.services.credit import penalty_publicity_window

    _load(tmp_path, SCHEDULE_2030)  # December 2030 is scheduled; January 2031 is not yet
    merchant = MerchantFactory(region_id="410802")
    # Decided in a year still to come (the service refuses future dates, so the row is written here with
    # the window the service would compute).
    window = penalty_publicity_window(
        decided_on=date(2030, 12, 20), tier=PenaltyTier.MODERATE, kind=PenaltyKind.FINE, rules={}, months=6
    )
    penalty = Penalty.objects.create(
        merchant=merchant,
        decision_number="焦市监处罚〔2030〕77号",
        decided_on=date(2030, 12, 20),
        legal_basis="《中华人民共和国价格法》第四十二条",
        kind=PenaltyKind.FINE,
        tier=PenaltyTier.MODERATE,
        fine_yuan=2000,
        **window,
    )
    # Fri 20 Dec 2030 + 20 Monday–Friday days: 23–27 (5), 30–31 (7), 1–3 Jan (10), 6–10 (15), 13–17 (20).
    assert (penalty.publish_by, penalty.publish_by_provisional) == (date(2031, 1, 17), True)
    open_request = _repair(merchant, penalty, submitted=date(2030, 12, 27))
    decided = _repair(merchant, penalty, submitted=date(2030, 12, 27), status=RepairStatus.REFUSED)

    _load(tmp_path, SCHEDULE_2031)

    penalty.refresh_from_db()
    # With the schedule: 1–2 Jan off, Sat 4 Jan worked: 23–27 (5), 30–31 (7), 3 (8), 4 (9), 6–10 (14),
    # 13–17 (19), Mon 20 Jan (20).
    assert (penalty.publish_by, penalty.publish_by_provisional) == (date(2031, 1, 20), False)
    entry = audit_entries_for(penalty).get(action="penalty.deadline_recompute")
    assert (entry.data["from"], entry.data["to"]) == ("2031-01-17", "2031-01-20")

    open_request.refresh_from_db()
    # Fri 27 Dec 2030 + 7: 30, 31, (1–2 off), 3, Sat 4, 6, 7, Wed 8.
    assert (open_request.decide_by, open_request.decide_by_provisional) == (date(2031, 1, 8), False)
    assert audit_entries_for(open_request).filter(action="repair.deadline_recompute").count() == 1

    decided.refresh_from_db()
    assert (decided.decide_by, decided.decide_by_provisional) == (date(2031, 1, 7), True)
    assert not audit_entries_for(decided).filter(action="repair.deadline_recompute").exists()

    _load(tmp_path, SCHEDULE_2031)  # entering the same schedule again changes nothing more
    assert audit_entries_for(penalty).filter(action="penalty.deadline_recompute").count() == 1
    assert Penalty.objects.get(pk=penalty.pk).publish_by == date(2031, 1, 20)
