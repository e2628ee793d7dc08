"""PostgreSQL indexes built ``CONCURRENTLY``: find, and clear before a rebuild, what a failed build left behind.

A ``CREATE INDEX CONCURRENTLY`` that stops half-way (a cancelled ``migrate``, a statement timeout, a deadlock,
a dropped connection, a unique build meeting a duplicate) does not roll back: the index stays, marked invalid.
PostgreSQL keeps it up to date on every write and never reads it. A rerun then goes wrong either way:
``IF NOT EXISTS`` sees the name and reports success while every search scans the table, and a plain ``CREATE
INDEX`` stops on "already exists". So a builder calls ``index_drop_if_invalid`` first, and the system check
``core.W003`` (``core/checks.py``) names any invalid index left in the schema, on every ``migrate``, ``check``
and start of the development server (docs/OPERATIONS.md).

An index that another session is building right now is invalid too, until its build ends: it is never dropped
here (``pg_stat_progress_create_index``); the caller gets ``IndexBuildInProgress`` and runs again later. That
view shows another role's build only to members of ``pg_read_all_stats``; a build by another role looks
invalid, and its ``DROP INDEX`` waits for the build to end (both lock the table) before the caller builds the
index again: slower, not wrong.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import DomainError

#: Invalid indexes of the current schema, by name.
INVALID_INDEXES_SQL = (
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY c.relname"
)
#: ("valid" | "invalid", pid of a session building it now or NULL) of one index of the current schema.
INDEX_STATE_SQL = (
    "SELECT i.indisvalid, (SELECT p.pid FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid "
    "LIMIT 1) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s AND n.nspname = current_schema()"
)


class IndexBuildInProgress(DomainError):
    """Another session is building the index now: dropping it would throw its work away."""


def quote_identifier(name: str) -> str:
    """``"name"`` with embedded double quotes doubled (Django's ``quote_name`` leaves them as they are)."""
    return '"' + name.replace('"', '""') + '"'


def invalid_indexes(connection) -> list[str]:
    """Names of the invalid indexes of the current schema (PostgreSQL; always empty elsewhere)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(INVALID_INDEXES_SQL)
        return [name for (name,) in cursor.fetchall()]


def index_state(connection, name: str) -> str | None:
    """``"valid"``, ``"invalid"``, ``"building"`` (another session's build is running) or ``None`` (no such
    index; also on databases other than PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(INDEX_STATE_SQL, [name])
        row = cursor.fetchone()
    if row is None:
        return None
    valid, builder = row
    if valid:
        return "valid"
    return "building" if builder is not None else "invalid"


def index_drop_if_invalid(connection, name: str, *, concurrently: bool = False) -> bool:
    """Drop ``name`` if a failed build left it invalid, so that the caller's ``CREATE INDEX`` builds it anew;
    True if it was dropped. ``concurrently`` (outside a transaction only) does not block writes to the table.
    Raises ``IndexBuildInProgress`` while another session builds it."""
    state = index_state(connection, name)
    if state == "building":
        raise IndexBuildInProgress(_("索引 %(name)s 正由另一个会话创建，请在其完成后重试。") % {"name": name})
    if state != "invalid":
        return False
    how = "CONCURRENTLY " if concurrently else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {how}IF EXISTS {quote_identifier(name)}")
    return True
