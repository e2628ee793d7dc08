"""What the uncached search path reuses or defers (docs/BENCHMARKS.md §7), proven to show the same answers:
the API pages a search's keys and then reads the page's rows, the directory reuses its rendered selects and
star displays."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from merchants.models import MerchantStatus
from merchants.selectors.search import SERIAL_PLAN_SQL
from tests.factories import MerchantFactory
from tests.merchants.test_search import _fresh_cache  # noqa: F401 (autouse: a clear cache around each test)

pytestmark = pytest.mark.django_db


def _pages(client, url, params):
    """Every page of an API list, following the cursor's next links."""
    rows, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        pages += 1
        if not body["next"]:
            return rows, pages
        response = client.get(body["next"])


def test_api_search_pages_every_match_in_id_order_with_the_same_rows_as_the_plain_list(client, regions):
    market = MerchantFactory(name="城南市场", region=regions["410802"])
    matches = [
        MerchantFactory(
            name=f"火锅店{n}",
            region=regions["410811" if n % 2 else "410802"],
            parent_market=market if n % 3 == 0 else None,
            stars=n % 6,
            status=MerchantStatus.SUSPENDED if n == 4 else MerchantStatus.OPERATING,
        )
        for n in range(17)
    ]
    MerchantFactory.create_batch(5, name="面馆", region=regions["410802"])

    rows, pages = _pages(client, "/api/v1/merchants/", {"search": "火锅", "page_size": 5})

    assert [r["merchant_id"] for r in rows] == sorted((m.pk for m in matches), reverse=True)
    assert pages == 4
    plain, _ = _pages(client, "/api/v1/merchants/", {"page_size": 200})
    by_id = {r["merchant_id"]: r for r in plain}
    assert rows == [
        by_id[r["merchant_id"]] for r in rows
    ]  # every field as the list without a search shows it
    assert {r["parent_market_name"] for r in rows} == {"城南市场", None}


def test_api_search_reads_its_page_in_the_same_statements_whatever_the_number_of_matches(client, regions):
    from django.db import connection

    selects = []
    for size, region in ((3, "410802"), (60, "410811")):
        MerchantFactory.create_batch(size, name="火锅店", region=regions[region])
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/merchants/", {"search": "火锅"}).status_code == 200
        # A search query is sent with its ``SET LOCAL`` prefixes: one statement string.
        sent = [re.sub(r"^(SET LOCAL [^;]*; )*", "", q["sql"]) for q in captured.captured_queries]
        selects.append([sql.split("(")[0] for sql in sent if sql.startswith(("SELECT", "EXECUTE"))])
    assert [q[:60] for q in selects[0]] == [q[:60] for q in selects[1]]  # none per row
    if connection.vendor == "postgresql":
        # the page's keys and rows in one statement prepared once per connection (``SearchRows``)
        assert len(selects[0]) == 1 and selects[0][0].startswith("EXECUTE ip_api_search_")
    else:
        assert len(selects[0]) == 2  # the keys, then the page's rows
        keys = 'SELECT "merchants_merchant"."id" AS "id" FROM "merchants_merchant" WHERE'
        assert selects[0][0].startswith(keys)  # the keys alone: no join, no annotation


def test_api_filtered_search_reads_the_keys_then_the_page_rows(client, regions):
    from django.db import connection

    MerchantFactory.create_batch(3, name="火锅店", region=regions["410802"])
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(
            "/api/v1/merchants/", {"search": "火锅", "region_code": "410802"}
        )  # + the region tree
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    sent = [q["sql"].removeprefix(SERIAL_PLAN_SQL) for q in captured.captured_queries]
    selects = [
        sql for sql in sent if sql.startswith(("SELECT", "EXECUTE")) and "merchants_region" not in sql[:40]
    ]
    keys = 'SELECT "merchants_merchant"."id" AS "id" FROM "merchants_merchant" WHERE'
    assert len(selects) == 2 and selects[0].startswith(keys)  # the keys alone: no join, no annotation
    # PostgreSQL: the rows' statement prepared once per connection; elsewhere the same select, compiled
    assert selects[1].startswith("EXECUTE ip_rows_" if connection.vendor == "postgresql" else "SELECT")


