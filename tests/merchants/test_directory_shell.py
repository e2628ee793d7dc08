"""The directory's fast path for an anonymous search (``merchants/views/directory.py``, docs/SEARCH.md
"Rendering"): the page around the results rendered once per filter combination and language with markers,
the cards from a per-shape template. Proven here to answer exactly what the view answers, for hostile queries,
every card shape, other filters, pages and both languages; and to leave to the view what it cannot answer."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection

from merchants.models import MerchantStatus
from merchants.selectors.register import public_merchants
from merchants.selectors.search import PageRows
from merchants.views import directory
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "城南五金\"<b>&'店"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    directory._SHELLS.clear()
    directory._CARDS.clear()
    directory._RESULTS.clear()
    yield
    cache.clear()


@pytest.fixture
def shops(regions):
    market = MerchantFactory(name="城南五金市场", kind="market", region=regions["410802"], stars=4)
    MerchantFactory(name=HOSTILE_NAME, region=regions["410802"], address='和平路<1>号 & "东"', stars=5)
    MerchantFactory(name="五金大全", region=regions["410811"], stars=0, is_time_honored=True)
    MerchantFactory(name="停业五金铺", region=regions["410802"], status=MerchantStatus.SUSPENDED)
    MerchantFactory(
        name="注销五金铺", region=regions["410802"], status=MerchantStatus.DEREGISTERED, stars=None
    )
    MerchantFactory(name="市场里的五金摊", region=regions["410802"], parent_market=market, stars=3, uscc="")
    dark = MerchantFactory(name="失信五金行", region=regions["410811"], stars=2)
    blacklist(dark)
    for n in range(25):  # a second page
        MerchantFactory(name=f"五金杂货{n:02d}", region=regions["410821"], stars=n % 6)
    return market


def _through_shell(client, params) -> str:
    """The anonymous answer, proven to come from the shell (the view is never called)."""
    cache.clear()  # the page cache would answer a repeated URL
    with mock.patch.object(directory, "_directory_view", side_effect=AssertionError("the view answered")):
        response = client.get("/merchants/", params)
    assert response.status_code == 200
    return CSRF.sub(r"\1TOKEN\2", response.content.decode())


def _through_view(client, params) -> str:
    """The same URL answered by the view: a visitor with a session cookie is never served from a cache."""
    cache.clear()
    client.cookies["sessionid"] = "not-a-session"
    try:
        response = client.get("/merchants/", params)
    finally:
        del client.cookies["sessionid"]
    assert response.status_code == 200
    return CSRF.sub(r"\1TOKEN\2", response.content.decode())


QUERIES = [
    {"q": "五金"},
    {"q": "五金", "page": "2"},
    {"q": "  五金 "},
    {"q": "五金", "sort": "stars", "status": "all"},
    {"q": "五金", "sort": "name", "status": "deregistered"},
    {"q": "五金", "region": "410802", "stars": "none"},
    {"q": "五金", "kind": "market", "status": "all"},
    {"q": '"><script>alert(1)</script>'},
    {"q": "a&b=c+d%"},
    {"q": "\ue000q\ue001"},  # the shell's own marker as a query: text like any other
    {"q": "金\"<b>&'店"},
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_search_through_the_shell_is_the_page_the_view_renders(client, shops, language):
    client.cookies["django_language"] = language
    for params in QUERIES:
        assert _through_shell(client, params) == _through_view(client, params), params


def test_every_card_shape_is_shown_with_its_badges_and_values_escaped(client, shops):
    page = "".join(_through_shell(client, {"q": "五金", "status": "all", "page": n}) for n in ("1", "2"))
    assert "城南五金&quot;&lt;b&gt;&amp;&#x27;店" in page and HOSTILE_NAME not in page
    assert "和平路&lt;1&gt;号 &amp; &quot;东&quot;" in page
    assert page.count("badge-black-list") == 1 and "badge-gold" in page and "is-deregistered" in page
    assert "城南五金市场</dd>" in page  # the market a stall is in
    assert 'class="stars-wrap"' in page and "超过" not in page


def test_a_hostile_query_is_escaped_in_the_search_box_and_the_language_form(client, shops):
    page = _through_shell(client, {"q": '"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in page  # the language form's next URL


def test_what_the_shell_cannot_answer_goes_to_the_view(client, shops):
    # an invalid filter: the view shows the form error
    response = client.get("/merchants/", {"q": "五金", "region": "999999"})
    assert response.status_code == 200 and response.context["filter"].errors
    # a page past the end: the view's 404
    assert client.get("/merchants/", {"q": "五金", "page": "9"}).status_code == 404
    assert client.get("/merchants/", {"q": "五金", "page": "x"}).status_code == 404
    # a query too long for the form, or with a NUL byte: the form error, never a 500
    response = client.get("/merchants/", {"q": "五" * 61})
    assert response.status_code == 200 and response.context["filter"].errors
    assert client.get("/merchants/", {"q": "五\x00金"}).status_code == 400  # refused before any view
    # a signed-in visitor
    client.force_login(make_staff())
    with mock.patch.object(directory, "search_page", side_effect=AssertionError("the shell answered")):
        assert client.get("/merchants/", {"q": "五金"}).status_code == 200


def test_a_rename_shows_in_the_next_search(client, shops, regions):
    search = {"q": "五金", "region": "410802"}
    assert "城南五金市场" in _through_shell(client, search)
    shops.name = "新名字五金市场"
    shops.save()
    page = _through_shell(client, search)
    assert "新名字五金市场" in page and "城南五金市场" not in page


def test_page_rows_keep_the_order_given_and_skip_unknown_ids(shops):
    ids = list(public_merchants().order_by("name").values_list("pk", flat=True)[:5])
    reader = PageRows(public_merchants(), ("pk", "name"))
    wanted = [ids[3], 999_999, ids[0], ids[2]]
    assert [row[0] for row in reader(wanted)] == [ids[3], ids[0], ids[2]]
    assert reader([]) == []
    if connection.vendor == "postgresql":  # one SQL text for any number of ids: compiled once
        assert "= ANY(%s)" in reader.sql


def test_page_rows_are_prepared_once_per_connection_on_postgresql(shops):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no prepared statements here")
    from django.test.utils import CaptureQueriesContext

    ids = list(public_merchants().order_by("-pk").values_list("pk", flat=True)[:3])
    reader = PageRows(public_merchants(), directory.CARD_COLUMNS)
    plain = public_merchants().filter(pk__in=ids).values_list(*directory.CARD_COLUMNS)
    expected = sorted(plain, key=lambda row: ids.index(row[0]))
    with connection.cursor() as cursor:  # as on a new connection: nothing prepared
        cursor.execute("DEALLOCATE ALL")
    connection._prepared_statements = None
    with CaptureQueriesContext(connection) as first:
        assert reader(ids) == expected
    with CaptureQueriesContext(connection) as second:
        assert reader(ids[::-1]) == expected[::-1]
    assert any(q["sql"].startswith("PREPARE ip_rows_") for q in first.captured_queries)
    assert [q["sql"].split("(")[0] for q in second.captured_queries] == [f"EXECUTE {reader.prepared.name}"]
    # the black-list flag and the joined names come through the prepared statement as they do without it
    assert {row[1] for row in reader(ids)} == {row[1] for row in expected}

    # prepared already on the session but not known to this process's bookkeeping: used, not refused
    connection._prepared_statements = None
    assert reader(ids) == expected and reader.prepared.prepare_sql is not None


@pytest.mark.parametrize(
    "raw",
    [
        "五金",
        "火锅店",
        "店",
        "城南 五金",
        "91410802",
        "abc",
        "a%_\\b",
        "ｋｔｖ",
        "'\"<>",
        "x" * 60,
        "五金路1号",
    ],
)
def test_candidates_compiled_once_are_the_statement_each_search_compiles(shops, raw):
    from merchants.selectors.search import CandidatesStatements, RankedSearch, SearchQuery

    for queryset in (
        public_merchants().filter(status=MerchantStatus.OPERATING),
        public_merchants().filter(region__in=["410802", "410811"], stars__isnull=True),
    ):
        statements = CandidatesStatements(queryset)
        query = SearchQuery(raw)
        expected = RankedSearch(queryset, query, "relevance").candidates_sql()
        assert statements.sql(query) == expected
        assert statements._compiled[bool(query.code)] is not None  # reused, not compiled per search
        ranked = RankedSearch(queryset, query, "relevance", statements=statements)
        assert ranked.ids == RankedSearch(queryset, query, "relevance").ids


@pytest.mark.parametrize("order", ["relevance", "stars", "name", "newest"])
def test_postgresql_ranks_the_candidates_as_the_python_ranking_does(shops, regions, order):
    """The server's ranking (``_SQL_ORDERS``) against ``rank_rows`` on the same candidates: same ids, same order."""
    from merchants.selectors.search import RankedSearch, SearchQuery

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite ranks in Python")

    MerchantFactory(name="Ab五金", region=regions["410802"], stars=3, uscc="91410802AB0000001X")
    MerchantFactory(name="ab五金", region=regions["410802"], stars=3, licence_number="ab12345")
    MerchantFactory(name="五金", region=regions["410811"], stars=None, former_names="老五金")
    MerchantFactory(name="和平商店", region=regions["410811"], stars=1, address="五金路3号")
    queryset = public_merchants()
    for raw in ("五金", "ab", "91410802", "AB12", "金", "五金路", "和平商店"):
        ranked = RankedSearch(queryset, SearchQuery(raw), order)
        with connection.cursor() as cursor:
            sql, params = ranked.candidates_sql()
            cursor.execute(sql, params)
            by_python = ranked.rank_rows(cursor.fetchall())
        assert ranked.ids == by_python, (raw, order)
        assert by_python, raw


