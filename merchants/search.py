"""The register's search text: how names, former names and addresses are normalised and indexed.

Two derived columns of ``Merchant`` hold the text searches read (docs/SEARCH.md):

* ``search_name`` — the normalised name: exact and prefix matches, the top of the relevance order, through
  a B-tree ``varchar_pattern_ops`` index (``LIKE 'q%'``);
* ``search_text`` — the normalised name, former names and address, one per line: "contains" matches.

On PostgreSQL ``search_text`` is indexed by a GIN index over the array of its character unigrams and bigrams
(``merchant_search_grams(search_text)``). Chinese queries are mostly one or two characters, which pg_trgm
cannot index; every substring of two characters or more contains all of its bigrams, so containment of the
query's bigrams (a one-character query: its unigram) finds every candidate and ``LIKE '%q%'`` on the few
candidates drops the false positives of longer queries. No extension is needed.

Both columns are written by ``Merchant.save`` (so ``merchant_save``'s ``update_fields`` saves include them
whenever a source field changes), by bulk seeding (``merchant_fill_search``) and for existing rows by
``manage.py rebuild_search_index``. The function and index are created by the migration (concurrently) and,
because tests run with --nomigrations, by a post_migrate handler (idempotent, ``IF NOT EXISTS``).
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager

from integrity_portal.core.pg_indexes import index_drop_if_invalid, index_state

#: Sources of the derived columns: a save writing any of them writes the search columns too.
SEARCH_SOURCE_FIELDS = frozenset({"name", "former_names", "address"})
SEARCH_FIELDS = ("search_name", "search_text")
SEARCH_NAME_MAX = 120

GRAMS_FUNCTION = "merchant_search_grams"
GRAMS_INDEX = "merchant_search_grams_gin"

# Unigrams and bigrams of the text, from built-in C functions only (about 30 µs a
# row, where a generate_series/array_agg body took 190 µs and made bulk inserts crawl): the bigrams starting at
# even positions, those starting at odd positions, and every character. The array also holds a few harmless
# extra keys (an empty string, a last lone character, pairs across the line breaks between name, former names
# and address — a query never contains a line break); GIN removes duplicates. IMMUTABLE: an index
# expression. Python's ``query_grams`` asks only for keys this produces. STRICT over a non-strict body keeps
# PostgreSQL from inlining it, so its COST counts: the planner knows that evaluating it row by row (a scan
# of the table) is dear and reads the GIN index instead, whatever its row estimate for a common word.
GRAMS_FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION merchant_search_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
  SELECT string_to_array(
           regexp_replace(t, '(..)', '\1 ', 'g') || ' ' || regexp_replace(substr(t, 2), '(..)', '\1 ', 'g'), ' '
         ) || regexp_split_to_array(t, '')
$$
"""


def grams_index_sql(table: str, *, concurrently: bool = False) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f'CREATE INDEX {how}IF NOT EXISTS {GRAMS_INDEX} ON "{table}" '
        # The pending list takes bulk inserts (seeding, imports) in batches; kept small, so a search scans
        # little of it before VACUUM or the next insert merges it into the tree.
        f"USING gin ({GRAMS_FUNCTION}(search_text)) WITH (fastupdate = on, gin_pending_list_limit = 512)"
    )


# Whitespace, C0/C1 controls, soft hyphen, zero-width and direction marks, BOM, lone surrogates.
_DROP = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")


def normalise(value: str | None) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, no whitespace or control characters.

    Used for the stored text and the query alike, so ``ＫＦＣ 五金`` finds ``kfc五金``; removing whitespace also
    removes NUL and line breaks from a query (PostgreSQL refuses NUL in text). Most text is already NFKC, which
    is checked without building a copy (seeding 140k entities calls this 280k times)."""
    text = value or ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _DROP.sub("", text.lower())


def search_columns(*, name: str, former_names: str, address: str) -> tuple[str, str]:
    """(search_name, search_text) for these register facts; former names are one per line."""
    search_name = normalise(name)[:SEARCH_NAME_MAX]
    lines = [
        search_name,
        *(normalise(line) for line in (former_names or "").splitlines()),
        normalise(address),
    ]
    return search_name, "\n".join(line for line in lines if line)


def merchant_fill_search(merchant) -> None:
    """Set ``merchant``'s search columns from its name, former names and address (no save)."""
    merchant.search_name, merchant.search_text = search_columns(
        name=merchant.name, former_names=merchant.former_names, address=merchant.address
    )


def query_grams(query: str) -> list[str]:
    """The grams a normalised query's matches all contain: its bigrams, or the character of a 1-char query."""
    if len(query) == 1:
        return [query]
    return sorted({query[i : i + 2] for i in range(len(query) - 1)})


def former_names_with(former_names: str, old_name: str) -> str:
    """The former names with ``old_name`` added (a renamed entity keeps being found under its old name)."""
    names = [line.strip() for line in (former_names or "").splitlines() if line.strip()]
    old = (old_name or "").strip()
    if old and old not in names:
        names.append(old)
    return "\n".join(names)


def install_search_index(connection, *, concurrently: bool = False) -> str | None:
    """Create the grams function and GIN index on PostgreSQL if missing; a no-op elsewhere (``None``).

    Returns ``"present"`` (a valid index was there), ``"created"``, or ``"rebuilt"``: an earlier concurrent build
    had failed and left an invalid index, which ``IF NOT EXISTS`` alone would keep (searches would scan the
    table); it is dropped and built again (``core.pg_indexes``)."""
    if connection.vendor != "postgresql":
        return None
    from .models import Merchant

    table = Merchant._meta.db_table
    if table not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        if "search_text" not in columns:  # a migrate that stopped before the migration adding the column
            return None
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = %s", [GRAMS_FUNCTION])
        if cursor.fetchone() is None:
            cursor.execute(GRAMS_FUNCTION_SQL)
    rebuilt = index_drop_if_invalid(connection, GRAMS_INDEX, concurrently=concurrently)
    present = not rebuilt and index_state(connection, GRAMS_INDEX) == "valid"
    if not present:
        with connection.cursor() as cursor:
            cursor.execute(grams_index_sql(table, concurrently=concurrently))
    return "rebuilt" if rebuilt else "present" if present else "created"


@contextmanager
def search_index_deferred(connection, *, enabled: bool = True):
    """Drop the GIN grams index for a bulk load and build it once afterwards (PostgreSQL; demo seeding).

    Building the index over 140k rows takes seconds; maintaining it row by row during ``bulk_create`` took
    minutes. Not for production writes: searches scan the table while the index is missing."""
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {GRAMS_INDEX}")
    try:
        yield
    finally:
        install_search_index(connection)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate handler (also fires after the --nomigrations syncdb of the tests). An index that another
    session is building (a second ``migrate`` at the same time) is left to it, with a warning, instead of
    stopping this ``migrate`` after its migrations have been applied."""
    import logging

    from django.db import connections

    from integrity_portal.core.pg_indexes import IndexBuildInProgress

    try:
        install_search_index(connections[using])
    except IndexBuildInProgress as exc:
        logging.getLogger(__name__).warning("%s", exc)
