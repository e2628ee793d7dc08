"""A page of a ranked directory search in one prepared statement: its bounded count and its rows.

``RankedSearch`` (``selectors.search``) answers a search in two round trips — the candidates ranked into an
array of up to ~2,000 ids, then a page's rows by id — and PostgreSQL plans the first on every search. For the
directory's anonymous searches, which are almost never served from the page cache, ``SearchPages`` asks the
same question as one statement, prepared once per connection for a filter combination (the directory's
shell) and executed with the query's text, its grams and the page's offset:

* **candidates**: the "contains" matches through the GIN grams index, at most ``SEARCH_CANDIDATES + 1``; the
  name-prefix matches through the B-tree on ``search_name`` only when that part reached its cap. Every name
  that starts with the query contains it (``search_name`` is the first line of ``search_text``), so below
  the cap the prefix matches are already among the candidates — the same set as ``RankedSearch``'s union;
* **the ranking**: the same ``ORDER BY`` as ``RankedSearch`` (``_SQL_ORDERS``), but only the page's ids come
  back (a top-N sort), with the number of candidates for the paginator;
* **the rows**: the page's card columns, joined as ``PageRows`` reads them.

The prefix condition is written as the B-tree range it stands for (``search_name ~>=~ $1 AND search_name ~<~
$1 || U+10FFFF``) rather than ``LIKE $1 || '%'``: a generic plan cannot turn a ``LIKE`` with a parameter into an
index range, and the statement runs on its generic plan (``plan_cache_mode = force_generic_plan``, set for
the statement only) — planned once per connection instead of per search. Code-like queries (a USCC or licence
number prefix), other databases and anything the statement cannot be built for go through ``RankedSearch``.
Equal answers are proven in ``tests/merchants/test_search_pages.py``; figures in docs/BENCHMARKS.md §7.
"""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import F, Q

from integrity_portal.core.prepared import PreparedStatement, numbered, prepared_type, read_as_health_check

from ..search import query_grams
from . import search as search_selectors
from .search import (
    _SQL_ORDERS,
    SERIAL_PLAN_SQL,
    SearchQuery,
    _AnyOf,
    _GramsContain,
    _OnSearchText,
    _StrContains,
)

#: Sent before the ``EXECUTE`` in the same string: for this statement only (its implicit transaction).
GENERIC_PLAN_SQL = "SET LOCAL plan_cache_mode = force_generic_plan; "


class _PrefixRange(_OnSearchText):
    """``search_name`` starts with the parameter, as the range of the ``varchar_pattern_ops`` B-tree it is."""

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.source)
        sql = (
            f"({column}::text ~>=~ %s AND {column}::text ~<~ (%s || chr(1114111))"
            f" AND starts_with({column}::text, %s))"
        )
        return sql, [*params, self.value, self.value, self.value]


class _Unusable(Exception):
    """A parameter the statement cannot take as a typed parameter: ``RankedSearch`` answers instead."""