def test_unrated_entities_come_after_zero_stars_among_equal_matches(client, regions):
    for name, stars in (("五金甲", None), ("五金乙", 0), ("五金丙", 2)):
        MerchantFactory(name=name, region=regions["410802"], stars=stars)
    page = _through_shell(client, {"q": "五金"})
    assert page.index("五金丙") < page.index("五金乙") < page.index("五金甲")


def test_a_search_is_stored_in_the_page_cache_from_its_second_request_within_the_ttl(client, shops):
    from integrity_portal.core import public_cache

    public_cache._ASKED.clear()
    with mock.patch.object(directory, "search_page", wraps=directory.search_page) as rendered:
        client.get("/merchants/", {"q": "五金市场"})  # first: rendered, not stored
        client.get("/merchants/", {"q": "五金市场"})  # second: rendered and stored
        third = client.get("/merchants/", {"q": "五金市场"})  # from the cache
        assert rendered.call_count == 2
        client.get("/merchants/", {"q": "五金杂货"})  # another query: its own count
        assert rendered.call_count == 3
    assert "城南五金市场" in third.content.decode()
    # a first request longer ago than the TTL does not count
    public_cache._ASKED.clear()
    cache.clear()
    with mock.patch.object(public_cache.time, "monotonic", return_value=1_000.0):
        client.get("/merchants/", {"q": "火锅"})
    later = 1_000.0 + public_cache.PUBLIC_PAGES_TTL + 1
    with (
        mock.patch.object(public_cache.time, "monotonic", return_value=later),
        mock.patch.object(directory, "search_page", wraps=directory.search_page) as rendered,
    ):
        client.get("/merchants/", {"q": "火锅"})
        client.get("/merchants/", {"q": "火锅"})
        assert rendered.call_count == 2  # the first of these counted as a first request


