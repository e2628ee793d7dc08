"""An open-data row rendered as the API's JSON by PostgreSQL, in the statement that reads it.

A page of the API is 50 – 200 rows of 23 fields. Read as Python values, turned into ``MerchantSerializer``'s
fields and encoded, such a page cost the API about 1 ms of Python per request — more than the searching
(docs/SEARCH.md "The API's search path"). Here the statement reading the rows also writes each one as the
exact text REST framework's ``JSONRenderer`` would write for ``MerchantSerializer(row).data``: the same keys
in the same order, compact separators, non-ASCII characters as they are, the same string escapes (PostgreSQL's
``to_json`` and Python's ``json`` escape the same characters the same way), dates in ISO 8601 and date-times
in the current time zone as ``datetime.isoformat()`` writes them (microseconds only when not zero, ``Z`` for
UTC). The view splices the rows into the page (``core.api_json``); U+2028 and U+2029 are escaped there, for
the whole body, as REST framework does. ``tests/merchants/test_api_fast_rows.py`` holds every path to the same
bytes as the declared fields.

``row_json_sql(column)`` is the expression, given the SQL of each column of
``selectors.search_api.OPEN_DATA_COLUMNS``; ``json_rows_sql(rows_sql)`` wraps a compiled rows query (those
columns, in that order) so that it returns ``(id, json)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from ..models import MerchantStatus, RegionLevel

_PLAIN = re.compile(r"^[A-Za-z0-9_]+$")
_ZONE = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _literal(value: str, pattern: re.Pattern = _PLAIN) -> str:
    """A constant of the code (a stored choice, a zone name) as an SQL literal; never a visitor's value."""
    if not pattern.match(value):
        raise ValueError(f"not a plain constant: {value!r}")
    return f"'{value}'"


def zone_name() -> str | None:
    """The current time zone's IANA name, as PostgreSQL knows it; None when it has none (the caller then
    renders in Python)."""
    name = timezone.get_current_timezone_name()
    return name if _ZONE.match(name or "") else None


def _string(sql: str) -> str:
    return f"coalesce(to_json({sql})::text, 'null')"


def _number(sql: str) -> str:
    return f"coalesce(({sql})::text, 'null')"


def _boolean(sql: str) -> str:
    return f"CASE WHEN {sql} THEN 'true' ELSE 'false' END"


def _date(sql: str) -> str:
    return f"coalesce('\"' || to_char({sql}, 'YYYY-MM-DD') || '\"', 'null')"


#: The span over which a zone whose offset never changes is written with that offset as a constant.
_FIXED_FROM, _FIXED_TO = datetime(1992, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=16)
def fixed_offset(zone: str) -> timedelta | None:
    """The zone's UTC offset if it is the same on the first of every month from 1992 to 2099 (Asia/Shanghai:
    +08:00 since 1991), else None. A zone with summer time or a change of offset in that span is None."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offsets = {
        datetime(year, month, 1, tzinfo=UTC).astimezone(tz).utcoffset()
        for year in range(_FIXED_FROM.year, _FIXED_TO.year)
        for month in range(1, 13)
    }
    return offsets.pop() if len(offsets) == 1 else None


def _offset_text(offset: timedelta) -> str:
    """``datetime.isoformat``'s suffix for this offset, ``Z`` for UTC as ``DateTimeField`` writes it."""
    if not offset:
        return "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _datetime(sql: str, zone: str) -> str:
    """``DateTimeField.to_representation``: ``value.astimezone(zone).isoformat()``, ``+00:00`` as ``Z``.

    In a zone of fixed offset (``fixed_offset``) a value of 1992 – 2099 is shifted by the constant and
    suffixed with it — a third of the general expression's cost, which converts to the zone three times."""
    local = f"({sql} AT TIME ZONE {_literal(zone, _ZONE)})"
    offset = f"({local} - ({sql} AT TIME ZONE 'UTC'))"
    general = (
        f"'\"' || to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {sql}) = {sql} THEN '' ELSE to_char({sql}, '.US') END"
        f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
        f" WHEN {offset} > interval '0' THEN '+' || to_char({offset}, 'HH24:MI')"
        f" ELSE '-' || to_char(-{offset}, 'HH24:MI') END || '\"'"
    )
    fixed = fixed_offset(zone)
    if fixed is None:
        return f"CASE WHEN {sql} IS NULL THEN 'null' ELSE {general} END"
    utc = f"({sql} AT TIME ZONE 'UTC')"
    seconds = int(fixed.total_seconds())
    shifted = f"{utc} + interval '{seconds} seconds'"
    fast = (
        f"'\"' || to_char({shifted}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {utc}) = {utc} THEN '' ELSE to_char({utc}, '.US') END"
        f" || '{_offset_text(fixed)}\"'"
    )
    return (
        f"CASE WHEN {sql} IS NULL THEN 'null' WHEN {sql} >= '{_FIXED_FROM.isoformat()}'::timestamptz"
        f" AND {sql} < '{_FIXED_TO.isoformat()}'::timestamptz THEN {fast} ELSE {general} END"
    )


