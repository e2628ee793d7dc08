"""The open-data API's fast path (docs/SEARCH.md "The API's search path"): rows read as dicts and turned into
``MerchantSerializer``'s fields directly must give exactly what the declared fields give for a model instance,
and the newest-entities window of a search must give exactly the pages the index gives."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from merchants.api.serializers import MerchantSerializer
from merchants.models import Merchant, MerchantKind, MerchantStatus
from merchants.selectors import search_api as api_search
from merchants.selectors.register import public_merchants_open_data
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, inspect

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    cache.clear()
    return APIClient()


@pytest.fixture
def varied(regions):
    """Entities in every state a row can show (each name holds 测试, the search below)."""
    district, city = regions["410802"], regions["410800"]
    market = MerchantFactory(
        name="测试农贸市场", kind=MerchantKind.MARKET, region=district, is_large_venue=True
    )
    rated = MerchantFactory(
        name="测试面馆",
        region=district,
        parent_market=market,
        registered_on=date(2019, 3, 4),
        is_time_honored=True,
    )
    inspect(rated)
    ratings_recompute(merchant_ids=[rated.pk])
    pending = MerchantFactory(name="测试粮油店", region=district, stars=4)
    Merchant.objects.filter(pk=pending.pk).update(rating_stale=True)
    deregistered = MerchantFactory(
        name="测试注销商店", region=city, stars=3, status=MerchantStatus.DEREGISTERED
    )
    listed = MerchantFactory(name="测试失信公司", kind=MerchantKind.ENTERPRISE, region=district)
    blacklist(listed)
    appealed = MerchantFactory(name="测试申诉商户", region=city, stars=0)
    Merchant.objects.filter(pk=appealed.pk).update(rating_under_appeal=True)
    unrated = MerchantFactory(name="测试新开商户", region=district, stars=None)
    return {
        "market": market,
        "rated": Merchant.objects.get(pk=rated.pk),
        "pending": pending,
        "deregistered": deregistered,
        "listed": listed,
        "appealed": appealed,
        "unrated": unrated,
    }


def _declared_fields(merchant: Merchant) -> dict:
    """What the declared fields give for the model instance (REST framework's own field-by-field path)."""
    instance = public_merchants_open_data().get(pk=merchant.pk)
    return dict(MerchantSerializer(instance).data)


def _listed(api, **params) -> dict[int, dict]:
    response = api.get("/api/v1/merchants/", params)
    assert response.status_code == 200, response.content
    return {row["merchant_id"]: row for row in response.json()["results"]}


def test_fast_rows_equal_the_declared_fields_for_every_state(api, varied):
    searched = _listed(api, search="测试")  # the search-only path (no filterset)
    filtered = _listed(api, search="测试", region_code="410800")  # through the filterset
    plain = _listed(api, page_size=200)  # no search
    assert set(searched) == {m.pk for m in varied.values()}
    for merchant in varied.values():
        expected = _declared_fields(merchant)
        assert list(searched[merchant.pk]) == list(MerchantSerializer.Meta.fields)
        assert searched[merchant.pk] == expected
        assert filtered[merchant.pk] == expected
        assert plain[merchant.pk] == expected
        assert api.get(f"/api/v1/merchants/{merchant.pk}/").json() == expected


def test_fast_rows_field_by_field(api, varied):
    rows = _listed(api, search="测试")
    market, rated = rows[varied["market"].pk], rows[varied["rated"].pk]
    assert market["kind"] == "market" and market["is_large_venue"] is True
    assert market["region_code"] == "410802" and market["region_name"] == "焦作市解放区"
    assert market["parent_market_id"] is None and market["parent_market_name"] is None
    assert market["rating_state"] == "not_rated" and market["stars"] is None and market["rated_at"] is None

    assert rated["parent_market_id"] == varied["market"].pk and rated["parent_market_name"] == "测试农贸市场"
    assert rated["registered_on"] == "2019-03-04" and rated["is_time_honored"] is True
    assert rated["rating_state"] == "rated" and rated["stars"] == varied["rated"].stars is not None
    computed = varied["rated"].current_rating.computed_at
    assert rated["rated_at"] == timezone.localtime(computed).isoformat()
    assert rated["rated_at"].endswith("+08:00")  # Asia/Shanghai, as DateTimeField gives it
    changed = max(varied["rated"].updated_at, computed)
    assert rated["updated_at"] == timezone.localtime(changed).isoformat()
    assert rated["new_rating_pending"] is False and rated["black_listed"] is False

    assert rows[varied["pending"].pk]["new_rating_pending"] is True
    assert rows[varied["pending"].pk]["stars"] == 4

    gone = rows[varied["deregistered"].pk]
    assert (
        gone["status"] == "deregistered" and gone["rating_state"] == "deregistered" and gone["stars"] is None
    )
    assert gone["region_name"] == "焦作市"  # a city: its own name

    assert rows[varied["listed"].pk]["black_listed"] is True
    assert rows[varied["listed"].pk]["kind"] == "enterprise"
    appealed = rows[varied["appealed"].pk]
    assert (
        appealed["rating_under_appeal"] is True
        and appealed["stars"] == 0
        and appealed["rating_state"] == "rated"
    )
    assert rows[varied["unrated"].pk]["registered_on"] is None
    assert rows[varied["unrated"].pk]["rating_state"] == "not_rated"


def test_search_only_request_is_validated_as_the_filterset_validates_it(api, regions):
    MerchantFactory(name="测试商户", region=regions["410802"])
    assert api.get("/api/v1/merchants/", {"search": "测" * 61}).status_code == 400
    assert api.get("/api/v1/merchants/", {"search": "测\x00试"}).status_code == 400
    assert api.get("/api/v1/merchants/", {"search": "  测试  "}).json()["results"][0]["name"] == "测试商户"
    assert len(api.get("/api/v1/merchants/", {"search": "   "}).json()["results"]) == 1  # no search: all


# --- The newest entities' window ---------------------------------------------------------------------------


@pytest.fixture
def window(monkeypatch):
    """Windows of at most 8 entities, and statistics by which every entity holds 火锅店's bigrams (so a page
    of 3 asks for the newest 2 × 4 = 8)."""
    monkeypatch.setattr(api_search, "API_SEARCH_WINDOW", 8)
    monkeypatch.setattr(api_search, "gram_frequencies", lambda using: ({"火锅": 1.0, "锅店": 1.0}, 0.01))


def _searches(captured) -> list[list]:
    """The parameters of each run of the search statement (``SearchRows``): cursor, window, text, page + 1,
    grams, …; prepared, it is an ``EXECUTE ip_api_search_…``."""
    return [q for q in captured if "EXECUTE ip_api_search_" in q[0]]


class _Sent:
    """Every statement the connection sends, with its parameters (CaptureQueriesContext keeps no params)."""

    def __init__(self):
        self.sent: list[tuple[str, list]] = []

    def __call__(self, execute, sql, params, many, context):
        self.sent.append((sql, list(params or [])))
        return execute(sql, params, many, context)


def _get(api, url: str, params: dict) -> tuple[dict, list[tuple[str, list]]]:
    cache.clear()
    sent = _Sent()
    with connection.execute_wrapper(sent):
        body = api.get(url, params).json()
    return body, sent.sent


def _follow(api, url: str, params: dict, link: str) -> tuple[list[list[int]], list[list], str | None]:
    """Every page by its ``link`` ("next" or "previous") links: the ids of each page, the search statement's
    parameters for each page, and the last page's link the other way."""
    pages, runs, other = [], [], None
    while url:
        body, sent = _get(api, url, params)
        runs.append([p for _sql, p in _searches(sent)])
        pages.append([row["merchant_id"] for row in body["results"]])
        other = body["previous" if link == "next" else "next"]
        url, params = (
            (urlparse(body[link]).path, parse_qs(urlparse(body[link]).query)) if body[link] else ("", {})
        )
    return pages, runs, other


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the window is PostgreSQL's")
@pytest.mark.parametrize("statistics", ["common", "none"])
def test_window_pages_equal_the_index_pages(api, regions, window, monkeypatch, statistics):
    """Whether the window is tried (common bigrams) or not (no statistics: the index only), every page, both
    ways, is the index's answer in id order."""
    if statistics == "none":
        monkeypatch.setattr(api_search, "gram_frequencies", lambda using: ({}, 0.0))
    region = regions["410802"]
    old = [MerchantFactory(name=f"火锅店{i}" if i % 6 == 0 else f"面馆{i}", region=region) for i in range(30)]
    new = [
        MerchantFactory(name=f"老火锅店{i}" if i % 2 == 0 else f"粮油{i}", region=region) for i in range(12)
    ]
    expected = sorted((m.pk for m in (*old, *new) if "火锅店" in m.name), reverse=True)

    pages, runs, previous = _follow(api, "/api/v1/merchants/", {"search": "火锅店", "page_size": 3}, "next")
    assert [pk for page in pages for pk in page] == expected
    assert all(len(run) == 1 for run in runs)  # one statement per page
    assert {run[0][1] for run in runs} == ({8} if statistics == "common" else {0})  # the window's size
    # The same pages through the previous links (the window walks upwards from the cursor).
    query = parse_qs(urlparse(previous).query)
    back, _runs, _next = _follow(api, urlparse(previous).path, query, "previous")
    assert back == list(reversed(pages[:-1]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the window is PostgreSQL's")
def test_a_window_holding_the_page_is_the_page_and_a_short_one_leaves_it_to_the_index(regions):
    """Asked for grams no entity holds, only the window can answer: it does when it holds the page, and the
    index (which finds nothing for those grams) answers when it does not."""
    region = regions["410802"]
    made = [MerchantFactory(name=f"火锅店{i}" if i % 2 else f"面馆{i}", region=region) for i in range(10)]
    newest_matches = sorted((m.pk for m in made if "火锅店" in m.name), reverse=True)
    statement = api_search.SearchRows(connection.alias, ascending=False, zone="Asia/Shanghai")

    def run(window: int, want: int) -> list[int]:
        found = statement(
            connection.alias, after=2**63 - 1, window=window, text="火锅店", grams=["不在"], want=want
        )
        return sorted((row[0] for row in found), reverse=True)

    assert run(window=10, want=3) == newest_matches[:3]  # 10 newest hold 5 matches: the window answers
    assert run(window=4, want=3) == []  # 4 newest hold 2: the index runs (and finds nothing for 不在)
    assert run(window=0, want=3) == []  # not tried


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the window is PostgreSQL's")
def test_window_is_tried_only_for_a_query_of_common_grams(api, regions, window):
    MerchantFactory.create_batch(5, name="老火锅店", region=regions["410802"])
    for word, size in (("火锅店", 8), ("火锅", 8), ("火锅城", 0)):  # 锅城 is not among the common bigrams
        _body, sent = _get(api, "/api/v1/merchants/", {"search": word, "page_size": 3})
        assert [p[1] for _sql, p in _searches(sent)] == [size], word
    # another filter: the filterset and the keys' query, never the statement
    _body, sent = _get(api, "/api/v1/merchants/", {"search": "火锅店", "page_size": 3, "kind": "merchant"})
    assert not _searches(sent)
    # a code-like query (a USCC prefix) is not a word: the keys' query
    _body, sent = _get(api, "/api/v1/merchants/", {"search": "9241", "page_size": 3})
    assert not _searches(sent)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statistics of PostgreSQL")
def test_gram_frequencies_come_from_the_index_statistics(regions, monkeypatch):
    MerchantFactory.create_batch(40, name="火锅店", region=regions["410802"])
    MerchantFactory.create_batch(40, name="粮油商行", region=regions["410802"])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Merchant._meta.db_table}")
    monkeypatch.setattr(api_search, "_gram_stats", {})
    freqs, floor = api_search.gram_frequencies(connection.alias)
    assert 0.4 <= freqs["火锅"] <= 0.6 and 0.4 <= freqs["粮油"] <= 0.6 and 0 < floor <= 0.6
    # Half the register holds each bigram of 火锅店: twice a page of 51 is likely among the newest ~204.
    assert 170 <= api_search.window_size("火锅店", connection.alias, 51) <= 255
    assert api_search.window_size("火锅粮", connection.alias, 51) == 0  # 锅粮 is in no name
    assert 170 <= api_search.window_size("火锅", connection.alias, 51) <= 255  # one bigram: its own share
    monkeypatch.setattr(api_search, "API_SEARCH_WINDOW", 150)
    assert api_search.window_size("火锅店", connection.alias, 51) == 0  # more than the most a window walks


def test_uncached_search_stores_the_answer_and_its_last_modified_record(api, regions):
    """A search asked for the second time within the TTL is stored (60 s) with its Last-Modified record (a
    day) — the first is not (one-off searches do not fill the cache); the next request is answered from the
    cache without a query, with the same body, ETag and Last-Modified, and 304 for a current copy."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from integrity_portal.core.api_conditional import LAST_MODIFIED_TTL
    from integrity_portal.core.public_cache import PUBLIC_PAGES_TTL
    from tests.conftest import skip_or_fail

    if not isinstance(caches["default"], RedisCache):  # it reads the keys and their TTLs in Redis
        skip_or_fail("needs the Redis cache: set CACHE_URL=redis://… and start redis-server")
    MerchantFactory(name="测试商户", region=regions["410802"])
    first = api.get("/api/v1/merchants/", {"search": "测试"})
    backend = caches["default"]
    client = backend._cache.get_client(write=False)
    keys = [k.decode() for k in client.keys(backend.make_key("public:*"))]
    assert not [k for k in keys if ":public:api:merchants:" in k]  # asked once: not stored
    second = api.get("/api/v1/merchants/", {"search": "测试"})
    assert second.content == first.content and second["ETag"] == first["ETag"]
    keys = [k.decode() for k in client.keys(backend.make_key("public:*"))]
    answer = [k for k in keys if ":public:api:merchants:" in k]
    record = [k for k in keys if ":public:lastmod:" in k]
    assert len(answer) == 1 and len(record) == 1
    assert PUBLIC_PAGES_TTL - 5 <= client.ttl(answer[0]) <= PUBLIC_PAGES_TTL
    assert LAST_MODIFIED_TTL - 5 <= client.ttl(record[0]) <= LAST_MODIFIED_TTL
    with CaptureQueriesContext(connection) as captured:
        again = api.get("/api/v1/merchants/", {"search": "测试"})
    assert not captured.captured_queries and again.content == first.content
    assert again["ETag"] == first["ETag"] and again["Last-Modified"] == first["Last-Modified"]
    assert (
        api.get("/api/v1/merchants/", {"search": "测试"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    )


# --- Rows rendered by PostgreSQL ------------------------------------------------------------------------------


def _expected_body(body: bytes, zone: str) -> bytes:
    """What REST framework writes for this page through the declared fields: ``JSONRenderer`` over
    ``MerchantSerializer`` of each model instance (same envelope, in the page's order)."""
    from rest_framework.renderers import JSONRenderer

    envelope = json.loads(body)
    ids = [row["merchant_id"] for row in envelope["results"]]
    with timezone.override(zone):
        instances = {m.pk: m for m in public_merchants_open_data().filter(pk__in=ids)}
        results = [dict(MerchantSerializer(instances[pk]).data) for pk in ids]
    return JSONRenderer().render(
        {"next": envelope["next"], "previous": envelope["previous"], "results": results}
    )


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata"])
def test_pages_are_byte_for_byte_what_the_serializer_and_renderer_write(api, varied, zone):
    """Hostile text (quotes, a backslash, markup, control characters, U+2028/U+2029, an emoji), date-times with
    and without microseconds, in time zones east, west and at UTC: the search statement's page, the keys'
    query's page and the plain list are the exact bytes of the declared fields through ``JSONRenderer``."""
    hostile = MerchantFactory(
        name='测试"引号"\\反斜杠<b>&amp;',
        address="测试\x01\x1f\t\n\r路\u2028\u2029😀号",
        legal_representative="O'Brien </script>",
        region=varied["rated"].region,
    )
    whole = timezone.now().replace(microsecond=0)
    Merchant.objects.filter(pk=hostile.pk).update(updated_at=whole)
    # Shanghai kept summer time (+09:00) in 1986 – 1991: outside the span written with a constant offset
    summer_1988 = datetime(1988, 7, 1, 4, 0, 0, 5, tzinfo=UTC)
    Merchant.objects.filter(pk=varied["unrated"].pk).update(updated_at=summer_1988)
    Merchant.objects.filter(pk=varied["pending"].pk).update(updated_at=whole.replace(microsecond=120))
    with timezone.override(zone):
        pages = [
            api.get("/api/v1/merchants/", {"search": "测试"}),  # the search statement
            api.get("/api/v1/merchants/", {"search": "测试", "region_code": "410800"}),  # keys' query
            api.get("/api/v1/merchants/", {"page_size": 200}),  # no search
            api.get("/api/v1/merchants/", {"search": "测试", "page_size": 2}),  # a page and its next link
        ]
    for response in pages:
        assert response.status_code == 200
        assert response.content == _expected_body(response.content, zone)
    assert hostile.pk in [row["merchant_id"] for row in pages[0].json()["results"]]
    assert b"\\u2028" in pages[0].content and "\u2028".encode() not in pages[0].content
    assert json.loads(pages[0].content)["results"][0]["address"] == "测试\x01\x1f\t\n\r路\u2028\u2029😀号"
    unrated = {row["merchant_id"]: row for row in pages[0].json()["results"]}[varied["unrated"].pk]
    assert (
        unrated["updated_at"]
        == {
            "Asia/Shanghai": "1988-07-01T13:00:00.000005+09:00",
            "UTC": "1988-07-01T04:00:00.000005Z",
            "America/New_York": "1988-07-01T00:00:00.000005-04:00",
            "Asia/Kolkata": "1988-07-01T09:30:00.000005+05:30",
        }[zone]
    )


def test_a_zone_is_written_with_a_constant_offset_only_where_it_never_changes():
    from datetime import timedelta

    from merchants.selectors.open_data_json import fixed_offset

    assert fixed_offset("Asia/Shanghai") == timedelta(hours=8)
    assert fixed_offset("UTC") == timedelta(0)
    assert fixed_offset("Asia/Kolkata") == timedelta(hours=5, minutes=30)
    assert fixed_offset("America/New_York") is None  # summer time
    assert fixed_offset("Europe/Moscow") is None  # +03:00, +04:00 in 2011 – 2014
    assert fixed_offset("No/Such_Zone") is None


def test_the_browsable_api_shows_rendered_rows_as_data(api, varied):
    response = api.get("/api/v1/merchants/", {"search": "测试", "format": "api"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "测试面馆" in response.content.decode()
    indented = api.get("/api/v1/merchants/", {"search": "测试"}, HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "next"' in indented.content
    assert json.loads(indented.content) == api.get("/api/v1/merchants/", {"search": "测试"}).json()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the window is PostgreSQL's")
def test_the_walk_is_chosen_only_where_it_reads_less_than_the_index(monkeypatch):
    """At 140k entities a page of 51 is walked for a word in 2 % of the register (~2,550 entities walked
    against ~2,800 matches read through the index) but not for one in 0.5 % (~10,200 walked against ~700);
    at 1.4M the 0.5 % word is walked too (7,000 matches)."""
    monkeypatch.setattr(api_search, "gram_frequencies", lambda using: ({"常见": 0.02, "少见": 0.005}, 0.001))
    monkeypatch.setattr(api_search, "register_rows", lambda using: 140_000.0)
    assert api_search.window_size("常见", connection.alias, 51) == 5100
    assert api_search.window_size("少见", connection.alias, 51) == 0
    monkeypatch.setattr(api_search, "register_rows", lambda using: 1_400_000.0)
    assert api_search.window_size("少见", connection.alias, 51) == 20_400
    monkeypatch.setattr(api_search, "register_rows", lambda using: 0.0)  # never analysed: the cap alone
    assert api_search.window_size("少见", connection.alias, 51) == 20_400


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_search_statement_is_its_own_health_check_and_a_dead_connection_is_replaced(regions):
    """As the directory's statement (``core.prepared.read_as_health_check``): no ``SELECT 1`` first on a
    reused connection, and a connection found dead is replaced and the page read again."""
    from unittest import mock

    from django.db.backends.postgresql.base import DatabaseWrapper

    from tests.merchants.test_search_pages import _terminate

    made = MerchantFactory.create_batch(4, name="火锅店", region=regions["410802"])
    cache.clear()
    api = APIClient()
    expected = api.get("/api/v1/merchants/", {"search": "火锅"}).content
    assert [row["merchant_id"] for row in json.loads(expected)["results"]] == sorted(
        (m.pk for m in made), reverse=True
    )
    connection.health_check_done = False  # as at the start of a request on a reused connection
    cache.clear()
    with mock.patch.object(DatabaseWrapper, "is_usable", side_effect=AssertionError("pinged")):
        assert api.get("/api/v1/merchants/", {"search": "火锅"}).content == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        dead = cursor.fetchone()[0]
    _terminate(dead)
    connection.health_check_done = False  # the next request
    cache.clear()
    response = api.get("/api/v1/merchants/", {"search": "火锅"})
    assert response.status_code == 200 and response.content == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dead
