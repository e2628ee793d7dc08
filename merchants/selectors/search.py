"""Register search: name, former names, address, USCC / licence number prefix (docs/SEARCH.md).

``merchant_search_filter`` narrows a queryset to every match (the open-data API, ordered by id there);
``merchant_search_ranked`` answers the directory: the matches in relevance order — exact name or code, name
or code prefix, name contains, then address / former name — each by stars (highest first) and name.

The ranked search never reads more than ``SEARCH_CANDIDATES + 1`` rows per kind of match: prefix matches
through the B-tree on ``search_name``, code prefixes through the code indexes, "contains" matches through
the GIN grams index (PostgreSQL) — each capped, then the union is ranked. A query matching more than that
many entities shows all its exact and prefix name matches first and then *some* of the others, with
"more than 1,000" instead of a count: a visitor refines the query (or picks a district) instead of paging
through thousands of rows, and no request sorts or counts a large part of the table.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.db import connections
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import Expression

from integrity_portal.core.prepared import PreparedStatement, prepared_type

from ..search import GRAMS_FUNCTION, normalise, query_grams

#: Candidates read per kind of match, and the count above which a total is shown as "more than …".
SEARCH_CANDIDATES = 1000
#: Longest accepted query (the filter forms refuse longer ones: 400 in the API, a form error on the page).
SEARCH_MAX_LENGTH = 60

_CODE = re.compile(r"^[0-9a-z]{2,40}$")


SERIAL_PLAN_SQL = "SET LOCAL max_parallel_workers_per_gather = 0; "


def _serial_statement(execute, sql, params, many, context):
    """Sends ``SET LOCAL …; <query>`` as one statement string: one round trip, and the setting lasts for the
    query's own (implicit or enclosing) transaction only."""
    if many:
        return execute(sql, params, many, context)
    return execute(SERIAL_PLAN_SQL + sql, params, many, context)


