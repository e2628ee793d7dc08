"""Statements prepared once per database connection (PostgreSQL ``PREPARE`` / ``EXECUTE``).

A hot read whose SQL text never changes — only its parameters — pays PostgreSQL's parsing and planning on
every execution unless it is prepared; and a statement compiled by the ORM also pays Django's compilation.
``PreparedStatement`` takes SQL compiled once (``%s`` parameters, as Django writes it) with the PostgreSQL
type of each parameter, prepares it the first time a connection runs it and executes it by name after that.

``PREPARE`` lasts as long as the connection and is not undone by a rollback; a new connection
(``CONN_MAX_AGE``, a reconnect) prepares it again: which statements a connection holds is kept on the
connection wrapper, keyed by the driver's connection object. A statement the server refuses to prepare is
run as plain SQL from then on (the caller's fallback), never failing the request.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

from django.db import DatabaseError, InterfaceError, transaction

_PLACEHOLDER = re.compile(r"%[s%]")


def prepared_type(value) -> str | None:
    """The PostgreSQL type of a query parameter, for ``PREPARE name(types…)``; None when not one of these."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "timestamptz"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "bigint[]"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "text[]"
    return None


def numbered(sql: str, placeholder) -> str:
    """``sql`` with each ``%s`` replaced by ``placeholder(n)`` (n = 0, 1, … in order) and ``%%`` by ``%``."""
    count = iter(range(1_000_000))
    return _PLACEHOLDER.sub(lambda m: placeholder(next(count)) if m.group() == "%s" else "%", sql)


class PreparedStatement:
    """``sql`` (Django's ``%s`` parameters) prepared as ``<prefix>_<hash>`` with these parameter ``types``.

    ``execute(connection, cursor, params, prefix="")`` runs it by name, preparing it first on a connection
    that does not hold it; ``prefix`` is sent in the same string before the ``EXECUTE`` (``SET LOCAL …;``).
    Returns False without running anything when the statement cannot be prepared: the caller runs its plain
    SQL."""

    def __init__(self, sql: str, types: list[str], *, name_prefix: str, dollar: bool = False):
        # ``dollar``: ``sql`` already names its parameters ``$1``, ``$2`` … (one may be used twice)
        body = sql if dollar else numbered(sql, lambda n: f"${n + 1}")
        self.name = f"{name_prefix}_" + hashlib.sha256(body.encode()).hexdigest()[:20]
        self.prepare_sql: str | None = f"PREPARE {self.name}({', '.join(types)}) AS {body}"
        self.execute_sql = f"EXECUTE {self.name}({', '.join(['%s'] * len(types))})"

    def _held(self, connection, cursor) -> bool:
        """Whether this connection holds the statement (preparing it now if not)."""
        if self.prepare_sql is None:
            return False
        state = getattr(connection, "_prepared_statements", None)
        if state is None or state[0] is not connection.connection:  # a new connection: nothing prepared yet
            state = connection._prepared_statements = (connection.connection, set())
        if self.name not in state[1]:
            try:
                # in a savepoint (or its own transaction): a failure must not abort the caller's transaction
                with transaction.atomic(using=connection.alias):
                    cursor.execute(self.prepare_sql)
            except DatabaseError as error:
                if (
                    getattr(error.__cause__, "pgcode", None) != "42P05"
                ):  # not "already prepared on this session"
                    self.prepare_sql = None  # the plain statement from now on
                    return False
            state[1].add(self.name)
        return True

    def execute(self, connection, cursor, params: list, *, prefix: str = "") -> bool:
        if not self._held(connection, cursor):
            return False
        cursor.execute(prefix + self.execute_sql, params)
        return True


def read_as_health_check(connection, run):
    """``run()`` — a read on ``connection`` — as the connection's own health check.

    With ``CONN_HEALTH_CHECKS`` Django pings a reused connection (``SELECT 1``, a round trip) before its first
    query of a request; a hot read skips that: if the connection turns out dead, a new one runs the read again,
    as the health check would have replaced it. Only for reads (running one twice is safe), and only outside
    a transaction (a dead connection inside one is the transaction's failure, not to be papered over)."""
    own_check = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if own_check:
        connection.health_check_done = True
    try:
        return run()
    except (DatabaseError, InterfaceError):
        if not own_check or connection.is_usable():
            raise  # not a dead connection: the error is the read's own
        connection.close()
        return run()
