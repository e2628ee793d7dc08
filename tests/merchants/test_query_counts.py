"""Public pages and open-data endpoints cost a fixed number of queries whatever the row count (no N+1),
and their cache serves repeat visitors without queries until a change bumps the public pages version:
every write a public page shows bumps it once committed, so the next anonymous visit shows the change."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrity_portal.core.public_cache import public_pages_changed, public_pages_version
from merchants.models import ListEntryKind, Merchant, MerchantKind
from merchants.services.credit import list_entry_add_red
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, inspect, penalise, today

pytestmark = pytest.mark.django_db

DISTRICTS = ("410802", "410811", "411002")


def _queries(client, url: str) -> int:
    """Queries of one uncached request (the page cache is invalidated first; the region tree stays warm)."""
    client.get(url)
    public_pages_changed()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _listed(regions, n: int, start: int) -> None:
    """n more rated merchants in three districts inside one market, each black-listed and commended."""
    market = Merchant.objects.filter(kind=MerchantKind.MARKET).first() or MerchantFactory(
        kind=MerchantKind.MARKET, region=regions["410802"]
    )
    for i in range(start, start + n):
        m = MerchantFactory(region=regions[DISTRICTS[i % 3]], parent_market=market, stars=5 if i % 2 else 4)
        blacklist(m, number=f"焦市监失信〔2026〕{1000 + i}号")
        list_entry_add_red(
            merchant=m,
            kind="role_model",
            reason="诚信经营典型",
            legal_basis="创建活动方案",
            decision_number=f"焦文明办〔2026〕{1000 + i}号",
            valid_from=today(),
            valid_until=None,
            actor=None,
        )


PAGES = (
    "/merchants/",
    "/merchants/?region=410800&stars=5",
    "/lists/black/",
    "/lists/red/",
    "/api/v1/merchants/",
    "/api/v1/merchants/?region_code=410800&stars=5",
    "/api/v1/lists/black/",
    "/api/v1/lists/red/",
)


@pytest.mark.parametrize("url", PAGES)
def test_list_pages_cost_the_same_queries_for_3_and_30_rows(client, regions, url):
    _listed(regions, 3, 0)
    few = _queries(client, url)
    _listed(regions, 27, 3)
    assert _queries(client, url) == few


@pytest.mark.parametrize("url", ["/merchants/", "/merchants/?q=测试商户&sort=name", "/api/v1/merchants/"])
def test_black_list_badge_costs_no_query_per_row(client, regions, url):
    """Every listed merchant is black-listed: the badge (HTML) / flag (API) comes from one Exists column of
    the page's own query, so 3 and 30 rows cost the same."""

    def badges() -> int:
        cache.clear()  # the directory's total is cached for two minutes by itself
        response = client.get(url)
        if url.startswith("/api/"):
            return sum(1 for m in response.json()["results"] if m["black_listed"])
        return response.content.decode().count("badge-black-list")

    _listed(regions, 3, 0)
    few = _queries(client, url)
    assert badges() == 3
    _listed(regions, 27, 3)
    assert _queries(client, url) == few
    # Every merchant but the market is listed; the directory's first page holds 20 rows by name, the API 50.
    page = (
        Merchant.objects.order_by("name", "id")[:20]
        if not url.startswith("/api/")
        else Merchant.objects.all()
    )
    assert badges() == sum(1 for m in page if m.kind != MerchantKind.MARKET) >= 19


def test_profile_costs_the_same_queries_with_3_and_30_facts(client, regions):
    merchant = MerchantFactory(region=regions["410802"])

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            inspect(merchant, days_ago=10 + i)
            penalise(merchant, number=f"焦市监处罚〔2026〕{2000 + i}号")
            blacklist(merchant, kind=ListEntryKind.ABNORMAL_OPERATION, number=f"焦市监异常〔2026〕{i}号")
        ratings_recompute(merchant_ids=[merchant.pk])

    add(3, 0)
    few = _queries(client, f"/merchants/{merchant.pk}/")
    add(27, 3)
    assert _queries(client, f"/merchants/{merchant.pk}/") == few