class SearchPages:
    """``(count, rows)`` of a page of a search over ``queryset`` in ``order``; rows are tuples of ``columns``
    (the first the primary key), in rank order. ``None`` when the statement cannot answer (see the module)."""

    _TEXT = "\ue010t"

    def __init__(self, queryset, order: str, columns: tuple[str, ...], *, per_page: int):
        self.queryset, self.columns, self.per_page = queryset.order_by(), columns, per_page
        self.order = order if order in _SQL_ORDERS else "relevance"
        self.statement: PreparedStatement | None = None
        if connections[queryset.db].vendor == "postgresql":
            try:
                self._build()
            except _Unusable:
                self.statement = None

    # -- building, once per filter combination ----------------------------------------------------------------

    def _build(self) -> None:
        text, grams, rows_ids = self._TEXT, [self._TEXT], []
        self.slots: list[tuple[str, object]] = []  # ("text" | "grams" | "offset" | "fixed", value)
        types: list[str] = []

        def placeholder(param) -> str:
            if param is rows_ids:
                return "k.ids"
            if param is grams:
                kind, value, kind_type = "grams", None, "text[]"
            elif param == text:
                kind, value, kind_type = "text", None, "text"
            elif isinstance(param, str) and self._TEXT[0] in param:
                raise _Unusable  # the query's text transformed in some other way
            else:
                kind, value, kind_type = "fixed", param, prepared_type(param)
                if kind_type is None:
                    raise _Unusable
            if kind != "fixed":
                for n, (existing, _value) in enumerate(self.slots):
                    if existing == kind:
                        return f"%s{n}"  # the same parameter again (numbered below)
            self.slots.append((kind, value))
            types.append(kind_type)
            return f"%s{len(self.slots) - 1}"

        def compiled(queryset) -> str:
            sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
            return numbered(sql, lambda n: placeholder(params[n]))

        base = self.queryset.values_list("pk", "search_name", "stars", "name", "uscc", "licence_number")
        cap = search_selectors.SEARCH_CANDIDATES  # read when built (tests lower it)
        limit = cap + 1
        contains = compiled(base.filter(Q(_StrContains(text)) & Q(_GramsContain(grams)))[:limit])
        prefix = compiled(base.filter(_PrefixRange(text, F("search_name")))[:limit])
        order_sql, order_params = _SQL_ORDERS[self.order]
        order = numbered(order_sql, lambda n: placeholder(text if order_params[n] == "text" else ""))
        self.slots.append(("offset", None))
        types.append("bigint")
        offset = f"%s{len(self.slots) - 1}"
        rows = compiled(self.queryset.filter(_AnyOf(rows_ids, F("pk"))).values_list(*self.columns))
        # Compiled by Django from the querysets above; every value is a parameter.
        sql = (
            f"WITH c1 AS MATERIALIZED ({contains}),"  # noqa: S608
            f" c AS MATERIALIZED (SELECT * FROM c1 UNION ALL SELECT p.* FROM ({prefix}) p"
            f" WHERE (SELECT count(*) FROM c1) > {int(cap)}"
            " AND p.pk NOT IN (SELECT c1.pk FROM c1)),"
            f" k AS MATERIALIZED (SELECT (SELECT count(*) FROM c) AS total,"
            f" ARRAY(SELECT c.pk FROM c ORDER BY {order} LIMIT {int(self.per_page)} OFFSET {offset}) AS ids)"
            f" SELECT k.total, k.ids, r.* FROM k LEFT JOIN LATERAL ({rows}) r ON true"
        )
        # "%s<n>" names a slot: the statement's parameters are the slots, each once, in order ($1, $2 …)
        self.sql = _renumber(sql)
        self.statement = PreparedStatement(self.sql, types, name_prefix="ip_search", dollar=True)

    # -- a search ------------------------------------------------------------------------------------------

    def __call__(self, query: SearchQuery, number: int) -> tuple[int, list[tuple]] | None:
        if self.statement is None or query.code or not query or number < 1:
            return None
        values = {
            "text": query.text,
            "grams": list(query_grams(query.text)),
            "offset": (number - 1) * self.per_page,
        }
        params = [values.get(kind, value) for kind, value in self.slots]
        connection = connections[self.queryset.db]
        found = read_as_health_check(connection, lambda: self._run(connection, params))
        if found is None:
            return None
        total, ids = found[0][0], found[0][1]
        by_pk = {row[2]: row[2:] for row in found if row[2] is not None}
        return total, [by_pk[pk] for pk in ids if pk in by_pk]

    def _run(self, connection, params: list) -> list[tuple] | None:
        with connection.cursor() as cursor:
            if not self.statement.execute(
                connection, cursor, params, prefix=GENERIC_PLAN_SQL + SERIAL_PLAN_SQL
            ):
                return None
            return cursor.fetchall()


def _renumber(sql: str) -> str:
    """``%s<n>`` (slot n, possibly written more than once) to ``$<n+1>``: the statement is prepared with the
    slots' types in slot order."""
    return re.sub(r"%s(\d+)", lambda m: f"${int(m.group(1)) + 1}", sql)
