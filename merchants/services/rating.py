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

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.public_cache import public_pages_changed

from ..audit_actions import AuditAction
from ..models import Merchant, Rating
from ..notices import StarsChange, notify_stars_changed
from .rating_facts import N, fact_sources, fact_vectors, stream_rows
from .rating_policy import (
    FACT_COLUMNS,
    IDX_MARKET_LOW,
    IDX_MARKET_RATED,
    Scored,
    Scorer,
    market_rule,
    rating_policy_active,
)

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
    notified: int = 0  # merchants sent a "stars changed" notice (their stars moved; not a first rating)

    def as_dict(self) -> dict:
        return asdict(self)


def _digest(version: int, vector, scored) -> int:
    if not (vector[IDX_MARKET_RATED] or vector[IDX_MARKET_LOW]):
        # Without a market's stall facts (the rule off, or not a market) the digest is the one computed
        # before those columns existed: adding them rewrote no one's rating.
        vector = vector[:IDX_MARKET_RATED]
    payload = f"{version}|{','.join(map(str, vector))}|{scored.stars}|{scored.credit_class}".encode()
    return zlib.crc32(payload)


def _facts_json(vector, scored) -> dict:
    out = {name: vector[i] for i, name in enumerate(FACT_COLUMNS) if vector[i]}
    if scored.capped:
        out["capped"] = True
    if scored.market_deduction:
        out["market_deduction"] = scored.market_deduction
    return out


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


@dataclass(frozen=True)
class _Outcome:
    """What one distinct fact vector scores to, with its history row prepared once.

    Most merchants share a vector (most have no facts at all), so scoring, the facts JSON, the digest and
    the row's COPY text are built once per vector, not once per merchant.
    """

    scored: Scored
    digest: int
    row: tuple  # RATING_COLUMNS without merchant_id
    copy_tail: str  # the same fields in COPY text format

    @classmethod
    def build(cls, *, scored: Scored, vector: tuple, version: int, policy_id: int, computed_at) -> _Outcome:
        digest = _digest(version, vector, scored)
        row = (
            scored.stars,
            scored.trading,
            scored.service,
            scored.credit,
            scored.total,
            scored.credit_class,
            scored.black_listed,
            json.dumps(_facts_json(vector, scored), separators=(",", ":")),
            digest,
            policy_id,
            computed_at,
        )
        return cls(scored, digest, row, "\t".join(map(_copy_value, row)))


def _pg_array(values) -> str:
    """An array literal of integers, NULLs and credit classes (one letter or empty): one constant for the
    planner, where a list adapted by the driver becomes an ``ARRAY[…]`` expression of one node per row."""
    return (
        "{"
        + ",".join("NULL" if v is None else f'"{v}"' if isinstance(v, str) else str(v) for v in values)
        + "}"
    )


def _update_merchants(rows: list[tuple]) -> int:
    """``rows`` = (id, stars, credit_class, current_rating_id, rating_digest): the merchants' rating pointers.

    PostgreSQL: one ``UPDATE … FROM unnest(arrays)`` for the lot (five parameters, however many rows);
    elsewhere one ``UPDATE … FROM (VALUES …)`` per batch.
    """
    table = connection.ops.quote_name(Merchant._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET stars = v.stars, credit_class = v.klass, "  # noqa: S608
                "current_rating_id = v.rating_id, rating_digest = v.digest "
                "FROM unnest(%s::bigint[], %s::smallint[], %s::varchar[], %s::bigint[], %s::bigint[]) "
                "AS v(id, stars, klass, rating_id, digest) WHERE m.id = v.id",
                [_pg_array(column) for column in zip(*rows, strict=True)],
            )
            return cursor.rowcount
    updated = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        values = ",".join(["(%s,%s,%s,%s,%s)"] * len(chunk))
        params = [p for row in chunk for p in row]
        # Only the quoted table name and placeholders are interpolated; every value is a parameter.
        sql = (
            f"UPDATE {table} SET stars = CAST(v.column2 AS integer), credit_class = v.column3, "  # noqa: S608
            f"current_rating_id = CAST(v.column4 AS integer), rating_digest = CAST(v.column5 AS integer) "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _drop_orphans(rating_ids: list[int]) -> int:
    """Delete the just-written history rows whose merchant was deleted meanwhile (see ``merchant_delete``)."""
    gone = ~Exists(Merchant.objects.filter(pk=OuterRef("merchant_id")))
    deleted = 0
    for start in range(0, len(rating_ids), BATCH):
        deleted += Rating.objects.filter(gone, pk__in=rating_ids[start : start + BATCH]).delete()[0]
    if deleted:
        logger.warning("recompute: %s rating rows of deleted merchants dropped", deleted)
    return deleted


def _copy_ratings(pending: list[tuple[int, _Outcome]]) -> list[int]:
    """PostgreSQL: ids drawn from the table's sequence in one query, then the rows streamed with COPY.

    COPY writes history rows at about three times the speed of multi-row INSERTs (no statement to parse,
    no parameters to quote), which matters on the first run and after a policy change (every rated merchant).
    """
    table = connection.ops.quote_name(Rating._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("id", *RATING_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Rating._meta.db_table, len(pending)],
        )
        rating_ids = [row[0] for row in cursor.fetchall()]
        buffer = io.StringIO()
        buffer.writelines(
            f"{rating_id}\t{merchant_id}\t{outcome.copy_tail}\n"
            for rating_id, (merchant_id, outcome) in zip(rating_ids, pending, strict=True)
        )
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)  # the psycopg2 cursor
    return rating_ids