@pytest.mark.parametrize("url", ["/lists/black/", "/lists/red/", "/api/v1/merchants/"])
def test_repeat_visit_is_served_from_the_cache_without_queries(client, regions, url):
    _listed(regions, 3, 0)
    first = client.get(url).content
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert len(ctx.captured_queries) == 0
    assert _strip_token(again.content) == _strip_token(first)


def test_directory_is_cached_only_from_its_second_request(client, regions):
    _listed(regions, 3, 0)
    url = "/merchants/?region=410800"
    client.get(url)
    client.get(url)  # asked twice: now stored
    with CaptureQueriesContext(connection) as ctx:
        assert "测试商户" in client.get(url).content.decode()
    assert len(ctx.captured_queries) == 0
    with CaptureQueriesContext(connection) as ctx:
        client.get("/merchants/?q=once")  # a one-off search is rendered, not stored
        client.get("/merchants/?q=once")
    assert len(ctx.captured_queries) > 0


def test_cached_profile_costs_no_queries(client, regions):
    merchant = MerchantFactory(region=regions["410802"], name="老街面馆")
    assert "老街面馆" in _cached_body(client, f"/merchants/{merchant.pk}/")


def test_unknown_profile_answers_404_every_time_and_is_never_stored(client, regions):
    assert client.get("/merchants/999999/").status_code == 404
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/merchants/999999/").status_code == 404
    assert len(ctx.captured_queries) > 0


# --- every write a public page shows makes the next anonymous visit show it --------------------------


