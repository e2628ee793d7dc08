"""The open-data API's reads of the register: a page's keys and its rows (docs/SEARCH.md "The API's search
path").

A **search with no other filter** reaches the pagination as ``SearchKeys`` and its page is one statement,
``SearchRows``: the newest entities after the cursor walked through the primary key when the query's grams are
common enough for the walk to read less than the GIN index would (``window_size``), else the index's matches
— then the page's rows, each rendered as the API's JSON by PostgreSQL (``selectors.open_data_json``).

**Every other list** filters and pages ``open_data_keys()`` — the register's keys, with no join. Evaluated (by
the pagination's slice), it runs the keys' query and reads the rows of the ids found, in their order, through
one statement prepared once per connection (``PageRows``): the region, its city, the market's name, the
current rating and the black-list flag — as JSON on PostgreSQL, as dicts of ``OPEN_DATA_COLUMNS`` elsewhere
(``MerchantSerializer.row_representation`` gives them the same fields). No model instance is built and no
unused column read.
"""

from __future__ import annotations

import math
import time

from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.query import BaseIterable
from django.utils import timezone

from integrity_portal.core.api_json import RenderedRow, RenderedRows
from integrity_portal.core.prepared import PreparedStatement, numbered, prepared_type, read_as_health_check

from ..models import Merchant
from ..search import GRAMS_FUNCTION, GRAMS_INDEX, query_grams
from .open_data_json import json_rows_sql, zone_name
from .register import on_black_list_now
from .search import SERIAL_PLAN_SQL, PageRows, SearchQuery, _AnyOf
from .search_page import GENERIC_PLAN_SQL

#: Sent before the search statement's ``EXECUTE`` (for it only). The generic plan is made at a connection's first
#: execution with these settings: ``random_page_cost`` as for data in memory or on SSD, so that the
#: black-list flag of the page's rows is probed per row through the (merchant, list) index (51 probes)
#: rather than every entry in force hashed on each search (662 entries at 140k entities, ten times that at
#: 1.4M; the default cost of 4 made the hash look cheaper for the planner's guess of 10 rows).
_PREFIX = GENERIC_PLAN_SQL + SERIAL_PLAN_SQL + "SET LOCAL random_page_cost = 1.1; "

#: Most entities a window walks (newest first, from the cursor) before a search falls back to the index.
API_SEARCH_WINDOW = 100_000
#: A window is sized to hold this many times the page at the share of the query's rarest bigram.
WINDOW_MARGIN = 2
#: A match read through the grams index (bitmap, recheck, top-N sort) costs PostgreSQL about four entities
#: walked through the primary key: measured at 140k, the walk is the cheaper way from a rarest-gram share of
#: about 1 % (0.3 % at 1.4M) — below it, a walk of thousands of entities cost more than the index's rows.
WALK_COST_RATIO = 0.25
#: Seconds the index's statistics are kept per process (they change with ANALYZE only).
GRAM_STATS_TTL = 600

#: The columns a row of the open data is made of (``MerchantSerializer`` turns them into its fields).
OPEN_DATA_COLUMNS = (
    "id",
    "name",
    "kind",
    "industry",
    "uscc",
    "licence_number",
    "legal_representative",
    "address",
    "region_id",
    "region__name",
    "region__level",
    "region__parent",
    "region__parent__name",
    "parent_market_id",
    "parent_market__name",
    "is_large_venue",
    "is_time_honored",
    "status",
    "registered_on",
    "stars",
    "on_black_list",
    "rated_at",
    "new_rating_pending",
    "rating_under_appeal",
    "updated_at",
)


def public_merchants_open_data_values():
    """Every registered entity as a dict of ``OPEN_DATA_COLUMNS``: ``public_merchants_open_data``'s facts
    (black-list flag, when the current rating was made, "new rating pending") without model instances."""
    return Merchant.objects.annotate(
        on_black_list=on_black_list_now(),
        rated_at=F("current_rating__computed_at"),
        new_rating_pending=F("rating_stale"),
    ).values(*OPEN_DATA_COLUMNS)


class _OpenDataRows(BaseIterable):
    def __iter__(self):
        return iter(open_data_rows(self.queryset))