def _insert_ratings(pending: list[tuple[int, _Outcome]]) -> list[int]:
    """The new history rows' ids, in the order of ``pending``: COPY on PostgreSQL, else one multi-row
    ``INSERT … RETURNING`` (SQLite ≥ 3.35)."""
    if connection.vendor == "postgresql":
        return _copy_ratings(pending)
    table = connection.ops.quote_name(Rating._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in RATING_COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * len(RATING_COLUMNS)) + ")"
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(pending))} RETURNING id, merchant_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [value for merchant_id, outcome in pending for value in (merchant_id, *outcome.row)]
        )
        by_merchant = {merchant_id: rating_id for rating_id, merchant_id in cursor.fetchall()}
    return [by_merchant[merchant_id] for merchant_id, _outcome in pending]


def _current(ids: list[int] | None, region_codes: list[str] | None):
    """(id, stars, credit_class, digest and id of the current rating) of every covered merchant, by ascending id."""
    qs = Merchant.objects.all()
    if region_codes is not None:
        qs = qs.filter(region_id__in=region_codes)
    columns = ("id", "stars", "credit_class", "rating_digest", "current_rating_id")
    if ids is None:
        yield from stream_rows(qs.order_by("id").values_list(*columns))
        return
    for start in range(0, len(ids), BATCH):  # ids are sorted, so the batches come out in id order
        yield from stream_rows(
            qs.filter(pk__in=ids[start : start + BATCH]).order_by("id").values_list(*columns)
        )


class _RatingWriter:
    """Buffers what changed and writes it in batches (history rows first, then the merchants' pointers)."""

    def __init__(self) -> None:
        self.batch = COPY_BATCH if connection.vendor == "postgresql" else INSERT_BATCH
        self.pending: list[tuple[int, _Outcome]] = []
        self.updates: list[tuple] = []
        self.history_rows = 0
        self.changed = 0

    def class_only(self, merchant_id: int, credit_class: str) -> None:
        self.updates.append((merchant_id, None, credit_class, None, None))
        if len(self.updates) >= self.batch:
            self.flush()

    def rating(self, merchant_id: int, outcome: _Outcome) -> None:
        self.pending.append((merchant_id, outcome))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        rating_ids: list[int] = []
        if self.pending:
            rating_ids = _insert_ratings(self.pending)
            self.updates.extend(
                (merchant_id, outcome.scored.stars, outcome.scored.credit_class, rating_id, outcome.digest)
                for (merchant_id, outcome), rating_id in zip(self.pending, rating_ids, strict=True)
            )
            self.history_rows += len(self.pending)
            self.pending = []
        if self.updates:
            updated = _update_merchants(self.updates)
            if updated < len(self.updates):  # merchants deleted since they were read
                self.history_rows -= _drop_orphans(rating_ids)
            self.changed += updated
            self.updates = []


def _claim(ids: list[int] | None, region_codes: list[str] | None, stale_only: bool) -> list[int] | None:
    """Clear the stale flags of the covered merchants (rolled back with the transaction on failure).

    Returns the explicit id list to recompute, or None for "every merchant in the region/table".
    """
    base = Merchant.objects.all()
    # Clearing the flag changes the open data's "new rating pending": updated_at follows (updated_since).
    cleared = {"rating_stale": False, "updated_at": timezone.now()}
    if region_codes is not None:
        base = base.filter(region_id__in=region_codes)
    if ids is not None:
        for start in range(0, len(ids), BATCH):
            base.filter(pk__in=ids[start : start + BATCH], rating_stale=True).update(**cleared)
        return ids
    if stale_only:
        claimed = list(base.filter(rating_stale=True).order_by("id").values_list("id", flat=True))
        for start in range(0, len(claimed), BATCH):
            Merchant.objects.filter(pk__in=claimed[start : start + BATCH]).update(**cleared)
        return claimed
    base.filter(rating_stale=True).update(**cleared)
    return None


