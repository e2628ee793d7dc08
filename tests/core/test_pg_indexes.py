"""A concurrent index build that failed leaves an invalid index: it is reported (core.W003) and dropped before a
rebuild, but an index another session is still building is left alone (core/pg_indexes.py)."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest
from django.db import IntegrityError, connection

from integrity_portal.core.checks import invalid_index_check
from integrity_portal.core.pg_indexes import (
    IndexBuildInProgress,
    index_drop_if_invalid,
    index_state,
    invalid_indexes,
    quote_identifier,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("require_postgres"),
]

TABLE = "test_pg_indexes_probe"


@pytest.fixture
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TABLE {TABLE} (x integer)")
        cursor.execute(f"INSERT INTO {TABLE} VALUES (1), (1), (2)")  # noqa: S608 — a constant table name
    yield TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute("DROP FUNCTION IF EXISTS test_pg_indexes_slow(integer)")


def _failed_unique_build(name: str) -> None:
    """A real failed build: a unique index over duplicate values, concurrently, stops after creating the index."""
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {TABLE} (x)")


def test_a_failed_concurrent_build_is_reported_then_dropped_so_that_a_rebuild_can_run(probe_table):
    _failed_unique_build("probe_unique_idx")
    assert index_state(connection, "probe_unique_idx") == "invalid"
    assert "probe_unique_idx" in invalid_indexes(connection)
    warnings = [w for w in invalid_index_check() if "probe_unique_idx" in w.msg]
    assert [w.id for w in warnings] == ["core.W003"]
    assert "DROP INDEX CONCURRENTLY probe_unique_idx" in warnings[0].hint

    assert index_drop_if_invalid(connection, "probe_unique_idx", concurrently=True) is True

    assert index_state(connection, "probe_unique_idx") is None
    assert "probe_unique_idx" not in invalid_indexes(connection)
    assert not [w for w in invalid_index_check() if "probe_unique_idx" in w.msg]
    with connection.cursor() as cursor:  # the name is free again: the builder's CREATE INDEX runs
        cursor.execute(f"CREATE INDEX CONCURRENTLY probe_unique_idx ON {TABLE} (x)")
    assert index_state(connection, "probe_unique_idx") == "valid"


def test_a_valid_index_or_a_missing_one_is_not_touched(probe_table):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX probe_valid_idx ON {TABLE} (x)")
    assert index_drop_if_invalid(connection, "probe_valid_idx") is False
    assert index_state(connection, "probe_valid_idx") == "valid"
    assert index_drop_if_invalid(connection, "no_such_index_anywhere") is False
    assert index_state(connection, "no_such_index_anywhere") is None


def test_a_name_with_quotes_is_quoted_not_executed(probe_table):
    name = 'probe"; DROP TABLE x; --'
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {quote_identifier(name)} ON {TABLE} (x)")
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [quote_identifier(name)]
        )
    assert index_state(connection, name) == "invalid"
    assert index_drop_if_invalid(connection, name) is True
    assert index_state(connection, name) is None


def test_an_index_another_session_is_building_is_not_dropped(probe_table):
    """While a build runs, its index is invalid too: dropping it would throw the other session's work away."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_pg_indexes_slow(v integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
            "$$ BEGIN PERFORM pg_sleep(0.4); RETURN v; END $$"
        )
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    other.autocommit = True
    errors: list[BaseException] = []

    def build():
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    f"CREATE INDEX CONCURRENTLY probe_slow_idx ON {TABLE} (test_pg_indexes_slow(x))"
                )
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)

    builder = threading.Thread(target=build)
    builder.start()
    try:
        deadline = time.monotonic() + 10
        while index_state(connection, "probe_slow_idx") != "building" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert index_state(connection, "probe_slow_idx") == "building"
        with pytest.raises(IndexBuildInProgress, match="probe_slow_idx"):
            index_drop_if_invalid(connection, "probe_slow_idx", concurrently=True)
    finally:
        builder.join(30)
        other.close()
    assert errors == []
    assert index_state(connection, "probe_slow_idx") == "valid"
