"""The set-based rating recompute.

One pass: the merchants in scope, read in id order, walked side by side with the merged fact streams of
``rating_facts`` (one GROUP BY query per source, also in id order), integer scoring in Python, and bulk
writes of only what changed, a batch at a time (history rows by COPY on PostgreSQL, multi-row INSERT
elsewhere; merchants through one ``UPDATE … FROM (VALUES …)`` per batch). Never a query per merchant,
memory bounded by the batch size rather than the number of entities, and the same integers on SQLite and
PostgreSQL because the databases only count.

Staleness: the ``rating_stale`` flags of the covered merchants are cleared in the
same transaction that writes the results, so a crash rolls the flags back and the
sweep retries; an event that commits after the facts were read sets the flag
again and queues its own recompute.
"""
from __future__ import annotations

import io
import json
import logging
import time
import zlib
from dataclasses import asdict, dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_log

from ..models import Merchant, Rating
from ..selectors.register import public_pages_changed
from .rating_facts import N, fact_sources, fact_vectors, stream_rows
from .rating_policy import FACT_COLUMNS, Scorer, rating_policy_active

logger = logging.getLogger(__name__)

BATCH = 5000
INSERT_BATCH = 2000  # 12 parameters a row stays under SQLite's 32,766-variable limit
COPY_BATCH = 20000
SMALL_SCOPE = 2000  # up to this many ids the aggregates filter by id; above, by region or not at all


@dataclass
class RecomputeResult:
    considered: int = 0
    changed: int = 0
    seconds: float = 0.0
    rated: int = 0
    history_rows: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


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


def _current(ids: list[int] | None, region_codes: list[str] | None):
    """(id, stars, credit_class, digest of the current rating) of every covered merchant, by ascending id."""
    qs = Merchant.objects.all()
    if region_codes is not None:
        qs = qs.filter(region_id__in=region_codes)
    columns = ("id", "stars", "credit_class", "current_rating__digest")
    if ids is None:
        yield from stream_rows(qs.order_by("id").values_list(*columns))
        return
    for start in range(0, len(ids), BATCH):  # ids are sorted, so the batches come out in id order
        yield from stream_rows(
            qs.filter(pk__in=ids[start : start + BATCH]).order_by("id").values_list(*columns)
        )


class _RatingWriter:
    """Buffers what changed and writes it in batches (history rows first, then the merchants' pointers)."""

    def __init__(self, *, policy_id: int, computed_at) -> None:
        self.policy_id = policy_id
        self.computed_at = computed_at
        self.batch = COPY_BATCH if connection.vendor == "postgresql" else INSERT_BATCH
        self.pending: list[tuple] = []
        self.updates: list[tuple] = []
        self.history_rows = 0
        self.changed = 0

    def class_only(self, merchant_id: int, credit_class: str) -> None:
        self.updates.append((merchant_id, None, credit_class, None))
        if len(self.updates) >= self.batch:
            self.flush()

    def rating(self, merchant_id: int, scored, vector: tuple, digest: int) -> None:
        self.pending.append(
            (
                merchant_id,
                scored.stars,
                scored.trading,
                scored.service,
                scored.credit,
                scored.total,
                scored.credit_class,
                scored.black_listed,
                json.dumps(_facts_json(vector, scored), separators=(",", ":")),
                digest,
                self.policy_id,
                self.computed_at,
            )
        )
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            ids_by_merchant = _insert_ratings(self.pending)
            self.updates.extend((row[0], row[1], row[6], ids_by_merchant[row[0]]) for row in self.pending)
            self.history_rows += len(self.pending)
            self.pending = []
        if self.updates:
            _update_merchants(self.updates)
            self.changed += len(self.updates)
            self.updates = []


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
        small = ids is not None and len(ids) <= SMALL_SCOPE
        facts = fact_vectors(
            fact_sources(
                as_of=as_of, rules=policy.rules, ids=ids if small else None, region_codes=region_codes
            )
        )
        writer = _RatingWriter(policy_id=policy.pk, computed_at=computed_at)
        # Most merchants share a fact vector (most have none at all): score each distinct vector once.
        cache: dict[tuple, tuple] = {}
        zero = (0,) * N
        fact_id, vector = next(facts, (None, zero))
        for merchant_id, stars, klass, digest in _current(ids, region_codes):
            while fact_id is not None and fact_id < merchant_id:
                fact_id, vector = next(facts, (None, zero))
            key = vector if fact_id == merchant_id else zero
            hit = cache.get(key)
            if hit is None:
                scored = scorer.score(key)
                hit = cache[key] = (scored, _digest(policy.version, key, scored))
            scored, new_digest = hit
            result.considered += 1
            if scored.stars is not None:
                result.rated += 1
            if digest is None and scored.stars is None and stars is None:
                if klass != scored.credit_class:
                    writer.class_only(merchant_id, scored.credit_class)
                continue
            if digest == new_digest and stars == scored.stars and klass == scored.credit_class:
                continue
            writer.rating(merchant_id, scored, key, new_digest)
        writer.flush()
        result.history_rows = writer.history_rows
        result.changed = writer.changed
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
