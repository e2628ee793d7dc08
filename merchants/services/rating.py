"""The set-based rating recompute.

One pass: a handful of GROUP BY aggregates (inspections, penalties, commitments,
list entries, plus every registered rating-fact provider) fetched as tuples, one
read of the merchants' current results, integer scoring in Python, and bulk
writes of only what changed (history rows in batches; merchants through one
``UPDATE … FROM (VALUES …)`` per batch). Never a query per merchant, and the same
integers on SQLite and PostgreSQL because the databases only count.

Staleness: the ``rating_stale`` flags of the covered merchants are cleared in the
same transaction that writes the results, so a crash rolls the flags back and the
sweep retries; an event that commits after the facts were read sets the flag
again and queues its own recompute.
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import time
import zlib
from dataclasses import asdict, dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.ratingfacts import fact_providers

from ..models import (
    Commitment,
    FindingLevel,
    Inspection,
    ListEntry,
    ListName,
    Merchant,
    Penalty,
    PenaltyTier,
    Rating,
)
from ..selectors.credit import q_commitment_in_force, q_entry_in_force, q_penalty_in_publicity
from ..selectors.register import public_pages_changed
from .rating_policy import FACT_COLUMNS, IDX, PROVIDER_COLUMNS, Scorer, rating_policy_active

logger = logging.getLogger(__name__)

BATCH = 5000
INSERT_BATCH = 2000  # 12 parameters a row stays under SQLite's 32,766-variable limit
COPY_BATCH = 20000
SMALL_SCOPE = 2000  # up to this many ids the aggregates filter by id; above, by region or not at all
TRADING_ITEMS = ("price_marking", "metrology", "advertising", "food_safety")
N = len(FACT_COLUMNS)


@dataclass
class RecomputeResult:
    considered: int = 0
    changed: int = 0
    seconds: float = 0.0
    rated: int = 0
    history_rows: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _count_items(level: str, items) -> Case | Value:
    expr = None
    for item in items:
        term = Case(When(**{item: level}, then=Value(1)), default=Value(0), output_field=IntegerField())
        expr = term if expr is None else expr + term
    return expr


def _scope_filter(ids: list[int] | None, region_codes: list[str] | None) -> Q:
    q = Q()
    if ids is not None:
        q &= Q(merchant_id__in=ids)
    if region_codes is not None:
        q &= Q(merchant__region_id__in=region_codes)
    return q


def _rows(qs):
    """The rows of a ``values_list`` queryset as plain tuples, fetched in batches.

    The ORM's per-row converters cost more than the aggregate queries themselves at this size, and every
    column here is an integer, a string or NULL, which the database driver already returns as such.
    """
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(BATCH):
            yield from batch


def _merge(facts: dict[int, list[int]], rows, mapping: list[tuple[int, int]]) -> None:
    """Add aggregate ``rows`` (merchant_id first) into ``facts`` at the positions of ``mapping``."""
    for row in rows:
        vector = facts.get(row[0])
        if vector is None:
            vector = facts[row[0]] = [0] * N
        for src, dst in mapping:
            vector[dst] += int(row[src] or 0)


def gather_facts(
    *,
    facts: dict[int, list[int]],
    as_of: date,
    rules: dict,
    ids: list[int] | None,
    region_codes: list[str] | None,
) -> None:
    """Fill ``facts`` (merchant id → count vector, only for merchants with any fact), one query per source.

    Rows of merchants outside the scope are harmless: the caller only looks up the ids it covers.
    """
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
        .order_by()
        .annotate(
            n=Count("id"),
            minor_recent=Sum(_count_items(minor, TRADING_ITEMS), filter=is_recent),
            serious_recent=Sum(_count_items(serious, TRADING_ITEMS), filter=is_recent),
            minor_older=Sum(_count_items(minor, TRADING_ITEMS), filter=~is_recent),
            serious_older=Sum(_count_items(serious, TRADING_ITEMS), filter=~is_recent),
            premises_minor=Count("id", filter=Q(premises=minor)),
            premises_serious=Count("id", filter=Q(premises=serious)),
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
        )
    )
    _merge(facts, _rows(inspections), [(i, i - 1) for i in range(1, 8)])

    penalties = (
        Penalty.objects.filter(scope, q_penalty_in_publicity(as_of))
        .values("merchant_id")
        .order_by()
        .annotate(
            minor=Count("id", filter=Q(tier=PenaltyTier.MINOR)),
            moderate=Count("id", filter=Q(tier=PenaltyTier.MODERATE)),
            serious=Count("id", filter=Q(tier=PenaltyTier.SERIOUS)),
        )
        .values_list("merchant_id", "minor", "moderate", "serious")
    )
    _merge(
        facts,
        _rows(penalties),
        [(1, IDX["penalties_minor"]), (2, IDX["penalties_moderate"]), (3, IDX["penalties_serious"])],
    )

    commitments = (
        Commitment.objects.filter(scope)
        .filter(q_commitment_in_force(as_of) | Q(revoked_at__date__gte=lookback, revoked_at__date__lte=as_of))
        .values("merchant_id")
        .order_by()
        .annotate(
            in_force=Count("id", filter=q_commitment_in_force(as_of)),
            revoked=Count("id", filter=Q(revoked_at__isnull=False)),
        )
        .values_list("merchant_id", "in_force", "revoked")
    )
    _merge(
        facts,
        _rows(commitments),
        [(1, IDX["commitments_in_force"]), (2, IDX["commitments_revoked"])],
    )

    entries = (
        ListEntry.objects.filter(scope, q_entry_in_force(as_of))
        .values("merchant_id")
        .order_by()
        .annotate(
            black=Count("id", filter=Q(list_name=ListName.BLACK)),
            red=Count("id", filter=Q(list_name=ListName.RED)),
        )
        .values_list("merchant_id", "black", "red")
    )
    _merge(facts, _rows(entries), [(1, IDX["black_in_force"]), (2, IDX["red_in_force"])])

    for provider in fact_providers():
        _merge_provider(facts, provider, as_of=as_of, ids=ids, region_codes=region_codes)


def _merge_provider(facts, provider, *, as_of, ids, region_codes) -> None:
    """A provider's columns that the engine knows are added; unknown or missing ones count as zero."""
    known = [c for c in provider.columns if c in IDX]
    known = [c for c in PROVIDER_COLUMNS.get(provider.name, known) if c in provider.columns] or known
    if not known:
        return
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
    # Rows outside the scope are never looked up, so a provider that ignores the scope is still correct.
    qs = provider.fn(**kwargs)
    rows = qs.values_list("merchant_id", *known)
    _merge(facts, _rows(rows), [(i + 1, IDX[c]) for i, c in enumerate(known)])


