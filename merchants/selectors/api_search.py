"""The open-data API's reads of the register: a page as plain rows in one query, and its search's walk of the
newest entities first (docs/SEARCH.md "The API's search path").

``open_data_keys()`` is what the API's filters and cursor pagination narrow down: the register's keys, with
no join. Evaluated (by the pagination's slice), it reads the open-data rows of the keys it selects, in its
order, as dicts of the columns the API shows — one query, ``id IN (the keys' query)`` joined to the region,
its city, the market's name and the current rating. No model instance is built and no unused column read.

For a search with no other filter the keys come from a **window** first when the query is likely common:
the newest entities after the cursor — as many as the query's bigrams promise to hold twice the page, at most
``API_SEARCH_WINDOW`` — walked through the primary key and tested with
``strpos`` (the walk stops as soon as it has the page). If the window holds a whole page it *is* the page —
every match newer than the window's oldest id is in the window — otherwise the ordinary query through the
grams index answers (one more query). This keeps a common three-character word at 1.4M entities off the plan
the planner picks when it takes the word's bigrams as independent (a few hundred matches expected, tens of
thousands found, every one of them sorted for the id order: ~400 ms), without walking the table for a rare
word: the window is tried only when each of the word's bigrams is common enough, by the statistics
PostgreSQL keeps for the grams index (``most_common_elems``), for the window to hold the page.
"""

from __future__ import annotations

import math
import time

from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import BaseIterable
from django.utils import timezone

from ..models import Merchant
from ..search import GRAMS_INDEX, query_grams
from .register import on_black_list_now
from .search import SearchQuery

#: Most entities a window walks (newest first, from the cursor) before a search falls back to the index.
API_SEARCH_WINDOW = 100_000
#: A window is sized to hold this many times the page at the share of the query's rarest bigram.
WINDOW_MARGIN = 2
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
    """Keys of the register that read their open-data rows when evaluated (see the module docstring).

    ``search`` is the hint that the only filter is this search (already applied): the rows may then come from
    the newest entities' window. Any other ``filter`` than the cursor pagination's ``id`` bound drops it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._iterable_class = _OpenDataRows
        self.search: SearchQuery | None = None
        self.bounds: dict = {}

    def _clone(self):
        clone = super()._clone()
        clone.search, clone.bounds = self.search, dict(self.bounds)
        return clone

    def filter(self, *args, **kwargs):
        clone = super().filter(*args, **kwargs)
        if not args and kwargs and set(kwargs) <= {"id__lt", "id__gt", "pk__lt", "pk__gt"}:
            clone.bounds.update(kwargs)
        else:
            clone.search = None
        return clone

    def exclude(self, *args, **kwargs):
        clone = super().exclude(*args, **kwargs)
        clone.search = None
        return clone

    def searching(self, query: SearchQuery) -> OpenDataKeys:
        """The keys matching ``query`` (name, former name, address contains, or code prefix), with the hint."""
        clone = self.filter(query.q_any(connections[self.db].vendor))
        clone.search = query
        return clone


def open_data_keys() -> OpenDataKeys:
    return OpenDataKeys(model=Merchant)


def open_data_rows(keys: QuerySet) -> list[dict]:
    """The open-data rows of the keys ``keys`` selects, in its order (one query; two when a window falls short)."""
    order = tuple(keys.query.order_by or ("-id",))
    search = getattr(keys, "search", None)
    if search is not None:
        window = _window_rows(keys, search, order)
        if window is not None:
            return window
    sql, params = QuerySet.values(keys, "id").query.get_compiler(using=keys.db).as_sql()
    return rows_for_keys(keys.db, order, sql, params)


def rows_for_keys(using: str, order: tuple, keys_sql: str, keys_params) -> list[dict]:
    """The open-data rows of the ids ``keys_sql`` selects, ordered by ``order`` (one query).

    On PostgreSQL the rows' SQL is compiled once per process, day (the black-list condition holds today's
    date) and order, around a marker where the keys' query goes, and the rows are zipped into dicts: the
    ORM's compilation of the joins and annotations cost about as much as the serialisation of the page.
    Elsewhere (SQLite converts dates and booleans in Python) the ORM reads them."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        rows = public_merchants_open_data_values().using(using).order_by(*order)
        # ``keys_sql`` is compiled by Django (or built here around it); the values are parameters.
        return list(rows.filter(pk__in=RawSQL(keys_sql, tuple(keys_params))))  # noqa: S611
    head, tail, params, names = _rows_template(using, order)
    with connection.cursor() as cursor:
        cursor.execute(f"{head}{keys_sql}{tail}", [*params, *keys_params])
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_KEYS_MARK = "SELECT -1 /* keys */"
_templates: dict[tuple, tuple[str, str, tuple, tuple[str, ...]]] = {}


