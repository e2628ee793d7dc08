"""Working-day deadlines across the 2026 Spring Festival (15–23 Feb off; Sat 14 and Sat 28 Feb worked)."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import DeadlineKind, Escalation, Status
from complaints.services import (
    complaint_accept,
    complaint_assign,
    complaints_escalate_overdue,
    days_left,
)
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.models import WorkingDayOverride

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db


def test_acceptance_deadline_skips_spring_festival_and_counts_makeup_saturday(regions, on_day):
    # Thu 12 Feb: Fri 13, Sat 14 (make-up), the holiday (15–23), Tue 24 … Fri 27, Sat 28 (make-up).
    on_day(date(2026, 2, 12))
    c = file_complaint()
    assert c.due_on == date(2026, 2, 28)


def test_acceptance_deadline_counts_the_second_makeup_saturday(regions, on_day):
    # Mon 23 Feb (holiday): Tue 24 … Fri 27, Sat 28 (make-up), Mon 2 Mar.
    on_day(date(2026, 2, 23))
    c = file_complaint()
    assert c.due_on == date(2026, 3, 3)


def test_report_decision_deadline_across_the_holiday(regions, on_day):
    on_day(date(2026, 2, 10))
    r = file_complaint(kind="report")
    # 15 working days from Tue 10 Feb: 11,12,13,14(Sat),24,25,26,27,28(Sat),2,3,4,5,6,9 Mar.
    assert r.due_on == date(2026, 3, 9)


def test_mediation_deadline_is_45_working_days_after_acceptance(city_staff, on_day):
    on_day(date(2026, 2, 2))
    c = file_complaint()
    on_day(date(2026, 2, 5))
    complaint_accept(complaint=c, actor=city_staff)
    c.refresh_from_db()
    # 45 working days after Thu 5 Feb 2026, skipping the festival and Qingming (4–6 Apr), counting 14 & 28 Feb.
    assert c.due_on == date(2026, 4, 16)


def test_local_override_moves_the_deadline(regions, on_day):
    WorkingDayOverride.objects.create(date=date(2026, 11, 4), is_working_day=False, reason="本地停电")
    on_day(date(2026, 11, 2))
    assert file_complaint().due_on == date(2026, 11, 12)


def test_days_left_counts_working_days_and_goes_negative(regions, on_day):
    on_day(date(2026, 2, 12))
    c = file_complaint()
    assert days_left(c) == 7
    on_day(date(2026, 2, 24))
    assert days_left(c) == 4
    on_day(date(2026, 3, 2))
    assert days_left(c) == -1


def test_overdue_item_is_escalated_once_to_the_city(regions, on_day):
    on_day(date(2026, 2, 12))
    c = file_complaint()
    on_day(date(2026, 3, 2))
    first = complaints_escalate_overdue()
    second = complaints_escalate_overdue()
    on_day(date(2026, 3, 3))
    third = complaints_escalate_overdue()
    assert (first.escalated, second.escalated, third.escalated) == (1, 0, 0)
    esc = Escalation.objects.get(complaint=c)
    assert esc.deadline == DeadlineKind.ACCEPTANCE and esc.due_on == date(2026, 2, 28)
    assert esc.escalated_to_id == "410800"
    assert audit_entries_for(c).filter(action="complaint.escalate").count() == 1


def test_item_due_today_is_not_escalated(regions, on_day):
    on_day(date(2026, 2, 12))
    file_complaint()
    on_day(date(2026, 2, 28))
    assert complaints_escalate_overdue().escalated == 0
    assert not Escalation.objects.exists()


def test_late_acceptance_is_recorded_and_resolves_the_escalation(city_staff, on_day):
    on_day(date(2026, 2, 12))
    c = file_complaint()
    on_day(date(2026, 3, 2))
    complaints_escalate_overdue()
    complaint_accept(complaint=c, actor=city_staff)
    c.refresh_from_db()
    assert c.closed_late
    assert Escalation.objects.get(complaint=c).resolved_at is not None


def test_next_deadline_is_escalated_separately(city_staff, on_day):
    on_day(date(2026, 2, 12))
    c = file_complaint()
    on_day(date(2026, 3, 2))
    complaints_escalate_overdue()
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    on_day(date(2026, 7, 1))
    assert complaints_escalate_overdue().escalated == 1
    kinds = sorted(Escalation.objects.filter(complaint=c).values_list("deadline", flat=True))
    assert kinds == [DeadlineKind.ACCEPTANCE, DeadlineKind.MEDIATION]


def test_closed_items_are_not_escalated(city_staff, on_day):
    on_day(date(2026, 2, 12))
    c = file_complaint()
    from complaints.services import complaint_reject

    complaint_reject(complaint=c, actor=city_staff, reason="outside_remit")
    on_day(date(2026, 5, 1))
    assert complaints_escalate_overdue().escalated == 0


def test_unanswered_merchant_is_flagged_once_and_rating_marked_stale(city_staff, merchant, on_day):
    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    c.refresh_from_db()
    assert c.merchant_reply_due_on == date(2026, 11, 11)
    on_day(date(2026, 11, 12))
    assert complaints_escalate_overdue().unanswered == 1
    assert complaints_escalate_overdue().unanswered == 0
    c.refresh_from_db()
    merchant.refresh_from_db()
    assert c.merchant_unanswered and merchant.rating_stale
    assert audit_entries_for(c).filter(action="complaint.merchant_unanswered").count() == 1


def test_beat_task_runs_the_sweep(regions, on_day):
    from complaints.tasks import escalate_overdue

    on_day(date(2026, 2, 12))
    file_complaint()
    on_day(date(2026, 3, 2))
    assert escalate_overdue.delay().get() == {"odr_expired": 0, "unanswered": 0, "escalated": 1}
    assert Escalation.objects.count() == 1
    assert Status.RECEIVED