def _cached_body(client, url: str) -> str:
    """The page as a repeat anonymous visitor gets it, proven to come from the cache (no query)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(ctx.captured_queries) == 0, url
    return response.content.decode()


@pytest.fixture
def clerk(regions):
    from integrity_portal.core.roles import StaffRole
    from tests.factories import make_staff

    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def rated(regions):
    merchant = MerchantFactory(region=regions["410802"], name="老街面馆")
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    return merchant


@pytest.fixture
def no_recompute(monkeypatch):
    """The recompute a decision queues has not run yet (a worker runs it later): only the service's own
    bump can make the change show."""
    monkeypatch.setattr("merchants.tasks.recompute_merchant_ratings.apply_async", lambda *a, **k: None)


def test_register_edit_in_the_admin_shows_at_once_on_the_cached_profile(
    client, clerk, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    from tests.merchants.register_helpers import merchant_change_data

    merchant = MerchantFactory(name="老街面馆")
    url = f"/merchants/{merchant.pk}/"
    assert "老街面馆" in _cached_body(client, url)
    staff = Client()
    staff.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:merchants_merchant_change", args=[merchant.pk]),
            merchant_change_data(merchant, name="老街新面馆"),
        )
    assert response.status_code == 302
    assert "老街新面馆" in client.get(url).content.decode()


def test_new_registration_shows_at_once_in_the_cached_open_data(
    client, regions, django_capture_on_commit_callbacks
):
    from merchants.services import merchant_save

    _cached_body(client, "/api/v1/merchants/")
    merchant = MerchantFactory.build(region=regions["410802"], name="新开张超市")
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=merchant, actor=None)
    assert "新开张超市" in client.get("/api/v1/merchants/").content.decode()


def test_deregistration_shows_at_once_on_the_cached_profile(
    client, regions, django_capture_on_commit_callbacks
):
    from merchants.models import MerchantStatus
    from merchants.services import merchant_save

    merchant = MerchantFactory(region=regions["410802"])
    url = f"/merchants/{merchant.pk}/"
    assert "该主体已注销" not in _cached_body(client, url)
    merchant.status = MerchantStatus.DEREGISTERED
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=merchant, actor=None, changed_fields=["status"])
    assert "该主体已注销" in client.get(url).content.decode()


def test_bulk_import_shows_at_once_in_the_cached_open_data(client, clerk, django_capture_on_commit_callbacks):
    import tablib

    from merchants.resources import MerchantResource
    from tests.merchants.test_import_export import HEADERS, row, uscc

    _cached_body(client, "/api/v1/merchants/")
    data = tablib.Dataset(
        row("导入一号店", code=uscc(101)), row("导入二号店", code=uscc(102)), headers=HEADERS
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = MerchantResource(user=clerk).import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    body = client.get("/api/v1/merchants/").content.decode()
    assert "导入一号店" in body and "导入二号店" in body


def test_market_rename_shows_at_once_on_its_stalls_cached_profile(
    client, regions, django_capture_on_commit_callbacks
):
    from merchants.services import merchant_save

    market = MerchantFactory(region=regions["410802"], kind=MerchantKind.MARKET, name="东方红农贸市场")
    stall = MerchantFactory(region=regions["410802"], parent_market=market)
    url = f"/merchants/{stall.pk}/"
    assert "东方红农贸市场" in _cached_body(client, url)
    market.name = "东方红综合市场"
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=market, actor=None, changed_fields=["name"])
    assert "东方红综合市场" in client.get(url).content.decode()


def test_region_rename_in_the_admin_shows_at_once_on_the_cached_profile(
    client, regions, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    from tests.factories import UserFactory

    merchant = MerchantFactory(region=regions["410802"])
    url = f"/merchants/{merchant.pk}/"
    assert "解放区" in _cached_body(client, url)
    admin_client = Client()
    admin_client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    district = regions["410802"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:merchants_region_change", args=[district.pk]),
            {
                "code": district.code,
                "name": "解放新区",
                "level": district.level,
                "parent": district.parent_id,
            },
        )
    assert response.status_code == 302
    assert "解放新区" in client.get(url).content.decode()


def test_deleted_entity_profile_answers_404_at_once(client, regions, django_capture_on_commit_callbacks):
    from django.test import Client
    from django.urls import reverse

    from tests.factories import UserFactory

    merchant = MerchantFactory(region=regions["410802"])
    url = f"/merchants/{merchant.pk}/"
    _cached_body(client, url)
    admin_client = Client()
    admin_client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:merchants_merchant_delete", args=[merchant.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert client.get(url).status_code == 404


def test_published_reply_shows_at_once_on_the_cached_profile(
    client, rated, django_capture_on_commit_callbacks
):
    from merchants.services import recourse

    url = f"/merchants/{rated.pk}/"
    reply = recourse.reply_submit(merchant=rated, text="欢迎监督", actor=None)
    assert "欢迎监督" not in _cached_body(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        recourse.reply_publish(reply=reply, actor=None, published_text="欢迎监督指正")
    assert "欢迎监督指正" in client.get(url).content.decode()


def test_withdrawn_reply_disappears_at_once_from_the_cached_profile(
    client, rated, django_capture_on_commit_callbacks
):
    from merchants.services import recourse

    url = f"/merchants/{rated.pk}/"
    reply = recourse.reply_submit(merchant=rated, text="欢迎监督指正", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        recourse.reply_publish(reply=reply, actor=None)
    assert "欢迎监督指正" in _cached_body(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        recourse.reply_withdraw(reply=reply, actor=None)
    assert "欢迎监督指正" not in client.get(url).content.decode()


def test_filed_appeal_shows_under_appeal_at_once(client, rated, django_capture_on_commit_callbacks):
    from merchants.services import recourse

    url = f"/merchants/{rated.pk}/"
    assert "申诉处理中" not in _cached_body(client, url)
    assert client.get(f"/api/v1/merchants/{rated.pk}/").json()["rating_under_appeal"] is False
    with django_capture_on_commit_callbacks(execute=True):
        recourse.appeal_file(merchant=rated, grounds="检查当日店主不在，记录有误。", actor=None)
    assert "申诉处理中" in client.get(url).content.decode()
    assert client.get(f"/api/v1/merchants/{rated.pk}/").json()["rating_under_appeal"] is True


def test_appeal_decision_clears_under_appeal_at_once_before_the_recompute(
    client, rated, no_recompute, django_capture_on_commit_callbacks
):
    from merchants.services import recourse
    from tests.factories import make_staff

    url = f"/merchants/{rated.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        appeal = recourse.appeal_file(merchant=rated, grounds="检查当日店主不在，记录有误。", actor=None)
    assert "申诉处理中" in _cached_body(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        recourse.appeal_decide(appeal=appeal, upheld=False, reason="经复核，维持评定", actor=make_staff())
    assert "申诉处理中" not in client.get(url).content.decode()


def test_black_list_page_shows_a_new_entry_at_once(client, regions):
    merchant = MerchantFactory(region=regions["410802"], name="新失信商行")
    assert "新失信商行" not in client.get("/lists/black/").content.decode()
    version = public_pages_version()
    blacklist(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])  # what the on-commit task does after a list change
    assert public_pages_version() > version
    assert "新失信商行" in client.get("/lists/black/").content.decode()


def test_recompute_that_changes_stars_invalidates_cached_api_answers(client, regions):
    merchant = MerchantFactory(region=regions["410802"])
    assert client.get(f"/api/v1/merchants/{merchant.pk}/").json()["stars"] is None
    inspect(merchant)
    ratings_recompute()
    assert client.get(f"/api/v1/merchants/{merchant.pk}/").json()["stars"] == 5


def test_full_recompute_with_nothing_changed_keeps_the_cache(regions):
    MerchantFactory(region=regions["410802"])
    ratings_recompute()
    version = public_pages_version()
    assert ratings_recompute().changed == 0
    assert public_pages_version() == version


def test_cached_page_carries_the_visitors_own_csrf_token(client, regions):
    client.get("/lists/black/")
    visitor = type(client)(enforce_csrf_checks=True)
    body = visitor.get("/lists/black/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
    assert "\x00" not in body
    response = visitor.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_signed_in_visitor_is_never_served_the_anonymous_page(client, regions):
    from tests.factories import UserFactory

    client.get("/lists/black/")
    client.force_login(UserFactory(username="zhangsan"))
    body = client.get("/lists/black/").content.decode()
    assert "/accounts/logout/" in body


def _strip_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


# --- the per-district fan-out of the recompute (the scaling path of docs/SCALING.md) ------------------


def test_fan_out_recomputes_every_district_through_one_task_each(regions):
    from io import StringIO

    from django.core.management import call_command

    from merchants.regions import region_and_descendant_codes

    jiaozuo = MerchantFactory(region=regions["410802"])
    xuchang = MerchantFactory(region=regions["411002"])
    wuhai = MerchantFactory(region=regions["150302"])
    for m in (jiaozuo, xuchang, wuhai):
        inspect(m)
    out = StringIO()
    call_command("recompute_ratings", "--fan-out", "--region", "410800", stdout=out)
    jiaozuo_districts = [c for c in region_and_descendant_codes("410800") if c != "410800"]
    assert f"districts={len(jiaozuo_districts)} " in out.getvalue() and "changed=1 " in out.getvalue()
    assert [Merchant.objects.get(pk=m.pk).stars for m in (jiaozuo, xuchang, wuhai)] == [5, None, None]
    call_command("recompute_ratings", "--fan-out", stdout=StringIO())
    assert [Merchant.objects.get(pk=m.pk).stars for m in (jiaozuo, xuchang, wuhai)] == [5, 5, 5]


def test_fan_out_refuses_stale_only(regions):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="stale-only"):
        call_command("recompute_ratings", "--fan-out", "--stale-only")


def test_register_edit_invalidates_cached_public_pages(regions, django_capture_on_commit_callbacks):
    from integrity_portal.core.public_cache import public_pages_version
    from merchants.services import merchant_save

    merchant = MerchantFactory()
    before = public_pages_version()
    merchant.address = "新华街1号"
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=merchant, actor=None, changed_fields=["address"])
    assert public_pages_version() == before + 1
