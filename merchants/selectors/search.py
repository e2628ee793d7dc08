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

from django.db import connections
from django.db.models import BooleanField, Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import Expression, RawSQL

from ..search import GRAMS_FUNCTION, normalise, query_grams

#: Candidates read per kind of match, and the count above which a total is shown as "more than …".
SEARCH_CANDIDATES = 1000
#: Longest accepted query (the filter forms refuse longer ones: 400 in the API, a form error on the page).
SEARCH_MAX_LENGTH = 60

_CODE = re.compile(r"^[0-9a-z]{2,40}$")


class _GramsContain(Expression):
    """``merchant_search_grams(search_text) @> ARRAY[grams]`` — the GIN index's expression and operator."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, grams: list[str], source=None):
        super().__init__()
        self.grams = list(grams)
        self.source = source if source is not None else F("search_text")

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source)
        return f"{GRAMS_FUNCTION}({sql}) @> %s::text[]", [*params, self.grams]


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
        if vendor == "postgresql":
            return Q(_GramsContain(query_grams(self.text))) & match
        return match

    def q_any(self, vendor: str) -> Q:
        match = self.q_contains(vendor)
        return match | self.q_code() if self.code else match

    def rank(self) -> Case:
        exact, prefix = Q(search_name=self.text), Q(search_name__startswith=self.text)
        if self.code:
            exact, prefix = exact | self.q_code(exact=True), prefix | self.q_code()
        return Case(
            When(exact, then=Value(0)),
            When(prefix, then=Value(1)),
            When(search_name__contains=self.text, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )


def merchant_search_filter(qs, raw: str | None):
    """Every entity of ``qs`` whose name, former name or address contains the query, or whose USCC or
    licence number starts with it (index-driven on PostgreSQL; no order imposed)."""
    query = SearchQuery(raw)
    if not query:
        return qs
    vendor = connections[qs.db].vendor
    return qs.filter(query.q_any(vendor))


def merchant_search_ranked(qs, raw: str | None, *, order: str = "relevance"):
    """The entities of ``qs`` (already filtered by region, status…) matching the query, at most about
    ``SEARCH_CANDIDATES`` per kind of match, ordered by ``order``: relevance (default), stars, name, newest.

    ``qs`` is filtered first so that the candidate caps apply within the visitor's district and status."""
    query = SearchQuery(raw)
    if not query:
        return qs
    vendor = connections[qs.db].vendor
    base = qs.order_by().values("pk")
    limit = SEARCH_CANDIDATES + 1
    parts = [
        base.filter(search_name__startswith=query.text)[:limit],
        base.filter(query.q_contains(vendor))[:limit],
    ]
    if query.code:
        parts.append(base.filter(query.q_code())[:limit])
    selects, params = [], []
    for n, part in enumerate(parts):
        sql, part_params = part.query.get_compiler(using=qs.db).as_sql()
        # Compiled by Django from the querysets above; the values are parameters.
        selects.append(f"SELECT c{n}.* FROM ({sql}) c{n}")  # noqa: S608
        params.extend(part_params)
    candidates = RawSQL(" UNION ".join(selects), params)  # noqa: S611
    ranked = qs.filter(pk__in=candidates).annotate(search_rank=query.rank())
    stars = F("stars").desc(nulls_last=True)
    orderings = {
        "relevance": ("search_rank", stars, "name", "pk"),
        "stars": (stars, "search_rank", "name", "pk"),
        "name": ("name", "pk"),
        "newest": ("-pk",),
    }
    return ranked.order_by(*orderings.get(order, orderings["relevance"]))