def _digest(version: int, vector, scored) -> int:
    payload = f"{version}|{','.join(map(str, vector))}|{scored.stars}|{scored.credit_class}".encode()
    return zlib.crc32(payload)


def _facts_json(vector, scored) -> dict:
    out = {name: vector[i] for i, name in enumerate(FACT_COLUMNS) if vector[i]}
    if scored.capped:
        out["capped"] = True
    return out


def _update_merchants(rows: list[tuple]) -> None:
    """``rows`` = (id, stars, credit_class, current_rating_id); one UPDATE … FROM (VALUES …) per batch."""
    table = connection.ops.quote_name(Merchant._meta.db_table)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
        params = [p for row in chunk for p in row]
        # Only the quoted table name and placeholders are interpolated; every value is a parameter.
        sql = (
            f"UPDATE {table} SET stars = CAST(v.column2 AS integer), credit_class = v.column3, "  # noqa: S608
            f"current_rating_id = CAST(v.column4 AS integer) "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


RATING_COLUMNS = (
    "merchant_id",
    "stars",
    "trading",
    "service",
    "credit",
    "total",
    "credit_class",
    "black_listed",
    "facts",
    "digest",
    "policy_id",
    "computed_at",
)


def _copy_value(value) -> str:
    r"""One field in PostgreSQL's COPY text format (``\N`` is NULL; backslash, tab and newlines escaped)."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_ratings(rows: list[tuple]) -> dict[int, int]:
    """PostgreSQL: ids drawn from the table's sequence in one query, then the rows streamed with COPY.

    COPY writes history rows at about three times the speed of multi-row INSERTs (no statement to parse,
    no parameters to quote), which matters on the first run and after a policy change (every rated merchant).
    """
    table = connection.ops.quote_name(Rating._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("id", *RATING_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Rating._meta.db_table, len(rows)],
        )
        rating_ids = [row[0] for row in cursor.fetchall()]
        buffer = io.StringIO()
        for rating_id, row in zip(rating_ids, rows, strict=True):
            buffer.write(f"{rating_id}\t" + "\t".join(map(_copy_value, row)) + "\n")
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)  # the psycopg2 cursor
    return {row[0]: rating_id for rating_id, row in zip(rating_ids, rows, strict=True)}


def _insert_ratings(rows: list[tuple]) -> dict[int, int]:
    """One multi-row INSERT … RETURNING per batch (PostgreSQL, SQLite ≥ 3.35); maps merchant id → rating id."""
    if connection.vendor == "postgresql":
        return _copy_ratings(rows)
    table = connection.ops.quote_name(Rating._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in RATING_COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * len(RATING_COLUMNS)) + ")"
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(rows))} RETURNING id, merchant_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return {merchant_id: rating_id for rating_id, merchant_id in cursor.fetchall()}


def _claim(ids: list[int] | None, region_codes: list[str] | None, stale_only: bool) -> list[int] | None:
    """Clear the stale flags of the covered merchants (rolled back with the transaction on failure).

    Returns the explicit id list to recompute, or None for "every merchant in the region/table".
    """
    base = Merchant.objects.all()
    if region_codes is not None:
        base = base.filter(region_id__in=region_codes)
    if ids is not None:
        for start in range(0, len(ids), BATCH):
            base.filter(pk__in=ids[start : start + BATCH], rating_stale=True).update(rating_stale=False)
        return ids
    if stale_only:
        claimed = list(base.filter(rating_stale=True).values_list("id", flat=True))
        for start in range(0, len(claimed), BATCH):
            Merchant.objects.filter(pk__in=claimed[start : start + BATCH]).update(rating_stale=False)
        return claimed
    base.filter(rating_stale=True).update(rating_stale=False)
    return None


def ratings_recompute(
    *, region_code=None, stale_only=False, merchant_ids=None, actor=None, as_of: date | None = None
) -> RecomputeResult:
    """Recompute all merchants, a region, the given ids, or only stale ones. Idempotent."""
    from ..regions import region_and_descendant_codes

    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    policy = rating_policy_active()
    scorer = Scorer(policy.rules)
    region_codes = region_and_descendant_codes(region_code) if region_code else None
    ids = sorted({int(i) for i in merchant_ids}) if merchant_ids is not None else None
    result = RecomputeResult()
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())

    with transaction.atomic():
        ids = _claim(ids, region_codes, stale_only)
        if ids is not None and not ids:
            result.seconds = round(time.perf_counter() - started, 3)
            return result
        current_qs = Merchant.objects.all()
        if region_codes is not None:
            current_qs = current_qs.filter(region_id__in=region_codes)
        current: list[tuple] = []
        columns = ("id", "stars", "credit_class", "current_rating__digest")
        if ids is None:
            current = list(_rows(current_qs.values_list(*columns)))
        else:
            for start in range(0, len(ids), BATCH):
                current.extend(_rows(current_qs.filter(pk__in=ids[start : start + BATCH]).values_list(*columns)))
        facts: dict[int, list[int]] = {}
        small = ids is not None and len(ids) <= SMALL_SCOPE
        gather_facts(
            facts=facts,
            as_of=as_of,
            rules=policy.rules,
            ids=ids if small else None,
            region_codes=region_codes,
        )

        # Most merchants share a fact vector (most have none at all): score each distinct vector once.
        cache: dict[tuple, tuple] = {}
        zero = (0,) * N
        new_ratings: list[tuple] = []
        class_only: list[tuple] = []
        for merchant_id, stars, klass, digest in current:
            vector = facts.get(merchant_id)
            key = tuple(vector) if vector is not None else zero
            hit = cache.get(key)
            if hit is None:
                scored = scorer.score(key)
                hit = cache[key] = (scored, _digest(policy.version, key, scored))
            scored, new_digest = hit
            if scored.stars is not None:
                result.rated += 1
            if digest is None and scored.stars is None and stars is None:
                if klass != scored.credit_class:
                    class_only.append((merchant_id, None, scored.credit_class, None))
                continue
            if digest == new_digest and stars == scored.stars and klass == scored.credit_class:
                continue
            new_ratings.append(
                (
                    merchant_id,
                    scored.stars,
                    scored.trading,
                    scored.service,
                    scored.credit,
                    scored.total,
                    scored.credit_class,
                    scored.black_listed,
                    json.dumps(_facts_json(key, scored), separators=(",", ":")),
                    new_digest,
                    policy.pk,
                    computed_at,
                )
            )
        result.considered = len(current)
        del facts, current

        updates = list(class_only)
        batch = COPY_BATCH if connection.vendor == "postgresql" else INSERT_BATCH
        for start in range(0, len(new_ratings), batch):
            chunk = new_ratings[start : start + batch]
            ids_by_merchant = _insert_ratings(chunk)
            updates.extend((row[0], row[1], row[6], ids_by_merchant[row[0]]) for row in chunk)
        _update_merchants(updates)
        result.history_rows = len(new_ratings)
        result.changed = len(updates)
        # Per-event recomputes are traced by their history rows; batch runs also leave an audit entry.
        if result.changed and (actor is not None or merchant_ids is None):
            audit_log(
                actor=actor,
                action="rating.recompute",
                target=policy,
                note=f"region={region_code or '*'} stale_only={stale_only}",
                data={"considered": result.considered, "changed": result.changed},
            )
    # After the commit (a task runs outside any transaction): an event-driven run follows a change of a
    # visible fact (inspection, penalty, list entry, complaint…) even when the stars stay the same.
    if result.changed or merchant_ids is not None or stale_only:
        public_pages_changed()
    result.seconds = round(time.perf_counter() - started, 3)
    logger.info("ratings recomputed: %s", result.as_dict())
    return result


def ratings_sweep_stale(*, actor=None) -> RecomputeResult:
    """The beat safety net: whatever is still flagged (a lost message, a dead worker) is recomputed."""
    return ratings_recompute(stale_only=True, actor=actor)