class OpenDataKeys(QuerySet):
    """Keys of the register that read their open-data rows when evaluated (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._iterable_class = _OpenDataRows

    def searching(self, query: SearchQuery) -> OpenDataKeys:
        """The keys matching ``query`` (name, former name, address contains, or code prefix)."""
        return self.filter(query.q_any(connections[self.db].vendor))


class SearchKeys:
    """The keys of a search with no other filter, as the cursor pagination uses them — ``order_by`` the id,
    ``filter`` by the cursor's id bound, a slice from 0 — answered by ``SearchRows`` without building the
    ORM's query (its filter and clones cost about a tenth of a millisecond a request).

    Anything else (another filter, an offset, a code-like query, another database, any other method) is the
    ordinary queryset, built then: ``OpenDataKeys.searching`` with the same bound and order."""

    _BOUNDS = frozenset({"id__lt", "id__gt", "pk__lt", "pk__gt"})

    def __init__(self, keys: OpenDataKeys, search: SearchQuery, bounds: dict | None = None, order=()):
        self.keys, self.search, self.bounds, self.order = keys, search, bounds or {}, tuple(order)
        self.db = keys.db

    def queryset(self) -> OpenDataKeys:
        queryset = self.keys.searching(self.search)
        if self.bounds:
            queryset = queryset.filter(**self.bounds)
        return queryset.order_by(*self.order) if self.order else queryset

    def filter(self, *args, **kwargs):
        if not args and kwargs and set(kwargs) <= self._BOUNDS:
            return SearchKeys(self.keys, self.search, {**self.bounds, **kwargs}, self.order)
        return self.queryset().filter(*args, **kwargs)

    def order_by(self, *fields):
        return SearchKeys(self.keys, self.search, self.bounds, fields)

    def __getitem__(self, k):
        if isinstance(k, slice) and not k.start and k.stop is not None and k.step is None:
            rows = _search_rows(self, int(k.stop))
            if rows is not None:
                return rows
        return self.queryset()[k]

    def __getattr__(self, name):
        return getattr(self.queryset(), name)


def open_data_keys() -> OpenDataKeys:
    return OpenDataKeys(model=Merchant)


def open_data_rows(keys: QuerySet) -> list:
    """The open-data rows of the keys ``keys`` selects, in its order: on PostgreSQL ``RenderedRow`` s (the
    row's JSON, ``selectors.open_data_json``), elsewhere dicts of ``OPEN_DATA_COLUMNS``.

    A search with no other filter is one prepared statement (``SearchRows``); anything else is the keys' query
    (its own plan), then the page's rows by id through a statement prepared once per connection
    (``selectors.search.PageRows``): two round trips, but neither the ORM's compilation of the joined select
    nor PostgreSQL's planning of it per request."""
    sql, params = QuerySet.values(keys, "id").query.get_compiler(using=keys.db).as_sql()
    return rows_for_ids(keys.db, _ids(keys.db, sql, params))


def _ids(using: str, sql: str, params) -> list[int]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


_readers: dict[tuple, PageRows] = {}


def _rows_key(using: str) -> tuple:
    # The black list's date and the time zone the rows are written in are part of the statement.
    return (using, timezone.localdate(), zone_name())


def rows_for_ids(using: str, ids: list[int]) -> list:
    """The open-data rows of these ids, in their order (see ``open_data_rows`` for their form)."""
    key = _rows_key(using)
    reader = _readers.get(key)
    if reader is None:
        _readers.clear()  # another day's
        zone = key[2]
        wrap = None if zone is None else (lambda sql: json_rows_sql(sql, OPEN_DATA_COLUMNS, zone))
        values = public_merchants_open_data_values().using(using)
        reader = _readers[key] = PageRows(values, OPEN_DATA_COLUMNS, wrap=wrap)
    rows = reader(ids)
    if reader.wrapped:
        return RenderedRows(RenderedRow(*row) for row in rows)
    return [dict(zip(OPEN_DATA_COLUMNS, row, strict=True)) for row in rows]


class SearchRows:
    """A page of a search with no other filter, in id order from a cursor, as one prepared statement that
    returns the page's rows as JSON (``selectors.open_data_json``).

    ``w``, the **window**: the newest (or, for ``ascending``, oldest) ``$2`` entities after the cursor ``$1``,
    walked through the primary key and tested with ``strpos`` — tried when the query's grams are common
    (``window_size``; ``$2`` = 0 otherwise): if it holds the page (``$4`` rows), it is the page — every match
    between the cursor and the window's last entity is in it. ``i``, the **index**: otherwise, the matches
    through the GIN grams index, the page taken by a top-N sort (``id + 0``: no walk of the primary key,
    whatever the generic plan's guess of how common the word is) — a one-time filter on ``w`` 's count, so it
    runs only when the window did not answer. Then the page's rows, as ``PageRows`` reads them.

    Runs on its generic plan (planned once per connection, not per word: the choice between walk and index is
    the window's, made from the grams' statistics), without parallel workers. One statement per database,
    day (the black list's date), time zone and direction."""

    def __init__(self, using: str, *, ascending: bool, zone: str):
        meta = Merchant._meta
        table = meta.db_table
        pk = meta.pk.column
        text = meta.get_field("search_text").column
        direction, compare = ("ASC", ">") if ascending else ("DESC", "<")
        marker: list[int] = []
        rows = public_merchants_open_data_values().using(using).order_by()
        rows = rows.filter(_AnyOf(marker, F("pk"))).values_list(*OPEN_DATA_COLUMNS)
        rows_sql, rows_params = rows.query.get_compiler(using=using).as_sql()
        types = ["bigint", "bigint", "text", "bigint", "text[]"]  # cursor, window, text, page + 1, grams

        def placeholder(n: int) -> str:
            param = rows_params[n]
            if param is marker:
                return "k.ids"
            kind = prepared_type(param)
            if kind is None:
                raise ValueError(f"no type for {param!r}")
            types.append(kind)
            self.params.append(param)
            return f"${len(types)}"

        self.params: list = []
        rows_sql = json_rows_sql(numbered(rows_sql, placeholder), OPEN_DATA_COLUMNS, zone)
        # Names from the model's options; every value is a parameter.
        sql = (
            f'WITH w AS MATERIALIZED (SELECT x."{pk}" AS id FROM (SELECT m."{pk}", m."{text}" FROM "{table}" m'  # noqa: S608
            f' WHERE m."{pk}" {compare} $1 ORDER BY m."{pk}" {direction} LIMIT $2) x'
            f' WHERE strpos(x."{text}", $3) <> 0 ORDER BY x."{pk}" {direction} LIMIT $4),'
            f' i AS MATERIALIZED (SELECT m."{pk}" AS id FROM "{table}" m WHERE (SELECT count(*) FROM w) < $4'
            f' AND strpos(m."{text}", $3) <> 0 AND {GRAMS_FUNCTION}(m."{text}") @> $5::text[]'
            f' AND (m."{pk}" + 0) {compare} $1 ORDER BY m."{pk}" + 0 {direction} LIMIT $4),'
            " k AS MATERIALIZED (SELECT ARRAY(SELECT w.id FROM w WHERE (SELECT count(*) FROM w) >= $4"
            " UNION ALL SELECT i.id FROM i) AS ids)"
            f" SELECT j.* FROM k CROSS JOIN LATERAL ({rows_sql}) j"
        )
        self.sql = sql
        self.statement = PreparedStatement(sql, types, name_prefix="ip_api_search", dollar=True)

    def __call__(
        self, using: str, *, after: int, window: int, text: str, grams: list[str], want: int
    ) -> list[tuple] | None:
        params = [after, window, text, want, grams, *self.params]
        connection = connections[using]

        def run():
            with connection.cursor() as cursor:
                if not self.statement.execute(connection, cursor, params, prefix=_PREFIX):
                    return None  # the server refused to prepare it: the keys' query answers
                return cursor.fetchall()

        return read_as_health_check(connection, run)


_BIGINT_MAX = 2**63 - 1
_statements: dict[tuple, SearchRows] = {}


def _search_rows(keys: SearchKeys, want: int) -> RenderedRows | None:
    """The first ``want`` keys of ``keys`` (its search, its cursor bound, its id order) with their rows,
    through ``SearchRows``; None when the statement does not apply (a code-like query, another database,
    another order or bound)."""
    search, order = keys.search, keys.order
    if search.code or connections[keys.db].vendor != "postgresql" or order not in (("-id",), ("id",)):
        return None
    ascending = order == ("id",)
    bound_names = ("id__gt", "pk__gt") if ascending else ("id__lt", "pk__lt")
    if not set(keys.bounds) <= set(bound_names) or len(keys.bounds) > 1 or want < 1:
        return None
    grams = query_grams(search.text)
    key = (*_rows_key(keys.db), ascending)
    zone = key[2]
    if not grams or zone is None:
        return None
    after = next(iter(keys.bounds.values()), 0 if ascending else _BIGINT_MAX)
    try:
        after = max(-_BIGINT_MAX, min(int(after), _BIGINT_MAX))  # a bound past either end bounds nothing
    except (TypeError, ValueError):
        return None  # not a number: the queryset answers (and refuses it) as for any other request
    statement = _statements.get(key)
    if statement is None:
        _statements.clear()  # another day's
        statement = _statements[key] = SearchRows(keys.db, ascending=ascending, zone=zone)
    found = statement(
        keys.db,
        after=after,
        window=window_size(search.text, keys.db, want),
        text=search.text,
        grams=grams,
        want=want,
    )
    if found is None:
        return None
    found.sort(reverse=not ascending)
    return RenderedRows(RenderedRow(*row) for row in found)


_gram_stats: dict[str, tuple[float, dict[str, float], float]] = {}


def gram_frequencies(using: str) -> tuple[dict[str, float], float]:
    """({bigram: share of entities whose search text holds it}, the smallest share listed) from PostgreSQL's
    statistics of the grams index (its ``most_common_elems``); empty before the first ANALYZE. Kept per
    process for ``GRAM_STATS_TTL`` seconds."""
    now = time.monotonic()
    cached = _gram_stats.get(using)
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    freqs: dict[str, float] = {}
    floor = 0.0
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s",
            [GRAMS_INDEX],
        )
        row = cursor.fetchone()
    if row is not None and row[0] and row[1]:
        elems, shares = row
        freqs = dict(zip(elems, shares[: len(elems)], strict=True))
        floor = shares[len(elems)] if len(shares) > len(elems) else 0.0
    _gram_stats[using] = (now + GRAM_STATS_TTL, freqs, floor)
    return freqs, floor