def test_a_search_asked_for_the_first_time_is_rendered_without_a_cache_lookup(client, shops):
    """The doorkeeper: a page this process was never asked for is not looked up in the shared cache (one
    round trip fewer for almost every search); from its second request on it is, so a page another worker
    stored is served from the cache."""
    from integrity_portal.core import public_cache

    public_cache._ASKED.clear()
    client.get("/merchants/", {"q": "五金市场"})
    client.get("/merchants/", {"q": "五金市场"})  # stored (second request)
    public_cache._ASKED.clear()  # as another worker: never asked for it
    with (
        mock.patch.object(public_cache, "public_cache_get", wraps=public_cache.public_cache_get) as looked_up,
        mock.patch.object(directory, "search_page", wraps=directory.search_page) as rendered,
    ):
        first = client.get("/merchants/", {"q": "五金市场"})
        assert (looked_up.call_count, rendered.call_count) == (0, 1)
        second = client.get("/merchants/", {"q": "五金市场"})
        assert (looked_up.call_count, rendered.call_count) == (1, 1)  # the stored page
    assert CSRF.sub("", first.content.decode()) == CSRF.sub("", second.content.decode())
    # the version the render keys its shell by is at most half a second old; a change here shows at once
    version = public_cache.public_pages_version()
    public_cache.public_pages_changed()
    assert public_cache.public_pages_version_recent() == version + 1


def test_another_processes_change_shows_within_half_a_second():
    from django.core.cache import cache as shared

    from integrity_portal.core import public_cache

    version = public_cache.public_pages_version()
    shared.incr(public_cache.PUBLIC_PAGES_VERSION_KEY)  # another process's change: not seen here yet
    now = public_cache.time.monotonic()
    with mock.patch.object(public_cache.time, "monotonic", return_value=now + 0.1):
        assert public_cache.public_pages_version_recent() == version
    with mock.patch.object(public_cache.time, "monotonic", return_value=now + 0.6):
        assert public_cache.public_pages_version_recent() == version + 1


def test_the_admission_count_is_bounded(settings):
    from integrity_portal.core import public_cache

    public_cache._ASKED.clear()
    with mock.patch.object(public_cache, "_ASKED_MAX", 3):
        for n in range(10):
            public_cache.public_cache_asked(f"k{n}")
        assert list(public_cache._ASKED) == ["k7", "k8", "k9"]


def test_the_admission_count_is_safe_under_threads():
    """A threaded server (runserver, gthread workers) shares the count: evictions never raise."""
    import threading

    from integrity_portal.core import public_cache

    public_cache._ASKED.clear()
    errors = []

    def ask(n):
        try:
            for i in range(300):
                public_cache.public_cache_asked(f"k{(n * 7 + i) % 40}")
        except Exception as error:  # noqa: BLE001 (any error fails the test below)
            errors.append(error)

    with mock.patch.object(public_cache, "_ASKED_MAX", 5):
        threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(public_cache._ASKED) <= 5


def test_a_directory_row_names_the_card_columns_in_their_order():
    """``DirectoryRow._make`` takes the rows ``PageRows`` and ``SearchPages`` read as ``CARD_COLUMNS``."""
    assert directory.DirectoryRow._fields == tuple(c.replace("__", "_") for c in directory.CARD_COLUMNS)
