"""A page of a directory search in one prepared statement (``merchants/selectors/search_page.py``): the same
count and the same rows, in the same order, as ``RankedSearch`` then ``PageRows``; the name-prefix matches
first when the "contains" part reaches its cap; one statement per search, prepared once per connection and
run on its generic plan; and code-like queries, SQLite and the unbuildable left to ``RankedSearch``."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merchants.models import MerchantStatus
from merchants.selectors import search as search_selectors
from merchants.selectors.register import public_merchants
from merchants.selectors.search import PageRows, RankedSearch, SearchQuery
from merchants.selectors.search_page import GENERIC_PLAN_SQL, SearchPages
from merchants.views import directory
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist

pytestmark = pytest.mark.django_db

COLUMNS = directory.CARD_COLUMNS
ORDERS = ("relevance", "stars", "name", "newest")


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: elsewhere the directory ranks through RankedSearch (search_page returns None)"
        )


@pytest.fixture
def register(regions):
    """Exact, prefix, contains, address and former-name matches of 五金 with tied and missing stars, a
    black-listed one, other statuses and districts, and a hostile name; 45 in all: three pages of 20."""
    made = [
        MerchantFactory(name="五金", region=regions["410802"], stars=2),
        MerchantFactory(name="五金大全", region=regions["410811"], stars=None),
        MerchantFactory(name="五金大全", region=regions["410802"], stars=None),  # same name: the id decides
        MerchantFactory(name="城南五金", region=regions["410802"], stars=0),
        MerchantFactory(name="和平商店", region=regions["410811"], stars=5, address="五金路3号"),
        MerchantFactory(name="老店", region=regions["410802"], stars=1, former_names="老五金铺"),
        MerchantFactory(name="五金\"<b>&'", region=regions["410802"], stars=4),
        MerchantFactory(name="停业五金", region=regions["410802"], status=MerchantStatus.SUSPENDED, stars=3),
    ]
    blacklist(MerchantFactory(name="失信五金行", region=regions["410811"], stars=2))
    for n in range(36):
        MerchantFactory(
            name=f"{'五金' if n % 2 else '杂货五金'}{n:02d}", region=regions["410821"], stars=n % 6
        )
    return made


def _expected(queryset, raw: str, order: str, number: int) -> tuple[int, list[tuple]]:
    ranked = RankedSearch(queryset, SearchQuery(raw), order)
    start = (number - 1) * 20
    return min(len(ranked.ids), 1001), PageRows(queryset, COLUMNS)(ranked.ids[start : start + 20])


@pytest.mark.parametrize("order", ORDERS)
def test_a_page_is_the_count_and_rows_ranked_search_then_page_rows_give(register, regions, order):
    querysets = (
        public_merchants().filter(status=MerchantStatus.OPERATING),
        public_merchants().filter(region__in=["410802", "410811"]),
        public_merchants().filter(stars__isnull=True),
    )
    for queryset in querysets:
        pages = SearchPages(queryset, order, COLUMNS, per_page=20)
        assert pages.statement is not None
        for raw in (
            "五金",
            "金",
            "五金大全",
            "五金路",
            "老五金",
            "店",
            "'\"<b>&",
            "a%_\\b",
            "\ue010t",
            "无此店",
        ):
            for number in (1, 2, 3):
                assert pages(SearchQuery(raw), number) == _expected(queryset, raw, order, number), (
                    raw,
                    number,
                )
    total, rows = SearchPages(querysets[0], order, COLUMNS, per_page=20)(SearchQuery("五金"), 1)
    assert total == 44 and len(rows) == 20  # not only empty answers compared


def test_a_page_past_the_last_has_the_count_and_no_rows(register):
    pages = SearchPages(public_merchants(), "relevance", COLUMNS, per_page=20)
    assert pages(SearchQuery("五金"), 4) == (45, [])
    assert pages(SearchQuery("无此店"), 1) == (0, [])


def test_name_prefix_matches_come_first_when_the_contains_part_is_capped(regions):
    """Above the cap the "contains" part holds only some matches; every name that starts with the query is
    still read (through the name index) and ranked first, each once."""
    for n in range(8):
        MerchantFactory(name=f"和平店{n}", address=f"五金路{n}号", region=regions["410802"], stars=5)
    prefixed = {MerchantFactory(name=f"五金{n}", region=regions["410802"], stars=1).pk for n in range(3)}
    with mock.patch.object(search_selectors, "SEARCH_CANDIDATES", 4):
        pages = SearchPages(public_merchants(), "relevance", COLUMNS, per_page=20)
    assert "LIMIT 5" in pages.sql and "> 4" in pages.sql
    total, rows = pages(SearchQuery("五金"), 1)
    ids = [row[0] for row in rows]
    assert set(ids[:3]) == prefixed  # first, although five-star address matches exist
    assert len(ids) == len(set(ids)) == total  # no entity twice
    assert 5 <= total <= 8


def test_a_search_is_one_statement_prepared_once_per_connection_on_its_generic_plan(register):
    pages = SearchPages(public_merchants(), "relevance", COLUMNS, per_page=20)
    with connection.cursor() as cursor:  # as on a new connection: nothing prepared
        cursor.execute("DEALLOCATE ALL")
    connection._prepared_statements = None
    with CaptureQueriesContext(connection) as first:
        assert pages(SearchQuery("五金"), 1)[0] == 45
    with CaptureQueriesContext(connection) as second:
        assert pages(SearchQuery("五金大全"), 1)[0] == 2
    assert any(q["sql"].startswith(f"PREPARE {pages.statement.name}") for q in first.captured_queries)
    (sent,) = [q["sql"] for q in second.captured_queries]
    assert sent.startswith(GENERIC_PLAN_SQL) and f"EXECUTE {pages.statement.name}(" in sent
    with (
        connection.cursor() as cursor
    ):  # the plan the statement runs on: the indexes, not a scan of the table
        cursor.execute(
            GENERIC_PLAN_SQL.replace("LOCAL ", "") + "EXPLAIN " + pages.statement.execute_sql,
            [
                "五金"
                if kind == "text"
                else ["五金"]
                if kind == "grams"
                else 0
                if kind == "offset"
                else value
                for kind, value in pages.slots
            ],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET plan_cache_mode")
    assert "merchant_search_grams_gin" in plan and "merchant_search_name_idx" in plan
    assert "Seq Scan on merchants_merchant" not in plan


def test_code_like_queries_are_left_to_ranked_search(register):
    pages = SearchPages(public_merchants(), "relevance", COLUMNS, per_page=20)
    assert pages(SearchQuery("91410802"), 1) is None
    assert pages(SearchQuery("abc"), 1) is None
    assert pages(SearchQuery("五金"), 0) is None


def test_the_directory_answers_an_anonymous_search_through_the_statement(client, register):
    cache.clear()
    directory._SHELLS.clear()
    client.get(
        "/merchants/", {"q": "金", "page": "1"}
    )  # builds the shell (of a page) and prepares the statement
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/merchants/", {"q": "五金", "page": "2"}).content.decode()
    assert [q["sql"][:60] for q in captured.captured_queries if "ip_search_" in q["sql"]] == [
        q["sql"][:60] for q in captured.captured_queries
    ]
    assert len(captured.captured_queries) == 1
    assert "第 2 / 3 页" in page and 'start="21"' in page and "共 45 个市场主体" in page
    # past the last page the view answers: 404, as without the statement
    assert client.get("/merchants/", {"q": "五金", "page": "4"}).status_code == 404
    assert client.get("/merchants/", {"q": "五金", "page": str(10**30)}).status_code == 404


def _terminate(pid: int) -> None:
    """End a PostgreSQL session from another connection, as a server restart or a proxy's idle timeout would."""
    import psycopg2

    params = connection.get_connection_params()
    other = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_statement_is_its_own_health_check_and_a_dead_connection_is_replaced(register):
    """No ``SELECT 1`` before the search on a reused connection (one round trip per request fewer); when that
    connection turns out dead, the search runs on a new one and answers as the health check would have let it."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    pages = SearchPages(public_merchants(), "relevance", COLUMNS, per_page=20)
    expected = pages(SearchQuery("五金"), 1)
    assert expected[0] == 45
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS
    connection.health_check_done = False  # as at the start of a request on a reused connection
    with mock.patch.object(DatabaseWrapper, "is_usable", side_effect=AssertionError("pinged")):
        assert pages(SearchQuery("五金"), 1) == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        dead = cursor.fetchone()[0]
    _terminate(dead)
    connection.health_check_done = False  # the next request
    with mock.patch.object(pages, "_run", wraps=pages._run) as runs:
        assert pages(SearchQuery("五金"), 1) == expected
    assert runs.call_count == 2  # failed on the dead connection, then ran on a new one
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dead
    # an error of the statement's own on a live connection is not retried
    from django.db import DatabaseError

    connection.health_check_done = False
    missing = "EXECUTE no_such_statement(" + ", ".join(["%s"] * len(pages.slots)) + ")"
    with (
        mock.patch.object(pages.statement, "execute_sql", missing),
        mock.patch.object(pages, "_run", wraps=pages._run) as runs,
        pytest.raises(DatabaseError, match="no_such_statement"),
    ):
        pages(SearchQuery("五金"), 1)
    assert runs.call_count == 1
