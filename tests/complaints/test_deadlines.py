"""Working-day deadlines across the 2026 Spring Festival (15–23 Feb off; Sat 14 and Sat 28 Feb worked)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from complaints.models import DeadlineKind, Escalation, Status
from complaints.selectors import days_left
from complaints.services import (
    complaint_accept,
    complaint_assign,
    complaints_escalate_overdue,
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


# ---------------------------------------------------------------------------------------------
# Provisional deadlines: a year without its official holiday schedule (issue #12 item 3).
# 2030 and 2031 are years chinesecalendar does not have; the schedules below are test data,
# loaded the way the bureau loads the State Council's notice.
# ---------------------------------------------------------------------------------------------
def _load(tmp_path, name: str, text: str) -> None:
    from django.core.management import call_command

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("load_holidays", str(path), verbosity=0)


SCHEDULE_2030 = "date,kind,name\n2030-10-01,holiday,测试国庆\n"
SCHEDULE_2031 = "date,kind,name\n2031-01-01,holiday,测试元旦\n2031-01-02,holiday,测试元旦\n2031-01-04,workday,测试调休\n"


def test_deadline_into_a_year_without_schedule_is_provisional_then_recomputed_on_load(
    regions, on_day, tmp_path, city_staff, client
):
    _load(tmp_path, "2030.csv", SCHEDULE_2030)
    on_day(date(2030, 12, 27))  # a Friday
    c = file_complaint()
    # Monday–Friday in 2031: 30, 31 Dec, 1, 2, 3, 6, 7 Jan.
    assert (c.due_on, c.deadline_provisional) == (date(2031, 1, 7), True)

    # Staff see it marked provisional in the list, the detail page and the API.
    client.force_login(city_staff)
    listing = client.get(reverse("admin:complaints_complaint_changelist")).content.decode()
    assert "暂定" in listing
    detail = client.get(reverse("admin:complaints_complaint_change", args=[c.pk])).content.decode()
    assert 'class="provisional"' in detail
    api = client.get("/api/v1/staff/complaints/").json()
    rows = api["results"] if isinstance(api, dict) else api
    assert {r["id"]: r["deadline_provisional"] for r in rows}[c.pk] is True

    _load(tmp_path, "2031.csv", SCHEDULE_2031)
    c.refresh_from_db()
    # 30, 31 Dec, (1–2 Jan off), Fri 3, Sat 4 (worked), Mon 6, Tue 7, Wed 8.
    assert (c.due_on, c.deadline_provisional) == (date(2031, 1, 8), False)
    entry = audit_entries_for(c).get(action="complaint.deadline_recompute")
    assert entry.data["changes"]["due_on"]["from"] == "2031-01-07"
    assert entry.data["changes"]["due_on"]["to"] == "2031-01-08"
    assert entry.data["year"] == 2031
    listing = client.get(reverse("admin:complaints_complaint_changelist")).content.decode()
    assert "暂定" not in listing


def test_a_closed_item_is_not_recomputed(regions, on_day, tmp_path, city_staff):
    from complaints.services import complaint_reject

    _load(tmp_path, "2030.csv", SCHEDULE_2030)
    on_day(date(2030, 12, 27))
    c = file_complaint()
    complaint_reject(complaint=c, actor=city_staff, reason="outside_remit")
    c.refresh_from_db()
    assert c.due_on is None and not c.deadline_provisional
    _load(tmp_path, "2031.csv", SCHEDULE_2031)
    assert not audit_entries_for(c).filter(action="complaint.deadline_recompute").exists()


def test_extension_of_a_provisional_deadline_is_recounted_from_the_same_start(
    regions, on_day, tmp_path, city_staff
):
    from complaints.services import report_extend

    _load(tmp_path, "2030.csv", SCHEDULE_2030)
    on_day(date(2030, 12, 27))
    r = file_complaint(kind="report")
    # 15 Mon–Fri days from Fri 27 Dec 2030: 30, 31 Dec, 1–3, 6–10, 13–17 Jan → Fri 17 Jan 2031.
    assert (r.due_on, r.deadline_provisional) == (date(2031, 1, 17), True)
    report_extend(complaint=r, actor=city_staff, reason="案情复杂需延期")
    r.refresh_from_db()
    # 30 Mon–Fri days: … 20–24, 27–31 Jan, 3–7 Feb → Fri 7 Feb 2031.
    assert (r.due_on, r.deadline_provisional) == (date(2031, 2, 7), True)
    _load(tmp_path, "2031.csv", SCHEDULE_2031)
    r.refresh_from_db()
    # Two holidays off, one Saturday worked: one working day later → Mon 10 Feb 2031.
    assert (r.due_on, r.deadline_provisional) == (date(2031, 2, 10), False)


def test_a_deadline_inside_a_scheduled_year_is_not_provisional(regions, on_day):
    on_day(date(2026, 9, 29))
    c = file_complaint()
    # Tue 29 Sep 2026 + 7: 30 Sep, 8, 9, 10 (Sat, worked), 12, 13, 14 Oct.
    assert (c.due_on, c.deadline_provisional) == (date(2026, 10, 14), False)


def test_the_daily_sweep_recounts_what_a_stale_process_left_provisional(regions, on_day, tmp_path):
    from integrity_portal.core.holidays import parse_schedule_csv
    from integrity_portal.core.models import HolidaySchedule, HolidayScheduleDay

    _load(tmp_path, "2030.csv", SCHEDULE_2030)
    on_day(date(2030, 12, 27))
    c = file_complaint()
    assert c.deadline_provisional
    # Another process entered 2031 without telling this one (rows written directly, no listener).
    schedule = HolidaySchedule.objects.create(year=2031, source="file")
    _year, days = parse_schedule_csv(SCHEDULE_2031)
    HolidayScheduleDay.objects.bulk_create(
        HolidayScheduleDay(schedule=schedule, date=d.date, kind=d.kind, name=d.name) for d in days
    )
    complaints_escalate_overdue()
    c.refresh_from_db()
    assert (c.due_on, c.deadline_provisional) == (date(2031, 1, 8), False)
    assert audit_entries_for(c).filter(action="complaint.deadline_recompute").exists()
