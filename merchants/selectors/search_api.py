"""The open-data API's reads of the register: a page's keys, then its rows as plain dicts, and its search's
walk of the newest entities first (docs/SEARCH.md "The API's search path").

``open_data_keys()`` is what the API's filters and cursor pagination narrow down: the register's keys, with
no join. Evaluated (by the pagination's slice), it runs the keys' query and reads the open-data rows of the
ids found, in their order, as dicts of the columns the API shows — region, its city, the market's name, the
current rating and the black-list flag through one statement prepared once per connection. No model
instance is built and no unused column read.

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
from django.db.models.query import BaseIterable
from django.utils import timezone

from ..models import Merchant
from ..search import GRAMS_INDEX, query_grams
from .register import on_black_list_now
from .search import PageRows, SearchQuery

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
    """The open-data rows of the keys ``keys`` selects, in its order: the keys' query (its own plan, which
    depends on the search word), then the page's rows by id through a statement prepared once per connection
    (``selectors.search.PageRows``). Two round trips, but neither the ORM's compilation of the joined select
    nor PostgreSQL's planning of it per request: measured at 140k, 0.6 ms less CPU per request than the keys
    as a subquery of the rows' query (docs/SEARCH.md "The API's search path")."""
    ids = None
    search = getattr(keys, "search", None)
    if search is not None:
        ids = _window_ids(keys, search)
    if ids is None:
        sql, params = QuerySet.values(keys, "id").query.get_compiler(using=keys.db).as_sql()
        ids = _ids(keys.db, sql, params)
    return rows_for_ids(keys.db, ids)


def _ids(using: str, sql: str, params) -> list[int]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


_readers: dict[tuple, PageRows] = {}


def rows_for_ids(using: str, ids: list[int]) -> list[dict]:
    """The open-data rows (dicts of ``OPEN_DATA_COLUMNS``) of these ids, in their order. The reader holds the
    black list's date as a parameter: one per database and day."""
    key = (using, timezone.localdate())
    reader = _readers.get(key)
    if reader is None:
        _readers.clear()  # another day's
        reader = _readers[key] = PageRows(public_merchants_open_data_values().using(using), OPEN_DATA_COLUMNS)
    return [dict(zip(OPEN_DATA_COLUMNS, row, strict=True)) for row in reader(ids)]


def _window_ids(keys: OpenDataKeys, search: SearchQuery) -> list[int] | None:
    """The page's ids from the newest entities after the cursor (``window_size`` of them), or None: not tried
    (the query is rare, a code, or not on PostgreSQL), or the window held less than the page."""
    query = keys.query
    order = tuple(query.order_by)
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
    sql = (
        f"SELECT w.id FROM ({window_sql}) w WHERE strpos(w.search_text, %s) <> 0 "  # noqa: S608
        f"ORDER BY w.id {direction} LIMIT %s OFFSET %s"
    )
    ids = _ids(keys.db, sql, [*params, search.text, want, query.low_mark])
    return ids if len(ids) == want else None


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
