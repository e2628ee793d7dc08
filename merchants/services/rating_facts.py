"""The facts a rating counts, read as streams sorted by merchant id.

Each source (inspections, penalties, commitments, list entries, and every registered rating-fact provider)
is one GROUP BY query ordered by ``merchant_id`` and read through a server-side cursor; the streams are
merged by id, so the recompute walks the merchants and their facts side by side and never holds more
than a batch of either in memory. That keeps the cost linear in the number of entities (no table-sized
dictionary for the garbage collector to traverse) and the memory flat from a district to a province.
"""

from __future__ import annotations

import heapq
import inspect
from collections.abc import Iterator
from datetime import date
from itertools import groupby

from dateutil.relativedelta import relativedelta
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from integrity_portal.core.ratingfacts import fact_providers

from ..models import (
    Commitment,
    FindingLevel,
    Inspection,
    ListEntry,
    ListName,
    Merchant,
    MerchantStatus,
    Penalty,
    PenaltyTier,
)
from ..selectors.credit import q_commitment_in_force, q_entry_in_force, q_penalty_in_publicity
from ..selectors.findings import q_commitment_breach, q_item_open
from .rating_policy import FACT_COLUMNS, IDX

FETCH = 5000
TRADING_ITEMS = ("price_marking", "metrology", "advertising", "food_safety")
N = len(FACT_COLUMNS)

# (queryset of rows with merchant_id first, [(column in the row, position in the fact vector)])
Source = tuple[QuerySet, list[tuple[int, int]]]