def row_json_sql(column: Callable[[str], str], zone: str) -> str:
    """The JSON text of one row: ``column(name)`` is the SQL of the column ``name`` of ``OPEN_DATA_COLUMNS``.
    The same rules as ``MerchantSerializer.row_representation``, field for field."""
    c = column
    deregistered = f"{c('status')} = {_literal(MerchantStatus.DEREGISTERED)}"
    region_name = (
        f"CASE WHEN coalesce({c('region__parent')}, '') <> '' AND {c('region__level')} = "
        f"{_literal(RegionLevel.DISTRICT)} THEN {c('region__parent__name')} || {c('region__name')}"
        f" ELSE {c('region__name')} END"
    )
    strings = ("name", "kind", "industry", "uscc", "licence_number", "legal_representative", "address")
    fields = [("merchant_id", _number(c("id"))), *((name, _string(c(name))) for name in strings)]
    fields += [("region_code", _string(c("region_id"))), ("region_name", _string(region_name))]
    fields += [("parent_market_id", _number(c("parent_market_id")))]
    fields += [("parent_market_name", _string(c("parent_market__name")))]
    fields += [(name, _boolean(c(name))) for name in ("is_large_venue", "is_time_honored")]
    fields += [("status", _string(c("status"))), ("registered_on", _date(c("registered_on")))]
    fields += [
        ("stars", f"CASE WHEN {deregistered} THEN 'null' ELSE {_number(c('stars'))} END"),
        (
            "rating_state",
            f"CASE WHEN {deregistered} THEN '\"deregistered\"' WHEN {c('stars')} IS NULL THEN '\"not_rated\"'"
            " ELSE '\"rated\"' END",
        ),
        ("black_listed", _boolean(c("on_black_list"))),
        ("rated_at", _datetime(c("rated_at"), zone)),
        *((name, _boolean(c(name))) for name in ("new_rating_pending", "rating_under_appeal")),
        ("updated_at", _datetime(f"GREATEST({c('updated_at')}, {c('rated_at')})", zone)),
    ]
    parts = []
    for n, (key, value) in enumerate(fields):
        parts.append(f"'{'{' if n == 0 else ','}\"{key}\":'")
        parts.append(value)
    parts.append("'}'")
    return "concat(" + ", ".join(parts) + ")"


def json_rows_sql(rows_sql: str, columns: tuple[str, ...], zone: str) -> str:
    """``rows_sql`` (selecting ``columns``, the first the primary key) as ``(id, json)`` rows."""
    names = {name: f"r.c{n}" for n, name in enumerate(columns)}
    aliases = ", ".join(f"c{n}" for n in range(len(columns)))
    # Compiled by Django from a queryset; every value in it is a parameter.
    return f"SELECT r.c0, {row_json_sql(names.__getitem__, zone)} FROM ({rows_sql}) AS r({aliases})"  # noqa: S608