def _selected_region(html: str) -> list[str]:
    select = re.search(r'<select name="region".*?</select>', html, re.S)[0]
    return re.findall(r'<option value="(\d+)" selected>', select)


def test_directory_selects_show_the_selected_value_and_follow_a_region_rename(client, regions):
    MerchantFactory(name="火锅店", region=regions["410802"])
    page = client.get("/merchants/", {"q": "火锅", "region": "410802"}).content.decode()
    assert _selected_region(page) == ["410802"]
    page = client.get("/merchants/", {"q": "火锅店", "region": "410811"}).content.decode()
    assert _selected_region(page) == ["410811"]
    page = client.get("/merchants/", {"q": "火", "sort": "stars", "status": "all"}).content.decode()
    assert _selected_region(page) == []
    assert re.search(r'<option value="stars" selected>', page)
    assert re.search(r'<option value="all" selected>', page)

    district = regions["410811"]
    district.name = "新区名"
    district.save()  # reloads the region tree: the rendered selects are rebuilt
    page = client.get("/merchants/", {"q": "火锅", "region": "410811"}).content.decode()
    assert "新区名" in page and _selected_region(page) == ["410811"]


def test_directory_invalid_select_value_is_a_form_error_not_a_cached_select(client, regions):
    page = client.get("/merchants/", {"q": "火锅", "region": "999999"})
    assert page.status_code == 200 and page.context["filter"].errors
    assert _selected_region(page.content.decode()) == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_star_display_is_the_same_every_time_in_each_language(language):
    template = Template("{% load credit_tags %}{% stars s st %}|{% stars s st how=False %}")
    with translation.override(language):
        first = [
            template.render(Context({"s": s, "st": st}))
            for s in (None, 0, 3, 5)
            for st in ("", "deregistered")
        ]
        again = [
            template.render(Context({"s": s, "st": st}))
            for s in (None, 0, 3, 5)
            for st in ("", "deregistered")
        ]
    assert first == again
    assert "★★★☆☆" in first[4] and "/ratings/how/" in first[4].split("|")[0]
    assert "/ratings/how/" not in first[4].split("|")[1]
    assert "⊘" in first[5]  # deregistered: no current stars
    words = {"zh-hans": "尚未评级", "en": "Not yet rated"}
    assert words[language] in first[0]


def test_search_queries_run_without_parallel_workers_on_postgresql(client, regions):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no parallel plans")
    MerchantFactory(name="火锅店", region=regions["410802"])
    from django.db.backends import utils

    sent = []
    real_execute = utils.CursorWrapper._execute

    def record(self, sql, params, *args):  # what reaches psycopg2, after every execute wrapper
        sent.append(sql)
        return real_execute(self, sql, params, *args)

    for url, params in (("/merchants/", {"q": "火锅"}), ("/api/v1/merchants/", {"search": "火锅"})):
        sent.clear()
        with mock.patch.object(utils.CursorWrapper, "_execute", record):
            assert client.get(url, params).status_code == 200
        # the search's SQL, or the EXECUTE of its prepared statement (a PREPARE only plans nothing yet)
        searches = [
            sql
            for sql in sent
            if (
                "merchant_search_grams" in sql
                or "EXECUTE ip_search_" in sql
                or "EXECUTE ip_api_search_" in sql
            )
            and "PREPARE" not in sql
        ]
        assert searches, sent
        # The setting travels in the same string as the search query: no round trip of its own, and it
        # ends with the query's transaction.
        assert all(
            "SET LOCAL max_parallel_workers_per_gather = 0; " in sql.split("EXECUTE")[0] for sql in searches
        )
        assert not any(sql.strip().upper() in ("BEGIN", "COMMIT") for sql in sent)
