"""The staff workbench (/admin/, core/workbench.py): one queue of what waits for the user or their region,
overdue first, then by due date, empty dates last; bounded queries; due dates in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint, Status
from integrity_portal.core import workdays
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.workbench import (
    PER_SOURCE_LIMIT,
    WorkSource,
    due_in_words,
    register_work_source,
    work_sources,
    workbench_for,
)
from merchants.models import RatingReply, Region
from tests.complaints.conftest import CITY, JIEFANG, ZHONGZHAN, file_complaint
from tests.factories import MerchantFactory, UserFactory, make_staff

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(workdays, "today", lambda: TODAY)
    return TODAY


def _complaint(
    region: str, due: date | None, *, status: str = Status.RECEIVED, kind: str = "complaint", **extra
):
    c = file_complaint(region_code=region, kind=kind, **extra)
    Complaint.objects.filter(pk=c.pk).update(due_on=due, status=status)  # the deadline under test
    c.refresh_from_db()
    return c


def _reply(merchant) -> RatingReply:
    return RatingReply.objects.create(merchant=merchant, text="我们已整改。", submitted_by=UserFactory())


@pytest.fixture
def queue(regions, today):
    """Jiefang: two overdue, one due today, one in 3 working days, one report, a reply without a due date,
    a closed complaint; Zhongzhan: one overdue complaint and one reply."""
    jiefang_shop = MerchantFactory(name="解放区百货店")
    zhongzhan_shop = MerchantFactory(name="中站区粮油店", region=Region.objects.get(code=ZHONGZHAN))
    return {
        "later": _complaint(JIEFANG, TODAY + timedelta(days=5), status=Status.ASSIGNED),  # Mon 7th: 3 wd
        "late_1": _complaint(JIEFANG, TODAY - timedelta(days=1)),
        "late_5": _complaint(JIEFANG, TODAY - timedelta(days=5), status=Status.MEDIATING),
        "today": _complaint(JIEFANG, TODAY, status=Status.ACCEPTED),
        "report": _complaint(JIEFANG, TODAY + timedelta(days=14), status=Status.VERIFYING, kind="report"),
        "reply": _reply(jiefang_shop),
        "closed": _complaint(JIEFANG, None, status=Status.MEDIATED),
        "other_late": _complaint(ZHONGZHAN, TODAY - timedelta(days=3)),
        "other_reply": _reply(zhongzhan_shop),
    }


def _url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def test_district_clerk_gets_exactly_their_items_overdue_first_empty_dates_last(queue):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)
    board = workbench_for(clerk)

    expected = ["late_5", "late_1", "today", "later", "report", "reply"]
    assert [i.url for i in board.items] == [_url(queue[k]) for k in expected]
    assert [i.overdue for i in board.items] == [True, True, False, False, False, False]
    assert [i.due_words for i in board.items][:4] == ["超期 5 日", "超期 1 日", "今日到期", "还剩 3 个工作日"]
    assert board.items[-1].due_on is None and board.items[-1].due_words == "无期限"
    assert {i.region_code for i in board.items} == {JIEFANG}
    late = board.items[0]
    assert (late.kind, late.kind_label, late.reference, late.merchant) == (
        "complaint",
        "投诉",
        queue["late_5"].tracking_code,
        "无名小店",
    )
    assert late.status == "调解中"
    counts = {k.kind: (k.total, k.overdue) for k in board.kinds}
    assert counts["complaint"] == (4, 2) and counts["report"] == (1, 0) and counts["reply"] == (1, 0)
    assert board.regions == []  # one district: the kinds table says it all


def test_city_user_sees_every_district_with_counts_per_district(queue):
    city = make_staff(CITY, StaffRole.CITY_BUREAU)
    board = workbench_for(city)

    urls = [i.url for i in board.items]
    assert _url(queue["other_late"]) in urls and _url(queue["closed"]) not in urls
    assert urls[:3] == [_url(queue["late_5"]), _url(queue["other_late"]), _url(queue["late_1"])]
    assert set(urls[-2:]) == {_url(queue["reply"]), _url(queue["other_reply"])}  # no due date: last
    rows = {r.code: r for r in board.regions}
    kinds = [k.kind for k in board.kinds]
    assert rows[JIEFANG].name == "解放区" and rows[JIEFANG].counts[kinds.index("complaint")] == 4
    assert rows[ZHONGZHAN].counts[kinds.index("complaint")] == 1 and rows[ZHONGZHAN].total == 2


def test_inspectors_and_the_public_get_no_queue(queue):
    inspector = make_staff(JIEFANG, StaffRole.INSPECTOR)  # may view complaints, decides none
    assert "complaint" not in {k.kind for k in workbench_for(inspector).kinds}
    assert workbench_for(UserFactory()).items == []


def test_query_count_is_bounded_per_source_and_does_not_grow_with_the_queue(
    queue, django_assert_max_num_queries
):
    city = make_staff(CITY, StaffRole.CITY_BUREAU)
    workbench_for(city)  # warm the per-user permission cache and the calendar year
    with CaptureQueriesContext(connection) as small:
        workbench_for(city)
    for n in range(8):
        _complaint(JIEFANG, TODAY - timedelta(days=n))
        _reply(MerchantFactory())
    with CaptureQueriesContext(connection) as large:
        workbench_for(city)
    assert len(large) == len(small)
    # Two per source with rows (rows + COUNT), one per empty source, one for the working-day overrides.
    with django_assert_max_num_queries(2 * len(work_sources()) + 1):
        workbench_for(city)


def test_rows_per_source_are_limited_and_counted_in_full(queue):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)
    board = workbench_for(clerk, limit=2)
    complaints = [i for i in board.items if i.kind == "complaint"]
    assert len(complaints) == 2 and [i.reference for i in complaints] == [
        queue["late_5"].tracking_code,
        queue["late_1"].tracking_code,
    ]
    kind = next(k for k in board.kinds if k.kind == "complaint")
    assert (kind.total, kind.shown) == (4, 2)
    assert PER_SOURCE_LIMIT >= 20


def test_due_dates_in_words_use_the_working_day_calendar_and_english(db, today):
    friday = date(2026, 12, 4)
    monday = date(2026, 12, 7)
    assert due_in_words(friday, today=TODAY) == "还剩 2 个工作日"
    assert due_in_words(monday, today=TODAY) == "还剩 3 个工作日"  # the weekend does not count
    assert due_in_words(TODAY - timedelta(days=1), today=TODAY) == "超期 1 日"
    with translation.override("en"):
        assert due_in_words(friday, today=TODAY) == "2 working days left"
        assert due_in_words(TODAY - timedelta(days=1), today=TODAY) == "1 day overdue"
        assert due_in_words(TODAY, today=TODAY) == "Due today"
        assert due_in_words(None, today=TODAY) == "No deadline"


def test_working_days_from_matches_working_days_between(db, today):
    ends = [TODAY + timedelta(days=n) for n in (-9, -1, 0, 1, 3, 5, 40)]
    batch = workdays.working_days_from(TODAY, ends)
    assert batch == {e: workdays.working_days_between(TODAY, e) for e in ends}


def test_admin_home_is_the_workbench_with_direct_links(client, queue):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)
    client.force_login(clerk)
    page = client.get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200 and "workbench-queue" in html
    assert html.index(queue["late_5"].tracking_code) < html.index(queue["late_1"].tracking_code)
    assert _url(queue["late_5"]) in html and queue["other_late"].tracking_code not in html
    assert "超期 5 日" in html and reverse("admin-models") in html
    assert "workbench-regions" not in html


def test_superuser_keeps_the_model_list_one_click_away(client, regions, today):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert reverse("admin-models") in html and "模型列表" in html
    models = client.get(reverse("admin-models"))
    assert (
        models.status_code == 200
        and reverse("admin:complaints_complaint_changelist") in models.content.decode()
    )


def test_the_public_is_sent_to_the_staff_sign_in(client, regions):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_app_adds_a_source_by_registering_it(queue, monkeypatch):
    from integrity_portal.core import workbench

    monkeypatch.setattr(workbench, "_sources", dict(workbench._sources))
    register_work_source(
        WorkSource(
            name="closed_for_test",
            label="已办结（测试）",
            queryset=lambda user: Complaint.objects.filter(status=Status.MEDIATED),
            change_url="admin:complaints_complaint_change",
            region="region",
            merchant=("target_name",),
            order=1,
        )
    )
    board = workbench_for(make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH))
    assert board.kinds[0].kind == "closed_for_test" and board.kinds[0].total == 1
    assert _url(queue["closed"]) in [i.url for i in board.items]


@pytest.mark.postgres
def test_postgres_orders_overdue_first_and_empty_dates_last(require_postgres, queue):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)
    board = workbench_for(clerk)
    expected = ["late_5", "late_1", "today", "later", "report", "reply"]
    assert [i.url for i in board.items] == [_url(queue[k]) for k in expected]
