"""The restore drill of docs/DEPLOY.md, on the real engine: a `pg_dump -Fc` of a seeded database,
restored with `pg_restore` into a fresh database, holds the same rows.

A backup nobody has restored is a hope, not a backup; this proves the documented commands and
flags (custom format, `--no-owner`) produce a dump that loads into an empty database."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import skip_or_fail
from tests.factories import MerchantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pg_args(database: str) -> tuple[list[str], dict[str, str]]:
    conf = settings.DATABASES["default"]
    args = ["-h", conf.get("HOST") or "127.0.0.1", "-p", str(conf.get("PORT") or 5432), "-U", conf["USER"], "-d", database]
    env = {**os.environ}
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = conf["PASSWORD"]
    return args, env


def _connect(database: str):
    conf = settings.DATABASES["default"]
    return psycopg2.connect(
        host=conf.get("HOST") or "127.0.0.1", port=conf.get("PORT") or 5432, user=conf["USER"],
        password=conf.get("PASSWORD") or None, dbname=database,
    )


def _row_counts(database: str, tables: list[str]) -> dict[str, int]:
    with _connect(database) as conn, conn.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the schema itself
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.fixture
def fresh_database(require_postgres):
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_pg_dump_restores_into_a_fresh_database_with_the_same_rows(regions, fresh_database, tmp_path):
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            skip_or_fail(f"needs the PostgreSQL client tools ({tool}): apt-get install postgresql-client")
    owner = UserFactory(username="restore-drill-owner")
    merchants = MerchantFactory.create_batch(3)
    merchants.append(MerchantFactory(name='引号"<店>'))  # awkward characters survive the round trip
    source = settings.DATABASES["default"]["NAME"]
    tables = sorted(connection.introspection.table_names())
    before = _row_counts(source, tables)
    assert before["merchants_merchant"] == 4 and before["merchants_region"] == len(regions)
    assert before["auth_user"] >= 1

    dump = tmp_path / "portal.dump"
    args, env = _pg_args(source)
    result = subprocess.run(["pg_dump", "-Fc", *args, "-f", str(dump)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    args, env = _pg_args(fresh_database)
    result = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", *args, str(dump)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr

    assert _row_counts(fresh_database, tables) == before
    with _connect(fresh_database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT name FROM merchants_merchant ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [m.name for m in merchants]
        cursor.execute("SELECT password FROM auth_user WHERE username = %s", [owner.username])
        assert cursor.fetchone()[0] == owner.password
    conn.close()