@contextmanager
def serial_plan(using: str):
    """Run the enclosed search queries without parallel workers (PostgreSQL: ``SET LOCAL
    max_parallel_workers_per_gather = 0`` sent in the same string as each query).

    A search query runs for a few milliseconds; starting worker processes for it cost tens of milliseconds on a
    busy two-core server (the API's first page of a common word: 0.9 ms serial, 41 – 55 ms with two workers,
    docs/BENCHMARKS.md §7), and under many clients the workers only compete with the other requests. Sent as a
    prefix of each query rather than as ``BEGIN``/``SET LOCAL``/``COMMIT`` around them: PostgreSQL runs a
    string of statements as one implicit transaction, so the setting ends with the query, at no extra round
    trip (three before, about a third of the database's time for a typical search)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.execute_wrapper(_serial_statement):
        yield


class _OnSearchText(Expression):
    """A condition on ``search_text`` with one parameter, written as ``template`` (PostgreSQL only)."""

    output_field = BooleanField()
    conditional = True
    template = ""

    def __init__(self, value, source=None):
        super().__init__()
        self.value = value
        self.source = source if source is not None else F("search_text")

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source)
        return self.template.format(column=sql), [*params, self.value]


class _AnyOf(_OnSearchText):
    """``<column> = ANY(%s)`` with one array parameter: the same SQL text for any number of values."""

    template = "{column} = ANY(%s)"


class PageRows:
    """Reads the rows of a page of ids (in the order given) as tuples of ``columns``, through ``queryset``'s SQL
    compiled once and, on PostgreSQL, prepared once per database connection: a reader is kept per filter
    combination (the directory's shell), so a search pays neither the ORM's compilation of a joined select nor
    PostgreSQL's planning of it. Measured at 140k on PostgreSQL 15: 1.50 ms of the server's CPU per read
    unprepared, 0.43 ms prepared; the compilation ~2 ms of Python (docs/BENCHMARKS.md §7).

    The ids travel as one array parameter (``id = ANY($n)``), so one statement serves every page, and its
    generic plan (an index scan of the primary key) is the right one for any ids. ``PREPARE`` is not undone by a
    rollback and lasts as long as the connection; a new connection (``CONN_MAX_AGE``, a reconnect) prepares it
    again. The first column must be the primary key. Elsewhere (SQLite) the queryset is filtered per call."""

    def __init__(self, queryset, columns: tuple[str, ...], *, wrap=None):
        # ``wrap(sql)``: an outer query over the rows' query (no parameters of its own), whose first column is
        # still the primary key — on PostgreSQL only; ``wrapped`` says whether the rows are the wrap's.
        self.queryset, self.columns = queryset.order_by(), columns
        self.sql = None
        self.wrapped = False
        if connections[queryset.db].vendor != "postgresql":
            return
        marker: list[int] = []
        rows = self.queryset.filter(_AnyOf(marker, F("pk"))).values_list(*columns)
        sql, params = rows.query.get_compiler(using=queryset.db).as_sql()
        slots = [n for n, param in enumerate(params) if param is marker]
        if len(slots) != 1:
            return
        if wrap is not None:
            sql, self.wrapped = wrap(sql), True
        self.sql, self.params, self.slot = sql, list(params), slots[0]
        types = [prepared_type(p) for p in self.params[: self.slot]] + ["bigint[]"]
        types += [prepared_type(p) for p in self.params[self.slot + 1 :]]
        self.prepared = None if None in types else PreparedStatement(sql, types, name_prefix="ip_rows")

    def __call__(self, ids: list[int]) -> list[tuple]:
        if not ids:
            return []
        if self.sql is None:
            found = self.queryset.filter(pk__in=ids).values_list(*self.columns)
        else:
            params = list(self.params)
            params[self.slot] = list(ids)
            wrapper = connections[self.queryset.db]
            with wrapper.cursor() as cursor:
                if self.prepared is None or not self.prepared.execute(wrapper, cursor, params):
                    cursor.execute(self.sql, params)
                found = cursor.fetchall()
        by_pk = {row[0]: row for row in found}
        return [by_pk[pk] for pk in ids if pk in by_pk]


class _GramsContain(_OnSearchText):
    """``merchant_search_grams(search_text) @> ARRAY[grams]`` — the GIN index's expression and operator."""

    template = GRAMS_FUNCTION + "({column}) @> %s::text[]"


class _StrContains(_OnSearchText):
    """``strpos(search_text, q) <> 0`` — "contains", with no pattern characters to escape."""

    template = "strpos({column}, %s) <> 0"


class SearchQuery:
    """A visitor's query, normalised once: the text to match and, if it looks like one, a code prefix."""

    def __init__(self, raw: str | None):
        self.raw = (raw or "").strip()
        self.text = normalise(self.raw)[:SEARCH_MAX_LENGTH]
        self.code = self.text if _CODE.match(self.text) else ""

    def __bool__(self) -> bool:
        return bool(self.text)

    def q_code(self, *, exact: bool = False) -> Q | None:
        if not self.code:
            return None
        if exact:
            return (
                Q(uscc=self.code.upper()) | Q(licence_number=self.code.upper()) | Q(licence_number=self.code)
            )
        return (
            Q(uscc__startswith=self.code.upper())
            | Q(licence_number__startswith=self.code.upper())
            | Q(licence_number__startswith=self.code)
        )

    def q_contains(self, vendor: str) -> Q:
        match = Q(search_text__contains=self.text)
        if vendor != "postgresql":
            return match
        # The index condition, and the exact test as ``strpos(search_text, q) <> 0`` rather than ``LIKE '%q%'``:
        # the same rows, but the planner keeps the index's row estimate (from the statistics of the index
        # expression; ``<> 0`` on an expression without statistics is taken to keep 99.5 % of the rows),
        # where LIKE's own guess multiplied in made every common word look like one row — nested loops over
        # thousands of matches, and a sort of all of them for the API's id order. Cheap, so it is also what a
        # walk of the primary key (the API's id order, for a common word) tests first, before the costly
        # grams function.
        return Q(_StrContains(self.text)) & Q(_GramsContain(list(query_grams(self.text))))

    def q_any(self, vendor: str) -> Q:
        match = self.q_contains(vendor)
        return match | self.q_code() if self.code else match


def merchant_search_filter(qs, raw: str | None):
    """Every entity of ``qs`` whose name, former name or address contains the query, or whose USCC or
    licence number starts with it (index-driven on PostgreSQL; no order imposed)."""
    query = SearchQuery(raw)
    if not query:
        return qs
    vendor = connections[qs.db].vendor
    return qs.filter(query.q_any(vendor))


# The ranking of ``RankedSearch.rank_rows`` in SQL over the candidates ``c``: 0 exact name or code, 1 name or
# code prefix, 2 name contains, 3 the rest (address, former name); stars highest first, unrated last; names in
# code point order (``COLLATE "C"``, as Python compares strings). The parameters: the query text, the code
# (upper case, empty when the query is not code-like).
_RANK_SQL = (
    "CASE WHEN c.search_name = %s OR (%s <> '' AND (coalesce(c.uscc, '') = %s"
    " OR upper(coalesce(c.licence_number, '')) = %s)) THEN 0"
    " WHEN starts_with(c.search_name, %s) OR (%s <> '' AND (starts_with(coalesce(c.uscc, ''), %s)"
    " OR starts_with(upper(coalesce(c.licence_number, '')), %s))) THEN 1"
    " WHEN strpos(c.search_name, %s) > 0 THEN 2 ELSE 3 END"
)
_RANK_PARAMS = ("text", "code", "code", "code", "text", "code", "code", "code", "text")
_STARS_SQL = "c.stars DESC NULLS LAST"
_NAME_SQL = 'c.name COLLATE "C", c.pk'
_SQL_ORDERS = {
    "relevance": (f"{_RANK_SQL}, {_STARS_SQL}, {_NAME_SQL}", _RANK_PARAMS),
    "stars": (f"{_STARS_SQL}, {_RANK_SQL}, {_NAME_SQL}", _RANK_PARAMS),
    "name": (_NAME_SQL, ()),
    "newest": ("c.pk DESC", ()),
}


class RankedSearch:
    """The ranked matches as a sequence for ``Paginator``: the candidates' ids and ranking columns are read
    in one query (at most ``SEARCH_CANDIDATES + 1`` rows per kind of match, through the indexes) and ranked
    here; a page then reads its own rows, and nothing else, through ``qs`` by primary key.

    So the joins (region, market), the black-list column and the rendering cost one page's rows, not the
    candidates', and the count is the number of candidates — no second pass over them."""

    def __init__(self, qs, query: SearchQuery, order: str, *, statements: CandidatesStatements | None = None):
        self.qs, self.query, self.order = qs, query, order
        self.statements = statements  # the candidates' SQL compiled once for ``qs`` (the directory's shell)
        self._ids: list[int] | None = None

    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = self._ranked_ids()
        return self._ids

    def candidates_sql(self) -> tuple[str, list]:
        """The one query reading every candidate with its ranking columns (also shown by EXPLAIN in tests)."""
        qs, query = self.qs, self.query
        connection = connections[qs.db]
        base = qs.order_by().values_list("pk", "search_name", "stars", "name", "uscc", "licence_number")
        limit = SEARCH_CANDIDATES + 1
        parts = [
            base.filter(search_name__startswith=query.text)[:limit],
            base.filter(query.q_contains(connection.vendor))[:limit],
        ]
        if query.code:
            parts.append(base.filter(query.q_code())[:limit])
        selects, params = [], []
        for n, part in enumerate(parts):
            sql, part_params = part.query.get_compiler(using=qs.db).as_sql()
            # Compiled by Django from the querysets above; the values are parameters.
            selects.append(f"SELECT c{n}.* FROM ({sql}) c{n}")  # noqa: S608
            params.extend(part_params)
        return " UNION ".join(selects), params

    def _ranked_ids(self) -> list[int]:
        sql, params = self.statements.sql(self.query) if self.statements else self.candidates_sql()
        connection = connections[self.qs.db]
        if connection.vendor == "postgresql":
            # Ranked by the server: one array of ids back instead of up to 3,003 rows sorted in Python.
            text, code = self.query.text, self.query.code.upper()
            order, order_params = _SQL_ORDERS.get(self.order, _SQL_ORDERS["relevance"])
            ranked = f"SELECT array_agg(c.pk ORDER BY {order}) FROM ({sql}) c"  # noqa: S608 (fixed text, parameters)
            with serial_plan(self.qs.db), connection.cursor() as cursor:
                # the ORDER BY's parameters come first in the text, then the candidates'
                cursor.execute(ranked, [*(text if p == "text" else code for p in order_params), *params])
                return cursor.fetchone()[0] or []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return self.rank_rows(cursor.fetchall())

    def rank_rows(self, rows: list[tuple]) -> list[int]:
        """The candidates' ids in ``order``, ranked here (SQLite; PostgreSQL ranks the same way in SQL, see
        ``_SQL_ORDERS``, proven equal in tests/merchants/test_directory_shell.py)."""
        text, code = self.query.text, self.query.code.upper()

        def rank(row) -> int:
            _pk, search_name, _stars, _name, uscc, licence = row
            codes = (uscc or "", (licence or "").upper())
            if search_name == text or (code and code in codes):
                return 0
            if search_name.startswith(text) or (code and any(c.startswith(code) for c in codes)):
                return 1
            return 2 if text in search_name else 3

        def stars(row) -> int:
            return 1 if row[2] is None else -row[2]  # highest first, unrated last (after 0 stars)

        keys = {
            "relevance": lambda r: (rank(r), stars(r), r[3], r[0]),
            "stars": lambda r: (stars(r), rank(r), r[3], r[0]),
            "name": lambda r: (r[3], r[0]),
            "newest": lambda r: -r[0],
        }
        rows.sort(key=keys.get(self.order, keys["relevance"]))
        return [row[0] for row in rows]

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        ids = self.ids[index]
        if not ids:
            return []
        rows = {m.pk: m for m in self.qs.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]

    def __iter__(self):
        return iter(self[:])


class CandidatesStatements:
    """``RankedSearch.candidates_sql`` for any query over one (narrowed) queryset, compiled by the ORM once per
    kind of query — with or without a code part — instead of once per search (0.6 ms of Python each).

    The SQL text of the candidates depends on the queryset and on whether the query looks like a code; the query
    only enters as parameters: the text, its ``LIKE`` prefix pattern, its grams, the code's patterns. Compiled
    once with marker values (private-use characters), each parameter is either fixed (a filter's value) or one
    of those, recomputed per query as Django would (``prep_for_like_query``). If a parameter holds a marker in
    any other form the statement is not reused: each search compiles its own, as without this."""

    _TEXT, _CODE = "\ue010t", "\ue011c"

    def __init__(self, qs):
        self.qs = qs
        self._compiled: dict[bool, tuple | None] = {}

    def _derived(self, text: str, code: str) -> dict[str, object]:
        like = connections[self.qs.db].ops.prep_for_like_query
        return {
            "text": text,
            "text_prefix": f"{like(text)}%",
            "text_contains": f"%{like(text)}%",  # SQLite's contains (PostgreSQL's is strpos and the grams)
            "grams": list(query_grams(text)),
            "code_upper_prefix": f"{like(code.upper())}%",
            "code_prefix": f"{like(code)}%",
            "code_upper": code.upper(),
            "code": code,
        }

    def _compile(self, with_code: bool) -> tuple | None:
        marker = SearchQuery(None)
        marker.text, marker.code = self._TEXT, self._CODE if with_code else ""
        sql, params = RankedSearch(self.qs, marker, "relevance").candidates_sql()
        derived = self._derived(marker.text, self._CODE)
        recipe = []
        for param in params:
            names = [name for name, value in derived.items() if value == param]
            if names:
                recipe.append((True, names[0]))
            elif any(c in str(param) for c in (self._TEXT[0], self._CODE[0])):
                return None  # a marker the ORM transformed in some other way: not reusable
            else:
                recipe.append((False, param))
        return sql, recipe

    def sql(self, query: SearchQuery) -> tuple[str, list]:
        with_code = bool(query.code)
        if with_code not in self._compiled:
            self._compiled[with_code] = self._compile(with_code)
        compiled = self._compiled[with_code]
        if compiled is None:
            return RankedSearch(self.qs, query, "relevance").candidates_sql()
        sql, recipe = compiled
        derived = self._derived(query.text, query.code)
        return sql, [derived[value] if is_derived else value for is_derived, value in recipe]


def merchant_search_ranked(qs, raw: str | None, *, order: str = "relevance"):
    """The entities of ``qs`` (already filtered by region, status…) matching the query, at most about
    ``SEARCH_CANDIDATES`` per kind of match, ordered by ``order``: relevance (default), stars, name, newest.
    A ``RankedSearch`` (a sequence; slicing it reads that page's rows); ``qs`` itself without a query.

    ``qs`` is filtered first so that the candidate caps apply within the visitor's district and status."""
    query = SearchQuery(raw)
    if not query:
        return qs
    return RankedSearch(qs, query, order)
