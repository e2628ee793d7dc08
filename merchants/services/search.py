"""Backfill of the register's derived search columns (``merchants.search``)."""

from __future__ import annotations

from django.db import transaction

from ..models import Merchant
from ..search import SEARCH_FIELDS, search_columns


def search_columns_rebuild(*, batch_size: int = 5000, only_missing: bool = False) -> int:
    """Recompute ``search_name`` / ``search_text`` of every merchant, in primary-key batches, writing only the
    rows whose columns differ; returns how many were written.

    For rows that existed before the columns did (the migration adds them empty) and after a change of
    ``merchants.search.normalise``. Derived data: no audit entry, no history row (both columns are excluded
    from the history). Each batch is its own short transaction, so the command never holds many row locks;
    a merchant saved meanwhile gets its columns from ``Merchant.save`` and is left as it is (equal values).
    """
    written = 0
    last = 0
    columns = ("id", "name", "former_names", "address", *SEARCH_FIELDS)
    while True:
        rows = list(Merchant.objects.filter(pk__gt=last).order_by("pk").values_list(*columns)[:batch_size])
        if not rows:
            return written
        last = rows[-1][0]
        stale = []
        for pk, name, former, address, search_name, search_text in rows:
            if only_missing and search_text:
                continue
            fresh = search_columns(name=name, former_names=former, address=address)
            if fresh != (search_name, search_text):
                stale.append(Merchant(pk=pk, search_name=fresh[0], search_text=fresh[1]))
        if stale:
            with transaction.atomic():
                Merchant.objects.bulk_update(stale, SEARCH_FIELDS, batch_size=1000)
            written += len(stale)
