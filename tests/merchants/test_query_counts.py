"""Public pages and open-data endpoints cost a fixed number of queries whatever the row count (no N+1),
and their cache serves repeat visitors without queries until a change bumps the public pages version."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merchants.models import ListEntryKind, Merchant, MerchantKind, RatingReply, ReplyStatus
from merchants.selectors.register import public_pages_changed, public_pages_version
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
    "/api/v1/merchants/?region=410800&stars=5",
    "/api/v1/lists/black/",
    "/api/v1/lists/red/",
)


@pytest.mark.parametrize("url", PAGES)
def test_list_pages_cost_the_same_queries_for_3_and_30_rows(client, regions, url):
    _listed(regions, 3, 0)
    few = _queries(client, url)
    _listed(regions, 27, 3)
    assert _queries(client, url) == few


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


def test_cached_profile_costs_one_query_and_follows_a_reply_or_register_edit(client, regions):
    merchant = MerchantFactory(region=regions["410802"], name="老街面馆")
    url = f"/merchants/{merchant.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert "老街面馆" in client.get(url).content.decode()
    assert len(ctx.captured_queries) == 1  # the entity (with its reply stamp); the page is cached
    Merchant.objects.filter(pk=merchant.pk).update(name="老街新面馆")
    assert "老街新面馆" in client.get(url).content.decode()
    RatingReply.objects.create(
        merchant=merchant, text="欢迎监督", published_text="欢迎监督指正", status=ReplyStatus.PUBLISHED
    )
    assert "欢迎监督指正" in client.get(url).content.decode()


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
    from merchants.selectors.register import public_pages_version
    from merchants.services import merchant_save

    merchant = MerchantFactory()
    before = public_pages_version()
    merchant.address = "新华街1号"
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=merchant, actor=None, changed_fields=["address"])
    assert public_pages_version() == before + 1
