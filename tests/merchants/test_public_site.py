"""Public site: home counts, the directory with its filters and pagination, and the profile page."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merchants.models import Industry, Merchant, MerchantKind, MerchantStatus, Region
from merchants.selectors.register import PUBLIC_HEADLINE_CACHE_KEY
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(regions):
    """A small register spread over two cities, with one of each interesting case."""
    jiefang, shanyang, weidu = (Region.objects.get(code=c) for c in ("410802", "410811", "411002"))
    market = MerchantFactory(name="解放区民主路农贸市场", kind=MerchantKind.MARKET, region=jiefang, stars=4)
    return {
        "market": market,
        "noodle": MerchantFactory(
            name="老街刘记面馆", region=jiefang, industry=Industry.CATERING, stars=5, parent_market=market
        ),
        "stall": MerchantFactory(
            name="王记水果摊",
            region=jiefang,
            industry=Industry.FOOD_RETAIL,
            uscc=None,
            licence_number="410802600000042",
        ),
        "company": MerchantFactory(
            name="焦作市鑫源百货有限公司",
            kind=MerchantKind.ENTERPRISE,
            region=shanyang,
            stars=3,
            is_time_honored=True,
        ),
        "closed": MerchantFactory(
            name="已关门的小店", region=shanyang, status=MerchantStatus.DEREGISTERED, stars=2
        ),
        "xuchang": MerchantFactory(
            name="许昌市胖东来超市", kind=MerchantKind.ENTERPRISE, region=weidu, stars=5
        ),
    }


_CARD_NAME = re.compile(r'<h3 class="result-title"><a href="[^"]*">([^<]*)</a></h3>')


def _names(response) -> set[str]:
    """The names of the result cards (an anonymous search's page is filled in, not rendered with a context)."""
    return {html.unescape(name) for name in _CARD_NAME.findall(response.content.decode())}


def test_home_shows_headline_counts_and_caches_them(client, register):
    response = client.get("/")
    assert response.status_code == 200
    counts = response.context["counts"]
    # the deregistered shop is not counted as registered
    assert counts == {
        "total": 5,
        "markets": 1,
        "enterprises": 2,
        "merchants": 2,
        "rated": 4,
        "five_star": 2,
        "by_city": {"410800": 4, "411000": 1},
    }
    assert [g["name"] for g in response.context["region_groups"]][:2] == ["焦作市", "许昌市"]
    assert cache.get(PUBLIC_HEADLINE_CACHE_KEY) == counts
    MerchantFactory(name="新开的店", region=register["market"].region)
    again = client.get("/")
    assert again.status_code == 200 and again.context is None  # the whole page came from the page cache
    assert cache.get(PUBLIC_HEADLINE_CACHE_KEY)["total"] == 5  # and so did the counts it shows
    html = response.content.decode()
    assert 'href="/merchants/?region=410802"' in html  # browse by district
    for link in ("/lists/red/", "/lists/black/", "/notices/", "/complaints/new/", "/complaints/track/"):
        assert f'href="{link}"' in html


def test_home_counts_cost_no_query_when_cached(client, register, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_region_filter_on_a_district_lists_only_that_district(client, register):
    response = client.get("/merchants/", {"region": "410802"})
    assert response.status_code == 200
    assert _names(response) == {"解放区民主路农贸市场", "老街刘记面馆", "王记水果摊"}


def test_region_filter_on_a_city_includes_every_district(client, register):
    response = client.get("/merchants/", {"region": "410800", "status": "all"})
    assert _names(response) == {
        "解放区民主路农贸市场",
        "老街刘记面馆",
        "王记水果摊",
        "焦作市鑫源百货有限公司",
        "已关门的小店",
    }


def test_kind_industry_and_stars_filters(client, register):
    assert _names(client.get("/merchants/", {"kind": "enterprise"})) == {
        "焦作市鑫源百货有限公司",
        "许昌市胖东来超市",
    }
    assert _names(client.get("/merchants/", {"industry": "catering"})) == {"老街刘记面馆"}
    assert _names(client.get("/merchants/", {"stars": "5"})) == {"老街刘记面馆", "许昌市胖东来超市"}
    assert _names(client.get("/merchants/", {"stars": "none"})) == {"王记水果摊"}
    assert _names(client.get("/merchants/", {"stars": "5", "region": "410800"})) == {"老街刘记面馆"}


def test_text_search_matches_name_uscc_prefix_and_licence(client, register):
    assert _names(client.get("/merchants/", {"q": "面馆"})) == {"老街刘记面馆"}
    uscc = register["company"].uscc
    assert _names(client.get("/merchants/", {"q": uscc.lower()})) == {"焦作市鑫源百货有限公司"}
    assert _names(client.get("/merchants/", {"q": "410802600000042"})) == {"王记水果摊"}


@pytest.mark.parametrize(
    "params",
    [
        {"region": "999999"},
        {"region": "abc"},
        {"kind": "xyz"},
        {"industry": "mining"},
        {"stars": "9"},
        {"q": "长" * 61},
    ],
)
def test_unknown_filter_value_shows_form_error_not_500(client, register, params):
    response = client.get("/merchants/", params)
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["merchants"]) == []
    assert 'class="errorlist"' in response.content.decode()


def test_pagination_past_the_end_is_404(client, regions):
    Merchant.objects.bulk_create(
        [
            Merchant(
                name=f"分页测试{i:02d}",
                kind="merchant",
                licence_number=f"L{i}",
                region_id="410802",
                industry="other",
            )
            for i in range(25)
        ]
    )
    first = client.get("/merchants/")
    assert first.context["page_obj"].paginator.num_pages == 2
    assert len(first.context["merchants"]) == 20
    assert client.get("/merchants/", {"page": 2}).status_code == 200
    assert client.get("/merchants/", {"page": 3}).status_code == 404
    assert client.get("/merchants/", {"page": "abc"}).status_code == 404


def test_pagination_links_keep_the_filters(client, regions):
    Merchant.objects.bulk_create(
        [
            Merchant(
                name=f"链接{i:02d}",
                kind="merchant",
                licence_number=f"K{i}",
                region_id="410802",
                industry="other",
            )
            for i in range(21)
        ]
    )
    html = client.get("/merchants/", {"region": "410802"}).content.decode()
    assert "?region=410802&amp;page=2" in html


def test_directory_query_count_is_constant(client, regions, django_assert_max_num_queries):
    market = MerchantFactory(kind=MerchantKind.MARKET)
    for code in ("410802", "410811", "411002", "620502"):
        MerchantFactory.create_batch(5, region=Region.objects.get(code=code), parent_market=market)
    client.get("/merchants/")  # warm the region tree
    with django_assert_max_num_queries(3):
        response = client.get("/merchants/")
    assert len(response.context["merchants"]) == 20
    # A search runs inside ``serial_plan`` (PostgreSQL: ``SET LOCAL`` sent in the same string as each search
    # query, so that no parallel workers start, docs/SEARCH.md): no statement of its own. The reads must stay
    # three however many merchants match, with no transaction control around them.
    # The first search with these filters renders the page around the results once (the shell) and prepares
    # the statement reading a page's rows on this connection.
    client.get("/merchants/", {"region": "410800", "stars": "none", "q": "商户"})
    with CaptureQueriesContext(connection) as captured:
        client.get("/merchants/", {"region": "410800", "stars": "none", "q": "测试"})
    control = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")
    reads = [q["sql"] for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith(control)]
    assert len(reads) <= 3, reads
    assert len(captured.captured_queries) == len(reads)


def test_list_shows_stars_with_text_label(client, register):
    html = client.get("/merchants/", {"region": "410802"}).content.decode()
    assert "★★★★★" in html and "5 星" in html
    assert "尚未评级" in html


def test_profile_shows_public_register_facts(client, register):
    noodle = register["noodle"]
    response = client.get(f"/merchants/{noodle.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "老街刘记面馆",
        noodle.uscc,
        "餐饮",
        "商户",
        "张三",
        noodle.address,
        "焦作市解放区",
        "解放区民主路农贸市场",
    ):
        assert text in html
    assert "★★★★★" in html
    assert "credit_class" not in html


def test_profile_of_licence_only_stall_shows_licence_number(client, register):
    html = client.get(f"/merchants/{register['stall'].pk}/").content.decode()
    assert "410802600000042" in html and "注册号" in html and "尚未评级" in html


def test_deregistered_merchant_is_viewable_but_marked(client, register):
    response = client.get(f"/merchants/{register['closed'].pk}/")
    assert response.status_code == 200
    assert "该主体已注销" in response.content.decode()
    assert "已关门的小店" in _names(client.get("/merchants/", {"region": "410811", "status": "all"}))


def test_profile_404s(client, regions):
    assert client.get("/merchants/999999/").status_code == 404


def test_profile_query_count_is_constant(client, register, django_assert_max_num_queries):
    # one query for the entity with its region and market; the rest is the credit panel's fixed budget
    with django_assert_max_num_queries(15):
        assert client.get(f"/merchants/{register['noodle'].pk}/").status_code == 200


def test_directory_total_is_cached_per_filter(client, register, django_assert_max_num_queries):
    assert client.get("/merchants/", {"region": "410802"}).context["paginator"].count == 3
    with django_assert_max_num_queries(1):  # the page only; the total comes from the cache
        response = client.get("/merchants/", {"region": "410802"})
    assert response.context["paginator"].count == 3
    assert client.get("/merchants/", {"region": "410811", "status": "all"}).context["paginator"].count == 2
