"""Register search (issue #15, docs/SEARCH.md): the directory's ranked search and the API's ``search``.

Runs on SQLite (the LIKE fallback) and on PostgreSQL (the GIN grams index): same answers on both."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from integrity_portal.core.roles import StaffRole
from merchants.models import Merchant, MerchantStatus
from merchants.selectors import search as search_selectors
from merchants.selectors.register import public_merchant_search, public_merchants
from merchants.services.register import merchant_save
from merchants.views.directory import CachedCountPaginator
from tests.factories import MerchantFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


_CARD_NAME = re.compile(r'<h3 class="result-title"><a href="[^"]*">([^<]*)</a></h3>')


def _directory(client, **params) -> list[str]:
    """The names the page shows, in order (read from its result cards: an anonymous search's page is filled
    from pre-rendered templates, not rendered with a context)."""
    response = client.get("/merchants/", params)
    assert response.status_code == 200
    return [html.unescape(name) for name in _CARD_NAME.findall(response.content.decode())]


def _api(client, **params) -> list[str]:
    response = client.get("/api/v1/merchants/", params)
    assert response.status_code == 200, response.content
    return [m["name"] for m in response.json()["results"]]


@pytest.fixture
def shops(regions):
    jiefang = regions["410802"]
    return {
        "exact": MerchantFactory(name="五金", region=jiefang, stars=2, address="建设路1号"),
        "prefix": MerchantFactory(name="五金大全", region=jiefang, stars=1, address="建设路2号"),
        "contains5": MerchantFactory(name="城南五金店", region=jiefang, stars=5, address="建设路3号"),
        "contains3": MerchantFactory(name="城北五金行", region=jiefang, stars=3, address="建设路4号"),
        "contains3b": MerchantFactory(name="城东五金行", region=jiefang, stars=3, address="建设路5号"),
        "street": MerchantFactory(name="李记面馆", region=jiefang, stars=5, address="解放区五金路8号"),
        "apart": MerchantFactory(name="五星金店", region=jiefang, stars=4, address="人民路9号"),
        "noodle": MerchantFactory(name="老街刘记面馆", region=jiefang, stars=4, address="民主路12号"),
    }


def test_relevance_order_exact_prefix_contains_then_address_each_by_stars_then_name(client, shops):
    assert _directory(client, q="五金") == [
        "五金",
        "五金大全",
        "城南五金店",
        "城东五金行",
        "城北五金行",
        "李记面馆",
    ]


def test_two_character_query_matches_inside_a_name_but_not_split_characters(client, shops):
    names = _directory(client, q="五金")
    assert "城南五金店" in names
    assert "五星金店" not in names  # 五 and 金 both occur, but not as the word 五金


def test_three_character_query_needs_the_whole_word_not_just_its_bigrams(client, shops):
    MerchantFactory(
        name="金店五金", region=shops["exact"].region, address="和平路1号"
    )  # 五金 and 金店, no 五金店
    assert _directory(client, q="五金店") == ["城南五金店"]


def test_one_character_query(client, shops):
    assert _directory(client, q="店") == ["城南五金店", "五星金店"]


def test_address_search_finds_the_street(client, shops):
    assert _directory(client, q="民主路") == ["老街刘记面馆"]
    assert _directory(client, q="五金路") == ["李记面馆"]


def test_full_width_and_spaced_queries_are_normalised(client, shops):
    MerchantFactory(name="KTV欢唱城", region=shops["exact"].region, address="和平路2号")
    assert _directory(client, q="ｋｔｖ") == ["KTV欢唱城"]
    assert _directory(client, q=" 城南 五金 ") == ["城南五金店"]


def test_uscc_and_licence_number_prefix(client, shops, regions):
    target = shops["noodle"]
    assert _directory(client, q=target.uscc[:17]) == ["老街刘记面馆"]
    assert _directory(client, q=target.uscc[:17].lower()) == ["老街刘记面馆"]
    assert _directory(client, q=target.uscc) == ["老街刘记面馆"]
    stall = MerchantFactory(
        name="王记水果摊", uscc=None, licence_number="4108026000123", region=regions["410802"]
    )
    assert _directory(client, q="41080260001") == [stall.name]
    assert _api(client, search=target.uscc[:17]) == ["老街刘记面馆"]


def test_a_renamed_entity_is_found_under_its_former_name(client, shops):
    clerk = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    renamed = Merchant.objects.get(pk=shops["noodle"].pk)
    renamed.name = "老街新面馆"
    merchant_save(merchant=renamed, actor=clerk, changed_fields=["name"])
    stored = Merchant.objects.get(pk=renamed.pk)
    assert stored.former_names == "老街刘记面馆"
    assert _directory(client, q="刘记") == ["老街新面馆"]
    assert _directory(client, q="新面馆") == ["老街新面馆"]
    assert _api(client, search="刘记面馆") == ["老街新面馆"]


def test_search_columns_follow_every_save_and_the_rebuild_command(client, shops):
    clerk = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    moved = Merchant.objects.get(pk=shops["apart"].pk)
    moved.address = "焦作市解放区塔南路100号"
    merchant_save(merchant=moved, actor=clerk, changed_fields=["address"])
    assert _directory(client, q="塔南路") == ["五星金店"]
    assert _directory(client, q="人民路") == []
    # Rows written without Merchant.save (an old row, a raw update) get their columns from the command.
    Merchant.objects.filter(pk=shops["noodle"].pk).update(search_name="", search_text="")
    assert _directory(client, q="民主路") == []
    call_command("rebuild_search_index", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    cache.clear()
    assert _directory(client, q="民主路") == ["老街刘记面馆"]
    assert Merchant.objects.get(pk=shops["noodle"].pk).search_name == "老街刘记面馆"


def test_seeding_fills_the_search_columns(regions):
    from merchants.demo import seed_register

    seed_register(seed=3, merchant_count=30)
    assert not Merchant.objects.filter(search_text="").exists()
    sample = Merchant.objects.order_by("pk").first()
    assert sample.search_name == sample.name.lower() and sample.search_text.startswith(
        sample.search_name + "\n"
    )


def test_count_is_exact_up_to_the_bound_and_more_than_the_bound_above_it(client, regions, monkeypatch):
    monkeypatch.setattr(search_selectors, "SEARCH_CANDIDATES", 5)
    monkeypatch.setattr(CachedCountPaginator, "bound", 5)
    for n in range(4):
        MerchantFactory(name=f"火锅店{n}", region=regions["410802"], address="和平路1号")
    response = client.get("/merchants/", {"q": "火锅"})
    assert "共 4 个市场主体" in response.content.decode()
    for n in range(4, 9):
        MerchantFactory(name=f"火锅店{n}", region=regions["410802"], address="和平路1号")
    cache.clear()
    response = client.get("/merchants/", {"q": "火锅"})
    summary = re.search(r'<h2 id="results-title"[^>]*>(.*?)</h2>', response.content.decode(), re.S)[1]
    assert "超过 5 个市场主体" in summary and "9" not in summary
    # Without a query, too: the directory counts no further than the bound.
    response = client.get("/merchants/", {"region": "410802"})
    assert response.context["paginator"].count_is_bound
    assert response.context["paginator"].num_pages == 1  # 5 rows of 20 a page


def test_status_filter_shows_operating_entities_by_default(client, shops):
    region = shops["exact"].region
    MerchantFactory(name="停业五金铺", region=region, status=MerchantStatus.SUSPENDED)
    MerchantFactory(name="注销五金铺", region=region, status=MerchantStatus.DEREGISTERED)
    assert "停业五金铺" not in _directory(client, q="五金铺")
    assert _directory(client, q="五金铺", status="suspended") == ["停业五金铺"]
    assert _directory(client, q="五金铺", status="deregistered") == ["注销五金铺"]
    assert sorted(_directory(client, q="五金铺", status="all")) == ["停业五金铺", "注销五金铺"]
    assert "注销五金铺" not in _directory(client)
    assert client.get("/merchants/", {"status": "closed"}).context["filter"].errors


def test_sorts_by_name_stars_and_newest(client, shops):
    assert _directory(client, q="五金", sort="name") == sorted(
        ["五金", "五金大全", "城南五金店", "城北五金行", "城东五金行", "李记面馆"]
    )
    assert _directory(client, q="五金", sort="stars") == [
        "城南五金店",
        "李记面馆",
        "城东五金行",
        "城北五金行",
        "五金",
        "五金大全",
    ]
    assert _directory(client, q="五金", sort="newest")[:2] == ["李记面馆", "城东五金行"]
    assert _directory(client, sort="newest")[0] == "老街刘记面馆"
    assert _directory(client, sort="stars")[:3] == ["城南五金店", "李记面馆", "五星金店"]


@pytest.mark.parametrize("q", ["%", "_", "\\", "%五金%", "五_", "'; DROP TABLE x; --"])
def test_like_wildcards_are_literal_characters(client, shops, q):
    MerchantFactory(name="百分百%超市", region=shops["exact"].region, address="和平路1号")
    names = _directory(client, q=q)
    expected = ["百分百%超市"] if q == "%" else []
    assert names == expected
    assert _api(client, search=q) == expected


@pytest.mark.parametrize("q", ["五金\x00", "x" * 61, "五" * 500])
def test_hostile_queries_are_refused_not_errors(client, shops, q):
    page = client.get("/merchants/", {"q": q})
    if page.status_code == 200:
        assert page.context["filter"].errors and not page.context["merchants"]
    else:
        assert page.status_code == 400  # NUL in a query string is refused before the view
    assert client.get("/api/v1/merchants/", {"search": q}).status_code == 400


def test_a_search_page_costs_the_same_queries_for_3_and_30_matches(
    client, regions, django_assert_max_num_queries
):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(conn) as ctx:
            assert client.get("/merchants/", {"q": "火锅"}).status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        MerchantFactory(name=f"火锅店{n}", region=regions["410802"])
    queries()  # loads the per-process region tree
    few = queries()
    for n in range(3, 30):
        MerchantFactory(name=f"火锅店{n}", region=regions["410802"])
    assert queries() == few
    client.get("/merchants/", {"q": "火锅", "page": 1})  # the page around the results, once per process
    with django_assert_max_num_queries(few):
        client.get("/merchants/", {"q": "火锅", "page": 2})


def test_api_search_matches_name_former_name_and_address_ordered_by_id(client, shops):
    assert _api(client, search="五金") == [
        "李记面馆",
        "城东五金行",
        "城北五金行",
        "城南五金店",
        "五金大全",
        "五金",
    ]
    assert _api(client, search="民主路") == ["老街刘记面馆"]


def test_complaint_picker_uses_the_ranked_search(shops):
    assert [m.name for m in public_merchant_search("五金", limit=3)] == ["五金", "五金大全", "城南五金店"]
    assert list(public_merchant_search("五")) == []  # the picker wants two characters


def test_search_sql_is_index_driven_on_postgresql_and_plain_like_on_sqlite(shops):
    ranked = search_selectors.merchant_search_ranked(public_merchants(), "五金")
    sql, params = ranked.candidates_sql()
    if connection.vendor != "postgresql":
        assert "merchant_search_grams" not in sql and "LIKE" in sql
        assert [m.name for m in ranked][:2] == ["五金", "五金大全"]
        return
    assert "merchant_search_grams" in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: show the index can serve the query
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "merchant_search_grams_gin" in plan and "merchant_search_name_idx" in plan
