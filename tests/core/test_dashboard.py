"""The district dashboard (/admin/dashboard/, core.dashboard): figures against hand-counted fixtures, region
scoping (also through URL parameters), the Excel download carries the same figures, a bounded query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrity_portal.core import dashboard as core_dashboard
from integrity_portal.core.dashboard import dashboard_figures
from integrity_portal.core.errors import NotFound, ValidationFailed
from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, UserFactory, make_staff

CITY = "410800"
JIEFANG = "410802"
ZHONGZHAN = "410803"
TODAY = dt.date(2026, 11, 18)
NOVEMBER, OCTOBER, SEPTEMBER = dt.date(2026, 11, 1), dt.date(2026, 10, 1), dt.date(2026, 9, 1)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def today(monkeypatch):
    from integrity_portal.core import workdays

    monkeypatch.setattr(workdays, "today", lambda: TODAY)
    return TODAY


def complaint(
    *,
    region=JIEFANG,
    received,
    kind="report",
    status="received",
    category="price",
    channel="portal",
    **fields,
):
    from complaints.models import Complaint

    values = dict(
        kind=kind,
        status=status,
        region_id=region,
        category=category,
        channel=channel,
        description="测试",
        received_at=received,
        target_name="无名小店",
    )
    if kind == "complaint":
        values.update(complainant_name="李四", complainant_phone="13800000000")
    values.update(fields)
    return Complaint.objects.create(**values)


@pytest.fixture
def facts(regions, today):
    """Hand-made figures (the expected numbers are written out in each test):

    Jiefang (410802): reports received 3 Nov (closed on time 10 Nov, case opened), 30 Oct 23:30 local
    (closed late 2 Nov), 1 Oct 00:10 local = 30 Sep UTC (open, due 15 Oct: overdue), 31 Aug (August), a
    complaint by hotline 12315 on 5 Nov (open, due 30 Nov: not overdue);
    Zhongzhan (410803): a report on 20 Sep, category quality, closed 25 Oct on time; a report 1 Dec 2025
    (the first month of the window) and one 30 Nov 2025 (outside the window).
    """
    complaint(received=at(dt.date(2026, 11, 3)), status="case_opened", closed_at=at(dt.date(2026, 11, 10)))
    complaint(
        received=at(dt.date(2026, 10, 30), 23, 30),
        status="not_opened",
        closed_at=at(dt.date(2026, 11, 2)),
        closed_late=True,
        category="quality",
    )
    complaint(received=at(dt.date(2026, 10, 1), 0, 10), due_on=dt.date(2026, 10, 15), channel="12345")
    complaint(received=at(dt.date(2026, 8, 31)), category="service", due_on=dt.date(2026, 12, 1))
    complaint(
        kind="complaint",
        received=at(dt.date(2026, 11, 5)),
        status="accepted",
        channel="12315",
        due_on=dt.date(2026, 11, 30),
    )
    complaint(
        region=ZHONGZHAN,
        received=at(dt.date(2026, 9, 20)),
        category="quality",
        status="case_opened",
        closed_at=at(dt.date(2026, 10, 25)),
    )
    complaint(region=ZHONGZHAN, received=at(dt.date(2025, 12, 1), 0, 5), status="received")
    complaint(region=ZHONGZHAN, received=at(dt.date(2025, 11, 30), 23, 50), status="received")


@pytest.fixture
def city_user(regions):
    return make_staff(CITY, StaffRole.CITY_BUREAU)


@pytest.fixture
def district_user(regions):
    return make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)


def row(table, label):
    return next(r for r in table.rows if r[0] == label)


# --- complaints -------------------------------------------------------------------------------------


def test_monthly_complaint_figures_match_the_hand_count(facts, city_user):
    figures = dashboard_figures(viewer=city_user)
    assert figures.month == NOVEMBER
    assert [m.isoformat() for m in figures.months][:2] == ["2025-12-01", "2026-01-01"]
    monthly = figures.table("complaints_monthly")
    # month, received, complaints, reports, closed, on time, late, on-time rate, overdue (by deadline month)
    assert row(monthly, "2026-11") == ["2026-11", 2, 1, 1, 2, 1, 1, 50.0, 0]
    # 1 Oct 00:10 local (30 Sep 16:10 UTC) is October's; the one received 30 Oct 23:30 and closed 2 Nov too
    assert row(monthly, "2026-10") == ["2026-10", 2, 0, 2, 1, 1, 0, 100.0, 1]
    assert row(monthly, "2026-09") == ["2026-09", 1, 0, 1, 0, 0, 0, None, 0]
    assert row(monthly, "2026-08") == ["2026-08", 1, 0, 1, 0, 0, 0, None, 0]
    assert row(monthly, "2025-12") == ["2025-12", 1, 0, 1, 0, 0, 0, None, 0]  # 30 Nov 2025 is outside
    assert sum(r[1] for r in monthly.rows) == 7
    assert monthly.data[NOVEMBER]["on_time_rate"] == 50.0


def test_districts_side_by_side_for_the_city(facts, city_user):
    figures = dashboard_figures(viewer=city_user)
    assert [c.code for c in figures.columns][:2] == [JIEFANG, ZHONGZHAN]
    districts = figures.table("complaints_districts")
    # district, month received, month closed, month rate, 12-month received, closed, rate, overdue now
    assert row(districts, "解放区") == ["解放区", 2, 2, 50.0, 5, 2, 50.0, 1]
    assert row(districts, "中站区") == ["中站区", 0, 0, None, 2, 1, 100.0, 0]
    assert row(districts, "马村区") == ["马村区", 0, 0, None, 0, 0, None, 0]
    assert districts.rows[-1] == ["合计", 2, 2, 50.0, 7, 3, 66.7, 1]
    rates = figures.table("complaints_on_time_by_district")
    assert row(rates, "2026-10")[1:3] == [None, 100.0]  # Jiefang closed nothing in October, Zhongzhan on time


def test_category_and_channel_counts(facts, city_user):
    figures = dashboard_figures(viewer=city_user)
    categories = figures.table("complaints_by_category")
    assert categories.header[:3] == ["问题类别", "解放区", "中站区"]
    # 12-month window per district … total, then this month
    assert row(categories, "价格")[1:3] == [3, 1] and row(categories, "价格")[-2:] == [4, 2]
    assert row(categories, "商品质量")[1:3] == [1, 1] and row(categories, "商品质量")[-2:] == [2, 0]
    assert row(categories, "服务")[-2:] == [1, 0]
    channels = figures.table("complaints_by_channel")
    assert channels.data["12315"] == {"window": 1, "month": 1}
    assert channels.data["12345"] == {"window": 1, "month": 0}
    assert channels.data["portal"] == {"window": 5, "month": 1}


def test_an_earlier_month_shifts_the_window(facts, city_user):
    figures = dashboard_figures(viewer=city_user, region=ZHONGZHAN, month=OCTOBER)
    monthly = figures.table("complaints_monthly")
    assert [r[0] for r in monthly.rows][0] == "2025-11" and monthly.rows[-1][0] == "2026-10"
    assert row(monthly, "2025-11")[1] == 1  # 30 Nov 2025 23:50 local
    assert row(monthly, "2026-10")[4:8] == [1, 1, 0, 100.0]
    assert figures.table("complaints_on_time_by_district") is None  # one district: no side-by-side table


# --- scoping ----------------------------------------------------------------------------------------


def test_a_district_user_sees_only_its_district(facts, district_user):
    figures = dashboard_figures(viewer=district_user)
    assert figures.region_code == JIEFANG
    assert [c.code for c in figures.columns] == [JIEFANG]
    assert sum(r[1] for r in figures.table("complaints_monthly").rows) == 5  # never Zhongzhan's 2
    with pytest.raises(NotFound):
        dashboard_figures(viewer=district_user, region=ZHONGZHAN)
    with pytest.raises(NotFound):
        dashboard_figures(viewer=district_user, region=CITY)


def test_no_future_month(facts, city_user):
    with pytest.raises(ValidationFailed):
        dashboard_figures(viewer=city_user, month=dt.date(2026, 12, 1))


# --- stars, penalties, black list -----------------------------------------------------------------


def rate_at(merchant, stars, when):
    from merchants.models import Rating

    rating = Rating.objects.create(merchant=merchant, stars=stars, computed_at=when)
    type(merchant).objects.filter(pk=merchant.pk).update(stars=stars, current_rating=rating)
    return rating


def test_star_distribution_and_change_since_last_month(regions, today, city_user):
    from merchants.models import Merchant

    a, b, c = MerchantFactory.create_batch(3)  # Jiefang
    d = MerchantFactory(region_id=ZHONGZHAN)
    Merchant.objects.update(created_at=at(dt.date(2026, 1, 5)))
    rate_at(a, 4, at(dt.date(2026, 9, 3)))
    rate_at(a, 5, at(dt.date(2026, 11, 2)))  # 4 → 5 this month
    rate_at(b, 3, at(dt.date(2026, 10, 31), 23, 59))  # still October
    rate_at(d, 3, at(dt.date(2026, 11, 1), 0, 1))  # first rated this month
    figures = dashboard_figures(viewer=city_user)
    stars = figures.table("stars")
    # level, Jiefang, Zhongzhan, (8 more districts), total, total at the end of October, change
    assert row(stars, "5 星")[1:3] == [1, 0] and row(stars, "5 星")[-3:] == [1, 0, 1]
    assert row(stars, "4 星")[-3:] == [0, 1, -1]
    assert row(stars, "3 星")[1:3] == [1, 1] and row(stars, "3 星")[-3:] == [2, 1, 1]
    assert row(stars, "未评级")[1:3] == [1, 0] and row(stars, "未评级")[-3:] == [
        1,
        2,
        -1,
    ]  # c; c and d before
    assert stars.data["change"] == {5: 1, 4: -1, 3: 1, 2: 0, 1: 0, 0: 0, "unrated": -1}
    october = dashboard_figures(viewer=city_user, month=OCTOBER).table("stars")
    assert october.data["end"][4] == 1 and october.data["end"][3] == 1
    assert october.data["previous"][4] == 1 and october.data["previous"][3] == 0  # end of September
    assert october.data["previous"]["unrated"] == 3


def test_penalties_and_black_list(regions, today, city_user):
    from merchants.models import ListEntry, Penalty

    a = MerchantFactory()
    b = MerchantFactory(region_id=ZHONGZHAN)

    def penalty(merchant, day, fine, **kw):
        return Penalty.objects.create(
            merchant=merchant,
            decision_number=f"焦市监罚〔2026〕{Penalty.objects.count() + 1}号",
            decided_on=day,
            legal_basis="《价格法》",
            kind="fine",
            fine_yuan=Decimal(fine),
            tier="moderate",
            **kw,
        )

    penalty(a, dt.date(2026, 11, 2), "1000.50")
    penalty(a, dt.date(2026, 10, 31), "2000")
    penalty(b, dt.date(2026, 11, 17), "500")
    penalty(b, dt.date(2026, 11, 16), "9999", revoked_at=timezone.now())  # revoked: not counted

    def black(merchant, valid_from, **kw):
        return ListEntry.objects.create(
            merchant=merchant,
            list_name="black",
            kind="serious_dishonesty",
            reason="测试",
            legal_basis="测试",
            decision_number=f"X{ListEntry.objects.count()}",
            decided_by="焦作市市场监督管理局",
            valid_from=valid_from,
            **kw,
        )

    black(a, dt.date(2026, 11, 3))
    black(b, dt.date(2026, 6, 1))
    black(b, dt.date(2026, 5, 1), ended_at=at(dt.date(2026, 7, 1)))  # removed in July
    figures = dashboard_figures(viewer=city_user)
    monthly = figures.table("penalties_monthly")
    assert row(monthly, "2026-11") == ["2026-11", 2, Decimal("1500.50"), 1]
    assert row(monthly, "2026-10") == ["2026-10", 1, Decimal("2000"), 0]
    assert row(monthly, "2026-05")[3] == 1 and row(monthly, "2026-06")[3] == 1
    districts = figures.table("penalties_districts")
    # district, this month, 12 months, fines, black-listed this month, black list in force at month end
    assert row(districts, "解放区") == ["解放区", 1, 2, Decimal("3000.50"), 1, 1]
    assert row(districts, "中站区") == ["中站区", 1, 1, Decimal("500"), 0, 1]
    assert districts.rows[-1] == ["合计", 2, 3, Decimal("3500.50"), 1, 2]
    june = dashboard_figures(viewer=city_user, month=dt.date(2026, 6, 1)).table("penalties_districts")
    assert row(june, "中站区")[5] == 2  # the entry removed in July was still in force at the end of June


# --- the registry -----------------------------------------------------------------------------------


def test_a_registered_provider_adds_its_section_and_an_absent_one_changes_nothing(facts, city_user):
    keys = core_dashboard.dashboard_providers()
    assert {
        "complaints",
        "merchants.stars",
        "merchants.penalties",
        "campaigns.psa",
        "campaigns.campaign",
    } <= set(keys)

    def extra(scope):
        return core_dashboard.Section(
            key="extra",
            title="另一项",
            tables=[core_dashboard.FigureTable(key="plans", title="抽查计划", header=["辖区"], rows=[["x"]])],
        )

    core_dashboard.register_dashboard_provider("test.extra", figures=extra, order=70)
    try:
        figures = dashboard_figures(viewer=city_user)
        assert figures.section("extra").table("plans").rows == [["x"]]
        assert figures.sections[-1].key == "extra"  # in provider order
    finally:
        core_dashboard.unregister_dashboard_provider("test.extra")
    assert dashboard_figures(viewer=city_user).section("extra") is None
    # without the spot-check app's provider the rest of the dashboard is unchanged
    spotchecks = next(p for p in core_dashboard._providers.values() if p.key == "spotchecks")
    core_dashboard.unregister_dashboard_provider("spotchecks")
    try:
        figures = dashboard_figures(viewer=city_user)
        assert figures.section("spotchecks") is None and figures.table("complaints_monthly") is not None
    finally:
        core_dashboard.register_dashboard_provider(
            "spotchecks", figures=spotchecks.figures, order=spotchecks.order
        )


# --- the page and the download ----------------------------------------------------------------------


def test_the_page_shows_charts_with_their_tables(facts, city_user, client):
    client.force_login(city_user)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="dashboard-chart"' in html
    assert 'aria-describedby="table-complaints_monthly"' in html
    assert '<table id="table-complaints_monthly"' in html and "<caption>投诉举报受理与办结（按月）" in html
    assert "format=xlsx&amp;table=complaints_monthly" in html
    assert "<script" not in html.split('id="dashboard"', 1)[1]  # no script needed for the charts


def test_the_page_is_linked_from_the_admin_header(city_user, client):
    client.force_login(city_user)
    html = client.get("/admin/complaints/complaint/").content.decode()
    assert 'href="/admin/dashboard/"' in html


def test_a_district_user_cannot_reach_another_district_by_url(facts, district_user, client):
    client.force_login(district_user)
    assert client.get("/admin/dashboard/").status_code == 200
    assert client.get(f"/admin/dashboard/?region={ZHONGZHAN}").status_code == 404
    assert client.get(f"/admin/dashboard/?region={CITY}").status_code == 404
    assert client.get(f"/admin/dashboard/?region={ZHONGZHAN}&format=xlsx").status_code == 404


def test_bad_parameters_get_a_clear_error(facts, city_user, client):
    client.force_login(city_user)
    response = client.get("/admin/dashboard/?month=2026-13")
    assert response.status_code == 400 and "月份格式应为 YYYY-MM" in response.content.decode()
    response = client.get("/admin/dashboard/?month=2027-01")
    assert response.status_code == 400 and "不能查看尚未到来的月份" in response.content.decode()
    response = client.get("/admin/dashboard/?format=pdf")
    assert response.status_code == 400 and "只提供 Excel" in response.content.decode()
    assert client.get("/admin/dashboard/?format=xlsx&table=nope").status_code == 404
    assert client.get("/admin/dashboard/?region=999999").status_code == 404


def test_staff_without_a_region_and_the_public_are_refused(regions, client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/dashboard/").status_code == 403
    client.logout()
    assert client.get("/admin/dashboard/").status_code == 302  # to the admin login


def test_a_superuser_chooses_a_city(facts, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/dashboard/?region=411000")
    assert response.status_code == 200
    assert response.context["figures"].region_name == "许昌市"
    assert '<option value="410800">焦作市</option>' in response.content.decode()
    # a superuser who also holds a district profile still starts at a city
    admin_user = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH, is_superuser=True)
    client.force_login(admin_user)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200 and response.context["figures"].region_code == "150300"


def test_the_excel_download_holds_the_same_figures(facts, city_user, client):
    from openpyxl import load_workbook

    client.force_login(city_user)
    response = client.get("/admin/dashboard/?format=xlsx&month=2026-11")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    figures = dashboard_figures(viewer=city_user)
    assert len(book.sheetnames) == len(figures.tables())
    sheet = book[book.sheetnames[0]]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["月份", "登记", "其中投诉"]
    november = next(r for r in rows if r[0] == "2026-11")
    assert november == ["2026-11", 2, 1, 1, 2, 1, 1, 50, 0]
    one = client.get("/admin/dashboard/?format=xlsx&table=complaints_districts")
    book = load_workbook(io.BytesIO(one.content), read_only=True)
    rows = [list(r) for r in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert rows[1] == ["解放区", 2, 2, 50, 5, 2, 50, 1]
    assert rows[-1] == ["合计", 2, 2, 50, 7, 3, 66.7, 1]


def test_query_count_is_bounded_whatever_the_number_of_districts_and_merchants(facts, city_user, client):
    client.force_login(city_user)
    client.get("/admin/dashboard/")  # session, permissions and caches warmed
    MerchantFactory.create_batch(5)
    MerchantFactory.create_batch(5, region_id=ZHONGZHAN)
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/dashboard/").status_code == 200
    figures_queries = [q for q in queries.captured_queries if "django_session" not in q["sql"]]
    assert len(figures_queries) <= 30, "\n".join(q["sql"][:120] for q in figures_queries)


def test_spot_check_progress_per_district(regions, today, city_user):
    from spotchecks.models import SpotCheckPlan, SpotCheckTask
    from tests.factories import make_inspector

    one, two = make_inspector(JIEFANG), make_inspector(JIEFANG)
    plan = SpotCheckPlan.objects.create(
        region_id=CITY,
        title="2026年第一批",
        year=2026,
        due_on=dt.date(2026, 12, 31),
        items=["metrology"],
        status="drawn",
    )
    SpotCheckPlan.objects.create(
        region_id=CITY, title="草稿", year=2026, due_on=dt.date(2026, 12, 31), items=[]
    )
    merchants = MerchantFactory.create_batch(4) + [MerchantFactory(region_id=ZHONGZHAN)]
    statuses = [
        ("done", dt.date(2026, 11, 30)),
        ("merchant_closed", dt.date(2026, 11, 30)),
        ("open", dt.date(2026, 11, 17)),  # overdue (today is 18 November)
        ("open", dt.date(2026, 11, 18)),  # due today: not overdue
        ("escalated", dt.date(2026, 10, 1)),  # Zhongzhan, overdue
    ]
    for rank, (merchant, (status, due)) in enumerate(zip(merchants, statuses, strict=True), start=1):
        SpotCheckTask.objects.create(
            plan=plan,
            merchant=merchant,
            region_id=merchant.region_id,
            credit_class="B",
            draw_rank=rank,
            token=f"T{rank}",
            salt="s",
            inspector_1=one,
            inspector_2=two,
            due_on=due,
            status=status,
        )
    table = dashboard_figures(viewer=city_user).table("spotchecks")
    # district, drawn, inspected, closed, open, overdue, finished %
    assert row(table, "解放区") == ["解放区", 4, 1, 1, 2, 1, 50.0]
    assert row(table, "中站区") == ["中站区", 1, 0, 0, 1, 1, 0.0]
    assert table.rows[-1] == ["合计", 5, 1, 1, 3, 2, 40.0]
    assert table.data["plans"] == {"drawn": 1}  # the draft is not counted


def test_charts_escape_text_and_skip_missing_values():
    from integrity_portal.core.charts import chart_svg
    from integrity_portal.core.dashboard import Chart

    chart = Chart(
        kind="line", categories=["<b>一</b>", "二", "三"], series=[("率 & 量", [50.0, None, 100.0])], unit="%"
    )
    svg = str(chart_svg(chart, title='<script>alert("x")</script>', described_by="table-x"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;一&lt;/b&gt;" in svg
    assert 'role="img"' in svg and 'aria-describedby="table-x"' in svg
    assert "率 &amp; 量" in svg
    assert svg.count("<circle") == 2  # the missing value is not drawn
    bars = str(chart_svg(Chart(kind="bar", categories=["a", "b"], series=[("n", [3, 5])]), title="t"))
    assert bars.count("<rect") == 2 + 1  # two bars and the legend swatch
    assert ">8</text>" in bars  # counts get whole-number ticks: 0, 2, 4, 6, 8


def test_tables_escape_text_and_show_missing_values_as_a_dash():
    from integrity_portal.core.dashboard import FigureTable
    from integrity_portal.core.views_dashboard import table_html

    table = FigureTable(
        key="t", title="<i>活动</i>", header=["项", "<b>数</b>"], rows=[["<x>", None], ["y", 3]]
    )
    html = str(table_html(table, "table-t"))
    assert "<i>" not in html and "<x>" not in html and "&lt;b&gt;数&lt;/b&gt;" in html
    assert '<table id="table-t" class="dashboard-table"><caption>&lt;i&gt;活动&lt;/i&gt;</caption>' in html
    assert (
        '<tr><th scope="row">&lt;x&gt;</th><td>—</td></tr><tr><th scope="row">y</th><td>3</td></tr>' in html
    )


def test_the_page_and_its_download_share_figures_cached_for_two_minutes(facts, city_user, client):
    from django.core.cache import cache

    from integrity_portal.core.views_dashboard import FIGURES_CACHE_SECONDS

    client.force_login(city_user)
    first = client.get("/admin/dashboard/")
    assert "统计于" in first.content.decode() and FIGURES_CACHE_SECONDS == 120
    complaint(received=at(dt.date(2026, 11, 17)))  # arrives after the figures were computed
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/admin/dashboard/")
    assert not any("complaints_complaint" in q["sql"] for q in queries.captured_queries)
    assert again.context["figures"].table("complaints_monthly").data[NOVEMBER]["received"] == 2
    cache.clear()
    assert (
        client.get("/admin/dashboard/")
        .context["figures"]
        .table("complaints_monthly")
        .data[NOVEMBER]["received"]
        == 3
    )


def test_the_dashboard_speaks_english(facts, city_user, client, settings):
    client.force_login(city_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/admin/dashboard/").content.decode()
    assert "<caption>Complaints and reports received and closed (by month)" in html
    assert "On-time rate (%)" in html and "Integrity star distribution (now)" in html
    assert "Download all (Excel)" in html


def test_current_stars_read_the_entities_once_and_new_entities_count_only_now(regions, today, city_user):
    """The current distribution and "existed at the previous month end" come from one grouped scan of the
    entities (an index-only scan of ``merchant_region_stars_idx`` on PostgreSQL); when the current
    distribution comes from the cache, the previous month end counts its entities itself: same figures."""
    from django.core.cache import cache

    from integrity_portal.core.dashboard import build_scope
    from merchants.models import Merchant
    from merchants.selectors.dashboard import stars_cache_key

    old, unrated_old, new = MerchantFactory.create_batch(3)  # Jiefang
    Merchant.objects.update(created_at=at(dt.date(2026, 1, 5)))
    Merchant.objects.filter(pk=new.pk).update(created_at=at(dt.date(2026, 11, 3)))  # created this month
    rate_at(old, 4, at(dt.date(2026, 10, 2)))
    rate_at(new, 2, at(dt.date(2026, 11, 4)))
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        stars = dashboard_figures(viewer=city_user).table("stars")
    entity_scans = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "merchants_merchant"' in q["sql"]
        and ('"merchants_merchant"."stars"' in q["sql"] or '"merchants_merchant"."created_at" <' in q["sql"])
    ]
    assert len(entity_scans) == 1, entity_scans
    expected = {
        "end": {5: 0, 4: 1, 3: 0, 2: 1, 1: 0, 0: 0, "unrated": 1},
        "previous": {5: 0, 4: 1, 3: 0, 2: 0, 1: 0, 0: 0, "unrated": 1},  # the new entity did not exist yet
        "change": {5: 0, 4: 0, 3: 0, 2: 1, 1: 0, 0: 0, "unrated": 0},
    }
    assert stars.data == expected
    assert row(stars, "2 星")[1] == 1 and row(stars, "未评级")[1] == 1

    # The current distribution cached, the end of October not: counted apart, the same figures.
    scope = build_scope(viewer=city_user)
    cache.delete(stars_cache_key(scope, "20261101"))
    again = dashboard_figures(viewer=city_user).table("stars")
    assert again.data == expected