def stream_rows(qs: QuerySet) -> Iterator[tuple]:
    """The rows of a ``values_list`` queryset as plain tuples, fetched ``FETCH`` at a time.

    A server-side cursor on PostgreSQL. The ORM's per-row converters are skipped: they cost more than the
    aggregate queries themselves at this size, and every column here is an integer, a string or NULL,
    which the driver already returns as such.
    """
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return
    if connection.vendor != "postgresql":
        # SQLite (development and tests): read it all before the recompute writes on the same connection.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        yield from rows
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def _count_items(level: str, items) -> Case:
    expr = None
    for item in items:
        term = Case(
            When(q_item_open(item, level), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        expr = term if expr is None else expr + term
    return expr


def _scope_filter(ids: list[int] | None, region_codes: list[str] | None) -> Q:
    q = Q()
    if ids is not None:
        q &= Q(merchant_id__in=ids)
    if region_codes is not None:
        # A semi-join from the region's merchants (the merchant-id index of each fact table) rather than a
        # join from every fact row: a district's recompute then reads its own facts, not the whole city's.
        q &= Q(merchant_id__in=Merchant.objects.filter(region_id__in=region_codes).values("id"))
    return q


def market_stalls_source(*, ids: list[int] | None, region_codes: list[str] | None) -> Source:
    """Per market: its stalls that are not deregistered and have current stars, and how many of those are at
    2 stars or fewer. One GROUP BY on ``parent_market_id`` (its index) over the stalls' stored stars."""
    q = Q(parent_market_id__isnull=False, stars__isnull=False) & ~Q(status=MerchantStatus.DEREGISTERED)
    if ids is not None:
        q &= Q(parent_market_id__in=ids)
    if region_codes is not None:
        q &= Q(parent_market_id__in=Merchant.objects.filter(region_id__in=region_codes).values("id"))
    rows = (
        Merchant.objects.filter(q)
        .values("parent_market_id")
        .order_by("parent_market_id")
        .annotate(rated=Count("id"), low=Count("id", filter=Q(stars__lte=2)))
        .values_list("parent_market_id", "rated", "low")
    )
    return rows, [(1, IDX["market_stalls_rated"]), (2, IDX["market_stalls_low"])]


def fact_sources(
    *,
    as_of: date,
    rules: dict,
    ids: list[int] | None,
    region_codes: list[str] | None,
    market_stalls: bool = False,
) -> list[Source]:
    """One grouped query per source, each ordered by merchant id. Rows outside the scope are harmless:
    the merge only looks at the merchants it walks."""
    windows = rules["windows"]
    recent = as_of - relativedelta(months=windows["recent_months"])
    lookback = as_of - relativedelta(months=windows["lookback_months"])
    scope = _scope_filter(ids, region_codes)

    in_window = Q(inspected_on__gte=lookback, inspected_on__lte=as_of)
    is_recent = Q(inspected_on__gte=recent)
    minor, serious = FindingLevel.MINOR, FindingLevel.SERIOUS
    inspections = (
        Inspection.objects.filter(scope, in_window)
        .values("merchant_id")
        .order_by("merchant_id")
        .annotate(
            n=Count("id"),
            minor_recent=Sum(_count_items(minor, TRADING_ITEMS), filter=is_recent),
            serious_recent=Sum(_count_items(serious, TRADING_ITEMS), filter=is_recent),
            minor_older=Sum(_count_items(minor, TRADING_ITEMS), filter=~is_recent),
            serious_older=Sum(_count_items(serious, TRADING_ITEMS), filter=~is_recent),
            premises_minor=Count("id", filter=q_item_open("premises", minor)),
            premises_serious=Count("id", filter=q_item_open("premises", serious)),
            breaches=Count("id", filter=q_commitment_breach()),
        )
        .values_list(
            "merchant_id",
            "n",
            "minor_recent",
            "serious_recent",
            "minor_older",
            "serious_older",
            "premises_minor",
            "premises_serious",
            "breaches",
        )
    )
    penalties = (
        Penalty.objects.filter(scope, q_penalty_in_publicity(as_of))
        .values("merchant_id")
        .order_by("merchant_id")
        .annotate(
            minor=Count("id", filter=Q(tier=PenaltyTier.MINOR)),
            moderate=Count("id", filter=Q(tier=PenaltyTier.MODERATE)),
            serious=Count("id", filter=Q(tier=PenaltyTier.SERIOUS)),
        )
        .values_list("merchant_id", "minor", "moderate", "serious")
    )
    commitments = (
        Commitment.objects.filter(scope)
        .filter(q_commitment_in_force(as_of) | Q(revoked_at__date__gte=lookback, revoked_at__date__lte=as_of))
        .values("merchant_id")
        .order_by("merchant_id")
        .annotate(
            in_force=Count("id", filter=q_commitment_in_force(as_of)),
            revoked=Count("id", filter=Q(revoked_at__isnull=False)),
        )
        .values_list("merchant_id", "in_force", "revoked")
    )
    entries = (
        ListEntry.objects.filter(scope, q_entry_in_force(as_of))
        .values("merchant_id")
        .order_by("merchant_id")
        .annotate(
            black=Count("id", filter=Q(list_name=ListName.BLACK)),
            red=Count("id", filter=Q(list_name=ListName.RED)),
        )
        .values_list("merchant_id", "black", "red")
    )
    sources: list[Source] = [
        (inspections, [*((i, i - 1) for i in range(1, 8)), (8, IDX["commitment_breaches"])]),
        (
            penalties,
            [(1, IDX["penalties_minor"]), (2, IDX["penalties_moderate"]), (3, IDX["penalties_serious"])],
        ),
        (commitments, [(1, IDX["commitments_in_force"]), (2, IDX["commitments_revoked"])]),
        (entries, [(1, IDX["black_in_force"]), (2, IDX["red_in_force"])]),
    ]
    if market_stalls:  # the policy's market rule is on (off by default: the query is not even run)
        sources.append(market_stalls_source(ids=ids, region_codes=region_codes))
    for provider in fact_providers():
        source = _provider_source(provider, as_of=as_of, ids=ids, region_codes=region_codes)
        if source is not None:
            sources.append(source)
    return sources


def _provider_source(provider, *, as_of, ids, region_codes) -> Source | None:
    """The columns the provider declared (core.ratingfacts) that the engine knows are counted; unknown
    ones are ignored and missing ones count as zero."""
    known = [c for c in provider.columns if c in IDX]
    if not known:
        return None
    kwargs = {"as_of": as_of}
    params = inspect.signature(provider.fn).parameters
    if "merchant_ids_qs" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        scope_qs = None
        if ids is not None or region_codes is not None:
            scope_qs = Merchant.objects.all()
            if ids is not None:
                scope_qs = scope_qs.filter(pk__in=ids)
            if region_codes is not None:
                scope_qs = scope_qs.filter(region_id__in=region_codes)
            scope_qs = scope_qs.values("id")
        kwargs["merchant_ids_qs"] = scope_qs
    rows = provider.fn(**kwargs).values_list("merchant_id", *known).order_by("merchant_id")
    return rows, [(i + 1, IDX[c]) for i, c in enumerate(known)]


def _tagged(k: int, qs: QuerySet) -> Iterator[tuple]:
    """(id, source, sequence, row): ties never fall through to comparing rows, which may hold NULLs."""
    for seq, row in enumerate(stream_rows(qs)):
        yield row[0], k, seq, row


def fact_vectors(sources: list[Source]) -> Iterator[tuple[int, tuple[int, ...]]]:
    """(merchant id, fact vector) in ascending id order, for every merchant with at least one fact row."""
    tagged = [_tagged(k, qs) for k, (qs, _mapping) in enumerate(sources)]
    mappings = [mapping for _qs, mapping in sources]
    for merchant_id, group in groupby(heapq.merge(*tagged), key=lambda item: item[0]):
        vector = [0] * N
        for _id, k, _seq, row in group:
            for src, dst in mappings[k]:
                vector[dst] += int(row[src] or 0)
        yield merchant_id, tuple(vector)