def _rows_template(using: str, order: tuple) -> tuple[str, str, tuple, tuple[str, ...]]:
    today = timezone.localdate()
    key = (using, today, order)
    template = _templates.get(key)
    if template is not None:
        return template
    rows = public_merchants_open_data_values().using(using).order_by(*order)
    rows = rows.filter(pk__in=RawSQL(_KEYS_MARK, ()))  # noqa: S611 (a constant marker)
    compiler = rows.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    head, mark, tail = sql.partition(_KEYS_MARK)
    # Every parameter (the black list's date) precedes the marker, and no column needs a Python converter.
    converters = compiler.get_converters([col for col, _sel, _alias in compiler.select])
    if not mark or "%s" in tail or converters or head.count("%s") != len(params):
        raise RuntimeError("open-data rows: unexpected SQL shape")  # a Django upgrade changed the query
    query = rows.query
    # As ``ValuesIterable`` names the columns.
    names = tuple(query.selected or (*query.extra_select, *query.values_select, *query.annotation_select))
    if {k: v for k, v in _templates.items() if k[1] == today} != _templates:
        _templates.clear()  # yesterday's
    template = _templates[key] = (head, tail, tuple(params), names)
    return template


def _window_rows(keys: OpenDataKeys, search: SearchQuery, order) -> list[dict] | None:
    """The page from the newest entities after the cursor (``window_size`` of them), or None: not tried (the
    query is rare, a code, or not on PostgreSQL), or the window held less than the page."""
    query = keys.query
    if not query.is_sliced or query.high_mark is None or order not in (("-id",), ("id",)):
        return None
    want = query.high_mark - query.low_mark
    size = 0 if search.code else window_size(search.text, keys.db, query.high_mark)
    if not size:
        return None
    window = (
        Merchant.objects.using(keys.db)
        .filter(**keys.bounds)
        .order_by(*order)
        .values("id", "search_text")[:size]
    )
    window_sql, params = window.query.get_compiler(using=keys.db).as_sql()
    direction = "DESC" if order[0].startswith("-") else "ASC"
    # Compiled by Django above; the values are parameters. A match contains the query, so ``strpos`` alone
    # is the test (the grams condition only drives the index, which the walk does not use).
    keys_sql = (
        f"SELECT w.id FROM ({window_sql}) w WHERE strpos(w.search_text, %s) <> 0 "  # noqa: S608
        f"ORDER BY w.id {direction} LIMIT %s OFFSET %s"
    )
    found = rows_for_keys(keys.db, order, keys_sql, [*params, search.text, want, query.low_mark])
    return found if len(found) == want else None


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


def window_size(text: str, using: str, need: int) -> int:
    """How many of the newest entities likely hold ``need`` matches of ``text`` (``WINDOW_MARGIN`` times
    over, at the share of the register holding its rarest bigram), or 0 when that is more than
    ``API_SEARCH_WINDOW``: the query is too rare for a walk, or has a single bigram — left to the planner,
    whose estimate is then right (the statistics are the bigram's own). A bigram not among the most common
    ones counts as absent (it is rarer than the least common listed)."""
    if connections[using].vendor != "postgresql":
        return 0
    grams = query_grams(text)
    if len(grams) < 2:
        return 0
    freqs, _floor = gram_frequencies(using)
    share = min(freqs.get(gram, 0.0) for gram in grams)
    if share <= 0:
        return 0
    size = math.ceil(WINDOW_MARGIN * need / share)
    return size if size <= API_SEARCH_WINDOW else 0