def register_rows(using: str) -> float:
    """The planner's count of registered entities (``pg_class.reltuples``), kept per process with the grams'
    statistics; 0 when unknown (never analysed)."""
    now = time.monotonic()
    cached = _register_rows.get(using)
    if cached is not None and cached[0] > now:
        return cached[1]
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Merchant._meta.db_table])
        row = cursor.fetchone()
    rows = max(float(row[0]), 0.0) if row else 0.0
    _register_rows[using] = (now + GRAM_STATS_TTL, rows)
    return rows


_register_rows: dict[str, tuple[float, float]] = {}


def window_size(text: str, using: str, need: int) -> int:
    """How many of the newest entities likely hold ``need`` matches of ``text`` (``WINDOW_MARGIN`` times
    over, at the share of the register holding its rarest gram), or 0 when the grams index is the cheaper
    way: the query is too rare for a walk (more than ``API_SEARCH_WINDOW`` entities, or fewer matches to read
    through the index than ``WALK_COST_RATIO`` times the entities the walk reads — ``need / share`` walked
    against ``share × rows`` read through the index). A gram not among the most common ones counts as absent
    (it is rarer than the least common listed)."""
    if connections[using].vendor != "postgresql":
        return 0
    grams = query_grams(text)
    if not grams:
        return 0
    freqs, _floor = gram_frequencies(using)
    share = min(freqs.get(gram, 0.0) for gram in grams)
    if share <= 0:
        return 0
    rows = register_rows(using)
    if rows and share * rows < WALK_COST_RATIO * need / share:
        return 0
    size = math.ceil(WINDOW_MARGIN * need / share)
    return size if size <= API_SEARCH_WINDOW else 0
