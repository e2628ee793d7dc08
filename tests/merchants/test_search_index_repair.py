"""The search indexes are built concurrently; a build that failed must not leave searches scanning the table.

A failed ``CREATE INDEX CONCURRENTLY`` leaves an invalid index that ``IF NOT EXISTS`` would keep and a plain
``CREATE INDEX`` would trip over: the migration and ``rebuild_search_index --create-index`` rebuild it
(merchants/search.py, core/pg_indexes.py). The failed build is simulated by marking the index invalid, which is
the state such a build leaves (tests/core/test_pg_indexes.py makes a build really fail)."""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrity_portal.core.checks import invalid_index_check
from integrity_portal.core.pg_indexes import index_state
from merchants.search import GRAMS_INDEX, install_search_index

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("require_postgres"),
]

NAME_INDEX = "merchant_search_name_idx"
migration = importlib.import_module("merchants.migrations.0007_search_backfill_and_indexes")


def _break(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [name])
    assert index_state(connection, name) == "invalid"


def _uses_grams_index() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(
                "EXPLAIN SELECT id FROM merchants_merchant "
                "WHERE merchant_search_grams(search_text) @> ARRAY['五金']"
            )
            return GRAMS_INDEX in "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


@pytest.fixture
def restore_indexes():
    yield
    for name in (GRAMS_INDEX, NAME_INDEX):
        if index_state(connection, name) != "valid":
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
    install_search_index(connection)
    if index_state(connection, NAME_INDEX) is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX {NAME_INDEX} ON merchants_merchant (search_name varchar_pattern_ops)"
            )


def test_an_invalid_grams_index_is_reported_and_rebuilt_where_if_not_exists_would_keep_it(restore_indexes):
    assert install_search_index(connection, concurrently=True) == "present"
    _break(GRAMS_INDEX)
    assert not _uses_grams_index()  # the state to repair: PostgreSQL ignores the index
    assert GRAMS_INDEX in " ".join(w.msg for w in invalid_index_check() if w.id == "core.W003")

    assert install_search_index(connection, concurrently=True) == "rebuilt"

    assert index_state(connection, GRAMS_INDEX) == "valid"
    assert _uses_grams_index()
    assert not [w for w in invalid_index_check() if GRAMS_INDEX in w.msg]
    assert install_search_index(connection, concurrently=True) == "present"


def test_a_missing_grams_index_is_created():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {GRAMS_INDEX}")
    assert install_search_index(connection, concurrently=True) == "created"
    assert index_state(connection, GRAMS_INDEX) == "valid"


def test_the_migration_run_again_after_a_failed_build_rebuilds_the_invalid_index_and_keeps_the_valid_one(
    restore_indexes,
):
    """A migrate stopped during the GIN build: the name index is finished, the GIN index invalid. The rerun must
    neither stop on "already exists" nor keep the invalid index."""
    _break(GRAMS_INDEX)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [NAME_INDEX])
        name_oid = cursor.fetchone()[0]
    with connection.schema_editor(atomic=False) as editor:
        migration.add_indexes(apps, editor)
    assert index_state(connection, GRAMS_INDEX) == "valid"
    assert index_state(connection, NAME_INDEX) == "valid"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [NAME_INDEX])
        assert cursor.fetchone()[0] == name_oid  # kept, not built again

    _break(NAME_INDEX)  # a migrate stopped during the first build
    with connection.schema_editor(atomic=False) as editor:
        migration.add_indexes(apps, editor)
    assert index_state(connection, NAME_INDEX) == "valid"


def test_the_migration_builds_both_indexes_concurrently_outside_a_transaction(restore_indexes):
    """A bureau's register stays writable while the migration builds its search indexes: both are built
    ``CONCURRENTLY``, which PostgreSQL allows only outside a transaction block (hence ``atomic = False``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {GRAMS_INDEX}")
        cursor.execute(f"DROP INDEX {NAME_INDEX}")
    with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
        migration.add_indexes(apps, editor)
    creates = [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("CREATE INDEX")
    ]
    assert len(creates) == 2, creates
    assert all(sql.upper().startswith("CREATE INDEX CONCURRENTLY") for sql in (c.lstrip() for c in creates))
    assert {name for name in (GRAMS_INDEX, NAME_INDEX) if any(name in sql for sql in creates)} == {
        GRAMS_INDEX,
        NAME_INDEX,
    }
    assert migration.Migration.atomic is False
    assert index_state(connection, GRAMS_INDEX) == "valid" and index_state(connection, NAME_INDEX) == "valid"


def test_the_rebuild_command_says_it_rebuilt_an_invalid_index(restore_indexes):
    _break(GRAMS_INDEX)
    out = io.StringIO()
    call_command("rebuild_search_index", "--create-index", stdout=out)
    assert "search index: rebuilt" in out.getvalue()
    assert index_state(connection, GRAMS_INDEX) == "valid"
    out = io.StringIO()
    call_command("rebuild_search_index", "--create-index", stdout=out)
    assert "search index: present" in out.getvalue()


def test_a_migrate_meeting_another_sessions_build_leaves_it_to_that_session(monkeypatch, caplog):
    from integrity_portal.core import pg_indexes
    from merchants.search import install_after_migrate

    monkeypatch.setattr(pg_indexes, "index_state", lambda connection, name: "building")
    with caplog.at_level("WARNING", logger="merchants.search"):
        install_after_migrate(sender=None, using="default")  # no exception: migrate ends normally
    assert GRAMS_INDEX in caplog.text