def _tune_transaction(*, outermost: bool) -> None:
    """PostgreSQL settings for this transaction only.

    ``cursor_tuple_fraction = 1``: the fact streams are server-side cursors read to the end, but the
    planner assumes a cursor reads a tenth of its rows and picks plans that start fast and finish slowly
    (a district's fact query took 70 ms instead of 5).

    ``synchronous_commit = off``, only when this is the outermost transaction: it writes derived data and
    clears the stale flags in the same transaction, so if a crash loses the last moments of commits it
    loses this one whole, the flags come back and the sweep redoes it. A caller's own writes keep the full
    guarantee.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        if outermost:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _markets_of(stall_ids: list[int]) -> list[int]:
    """The markets of the given merchants (one query per ``BATCH`` ids)."""
    markets: set[int] = set()
    for start in range(0, len(stall_ids), BATCH):
        markets.update(
            Merchant.objects.filter(pk__in=stall_ids[start : start + BATCH], parent_market_id__isnull=False)
            .values_list("parent_market_id", flat=True)
            .distinct()
        )
    return sorted(markets)


def ratings_recompute(
    *,
    region_code=None,
    stale_only=False,
    merchant_ids=None,
    actor: User | None = None,
    as_of: date | None = None,
    follow_markets: bool = True,
) -> RecomputeResult:
    """Recompute all merchants, a region, the given ids, or only stale ones. Idempotent.

    With the policy's market rule on, a market is scored on its stalls' stored stars; the markets of the
    stalls whose stars moved in this run are then recomputed once more in the same transaction
    (``follow_markets``), so a market never lags its stalls."""
    from ..regions import region_and_descendant_codes

    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    policy = rating_policy_active()
    market = market_rule(policy)
    scorer = Scorer(policy.rules, market)
    region_codes = region_and_descendant_codes(region_code) if region_code else None
    ids = sorted({int(i) for i in merchant_ids}) if merchant_ids is not None else None
    result = RecomputeResult()
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())

    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _tune_transaction(outermost=outermost)
        ids = _claim(ids, region_codes, stale_only)
        if ids is not None:
            # The walk below merges merchants and facts by ascending id, batch after batch: an id list out
            # of order would pair merchants with no facts (stale-only runs over several batches did).
            ids = sorted(ids)
        if ids is not None and not ids:
            result.seconds = round(time.perf_counter() - started, 3)
            return result
        small = ids is not None and len(ids) <= SMALL_SCOPE
        facts = fact_vectors(
            fact_sources(
                as_of=as_of,
                rules=policy.rules,
                ids=ids if small else None,
                region_codes=region_codes,
                market_stalls=market is not None,
            )
        )
        writer = _RatingWriter()
        outcomes: dict[tuple, _Outcome] = {}
        zero = (0,) * N
        fact_id, vector = next(facts, (None, zero))
        stars_changes: list[StarsChange] = []
        stars_moved: list[int] = []  # stalls whose stars moved: their markets follow (market rule on)
        for merchant_id, stars, klass, digest, rating_id in _current(ids, region_codes):
            while fact_id is not None and fact_id < merchant_id:
                fact_id, vector = next(facts, (None, zero))
            key = vector if fact_id == merchant_id else zero
            outcome = outcomes.get(key)
            if outcome is None:
                outcome = outcomes[key] = _Outcome.build(
                    scored=scorer.score(key),
                    vector=key,
                    version=policy.version,
                    policy_id=policy.pk,
                    computed_at=computed_at,
                )
            scored = outcome.scored
            result.considered += 1
            if scored.stars is not None:
                result.rated += 1
            if digest is None and scored.stars is None and stars is None:
                if klass != scored.credit_class:
                    writer.class_only(merchant_id, scored.credit_class)
                continue
            if digest == outcome.digest and stars == scored.stars and klass == scored.credit_class:
                continue
            writer.rating(merchant_id, outcome)
            if market is not None and follow_markets and stars != scored.stars:
                stars_moved.append(merchant_id)
            if stars is not None and stars != scored.stars:  # a change of rated stars: a legal notice
                stars_changes.append(StarsChange(merchant_id, stars, rating_id))
        writer.flush()
        result.history_rows = writer.history_rows
        result.changed = writer.changed
        if stars_moved and (markets := _markets_of(stars_moved)):
            follow = ratings_recompute(merchant_ids=markets, actor=actor, as_of=as_of, follow_markets=False)
            result.history_rows += follow.history_rows
            result.notified += follow.notified
        # In this transaction, after the new ratings are written: a rollback leaves no notice.
        result.notified += notify_stars_changed(changes=stars_changes, actor=actor) if stars_changes else 0
        # Per-event recomputes are traced by their history rows; batch runs also leave an audit entry.
        if result.changed and (actor is not None or merchant_ids is None):
            audit_log(
                actor=actor,
                action=AuditAction.RATING_RECOMPUTE,
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


def ratings_sweep_stale(*, actor: User | None = None) -> RecomputeResult:
    """The beat safety net: whatever is still flagged (a lost message, a dead worker) is recomputed."""
    return ratings_recompute(stale_only=True, actor=actor)
