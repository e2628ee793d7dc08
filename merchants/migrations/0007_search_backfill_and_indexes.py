"""Fill the search columns of existing merchants, then build the search indexes without locking writes.

Not atomic: PostgreSQL builds both indexes ``CONCURRENTLY`` (a bureau's register stays writable during
the upgrade), and the backfill commits batch by batch. Rerun after a failure, it rebuilds an index the
failed build left invalid and keeps one that was finished. On SQLite the name index is an ordinary index and
there is no grams index (docs/SEARCH.md). ``manage.py rebuild_search_index`` does the same backfill by hand.
"""

from django.db import migrations, models

BATCH = 2000
NAME_INDEX = models.Index(
    fields=["search_name"], name="merchant_search_name_idx", opclasses=["varchar_pattern_ops"]
)


def backfill(apps, schema_editor):
    from merchants.search import search_columns

    Merchant = apps.get_model("merchants", "Merchant")
    last = 0
    while True:
        rows = list(
            Merchant.objects.using(schema_editor.connection.alias)
            .filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "name", "former_names", "address")[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            row.search_name, row.search_text = search_columns(
                name=row.name, former_names=row.former_names, address=row.address
            )
        Merchant.objects.using(schema_editor.connection.alias).bulk_update(
            rows, ["search_name", "search_text"]
        )
        last = rows[-1].pk


def add_indexes(apps, schema_editor):
    from integrity_portal.core.pg_indexes import index_drop_if_invalid, index_state
    from merchants.search import install_search_index

    Merchant = apps.get_model("merchants", "Merchant")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # A rerun after a failed concurrent build: an invalid leftover is dropped and built again, a valid
        # index from the part that succeeded is kept (core/pg_indexes.py).
        index_drop_if_invalid(connection, NAME_INDEX.name, concurrently=True)
        if index_state(connection, NAME_INDEX.name) is None:
            schema_editor.add_index(Merchant, NAME_INDEX, concurrently=True)
        install_search_index(connection, concurrently=True)
    else:
        schema_editor.add_index(Merchant, NAME_INDEX)


def drop_indexes(apps, schema_editor):
    from merchants.search import GRAMS_FUNCTION, GRAMS_INDEX

    Merchant = apps.get_model("merchants", "Merchant")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(Merchant, NAME_INDEX, concurrently=True)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {GRAMS_INDEX}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {GRAMS_FUNCTION}(text)")
    else:
        schema_editor.remove_index(Merchant, NAME_INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("merchants", "0006_open_data_former_names_search_columns"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="merchant", index=NAME_INDEX)],
            database_operations=[migrations.RunPython(add_indexes, drop_indexes)],
        ),
    ]
