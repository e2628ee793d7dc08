"""The audit log is append-only in the database itself (PostgreSQL): a trigger refuses UPDATE and DELETE.

Services only ever insert audit rows (core.audit.audit_log) and the admin shows them read-only; the
trigger makes that a guarantee against a raw SQL session, a bug or a compromised application account
as well. One change stays allowed: a user's deletion sets ``actor_id`` to NULL (``actor_fk`` is
SET_NULL so records outlive accounts) — an UPDATE that changes nothing but that column from a value to
NULL passes; ``actor_label`` still names who acted. TRUNCATE is not a row event (test flushes use it).

Installed by migration core.0003 and, because tests run with --nomigrations, by a post_migrate handler
as well (idempotent: CREATE OR REPLACE, then DROP/CREATE TRIGGER). SQLite has no such trigger.
"""

from __future__ import annotations

FUNCTION = "core_auditentry_append_only"
TRIGGER = "core_auditentry_append_only"


def _statements(table: str) -> list[str]:
    return [
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
               AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
        """,
        f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
    ]


def install_append_only_trigger(connection, table: str | None = None) -> bool:
    """(Re)create the trigger on PostgreSQL; a no-op elsewhere. Returns whether it was installed."""
    if connection.vendor != "postgresql":
        return False
    if table is None:
        from .models import AuditEntry

        table = AuditEntry._meta.db_table
    if table not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        for sql in _statements(table):
            cursor.execute(sql)
    return True


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate handler (also fires after --nomigrations syncdb in tests)."""
    from django.db import connections

    install_append_only_trigger(connections[using])
