"""``manage.py rebuild_search_index [--batch-size N] [--only-missing] [--create-index]``.

Fills the derived search columns of existing merchants (after the migration that adds them, or a change of
the normalisation) in primary-key batches, and with ``--create-index`` creates the PostgreSQL grams function
and GIN index if missing, ``CONCURRENTLY`` (no lock on writes; docs/SEARCH.md), and rebuilds it if an
earlier build failed and left it invalid."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from integrity_portal.core.pg_indexes import IndexBuildInProgress
from merchants.search import install_search_index
from merchants.services.search import search_columns_rebuild


class Command(BaseCommand):
    help = "Fill merchants' search columns in batches; optionally create the search index concurrently."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--only-missing", action="store_true", help="only rows whose search text is empty"
        )
        parser.add_argument(
            "--create-index",
            action="store_true",
            help="PostgreSQL: CREATE INDEX CONCURRENTLY if missing or left invalid by a failed build",
        )

    def handle(self, *args, batch_size=5000, only_missing=False, create_index=False, **options):
        started = time.perf_counter()
        written = search_columns_rebuild(batch_size=batch_size, only_missing=only_missing)
        self.stdout.write(f"search columns written: {written} ({time.perf_counter() - started:.1f} s)")
        if create_index:
            try:
                state = install_search_index(connection, concurrently=True)
            except IndexBuildInProgress as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                "search index: "
                + {
                    "present": "present",
                    "created": "created",
                    "rebuilt": "rebuilt (an earlier build had failed and left it invalid)",
                    None: "not PostgreSQL, nothing to do",
                }[state]
            )
