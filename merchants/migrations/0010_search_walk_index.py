"""The API's walk of the newest entities as an index-only scan: a B-tree on the id holding the search text.

Not atomic: PostgreSQL builds it ``CONCURRENTLY`` (the register stays writable during the upgrade). Nothing on
SQLite (docs/SEARCH.md). The post_migrate handler (``merchants.search.install_after_migrate``) creates the same
index whenever the search column exists, so reversing this migration alone leaves it in place."""

from django.db import migrations


def add_index(apps, schema_editor):
    from merchants.search import install_search_index

    install_search_index(schema_editor.connection, concurrently=True)


def drop_index(apps, schema_editor):
    from merchants.search import WALK_INDEX

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {WALK_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("merchants", "0009_ratingpolicy_market_counts_stalls_and_more")]

    operations = [migrations.RunPython(add_index, drop_index, elidable=False)]
