"""Anonymous public reads on a PostgreSQL streaming replica; everything else on the primary.

Enabled by ``DATABASE_REPLICA_URL`` (see settings and docs/SCALING.md). A request is marked as a public read
by ``core.middleware.PublicReadReplicaMiddleware`` through a ``ContextVar``, so the mark never outlives the
request and never reaches another thread, a Celery worker or a management command: those read the
primary, as do staff, merchants and anyone else with a session, so people always read their own writes.

Replica lag against the public page cache: pages are cached under the public pages version that services
bump after commit. A page rendered from a lagging replica just after a bump would be stored under the new
version with old rows for the whole TTL. So the first public read of a request looks at that version: for
``REPLICA_MAX_LAG_SECONDS`` after a version is first seen, public reads go to the primary too. The moment
a version is first seen is recorded in the cache next to it, shared by every web host.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from .public_cache import PUBLIC_PAGES_VERSION_KEY

REPLICA_DB_ALIAS = "replica"

REPLICA_FENCE_KEY = "public:pages:replica_fence"


@dataclass
class _PublicRead:
    alias: str | None = None


_public_read: ContextVar[_PublicRead | None] = ContextVar("public_read", default=None)


@contextmanager
def public_read() -> Iterator[None]:
    """Mark the code inside as an anonymous public read (the middleware wraps qualifying requests in it)."""
    token = _public_read.set(_PublicRead())
    try:
        yield
    finally:
        _public_read.reset(token)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


def replica_settled(now: float | None = None) -> bool:
    """False while the current public pages version is younger than the replica's assumed lag.

    The first caller to see a new version records when it saw it; that is never earlier than the bump,
    which services make after commit, so rows committed before the bump have reached the replica when the
    window ends. With the cache down there is no version and no page cache to poison: the replica is used.
    """
    window = settings.REPLICA_MAX_LAG_SECONDS
    if window <= 0:
        return True
    now = time.time() if now is None else now
    values = cache.get_many([PUBLIC_PAGES_VERSION_KEY, REPLICA_FENCE_KEY])
    version = values.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        return True
    fence = values.get(REPLICA_FENCE_KEY)
    if not fence or fence[0] != version:
        cache.set(REPLICA_FENCE_KEY, (version, now), None)
        return False
    return now - fence[1] >= window


class PublicReadReplicaRouter:
    """Reads go to the replica only inside a public read, once the replica has caught up with the last
    public pages version, and never inside a transaction or after a write in the same request."""

    def db_for_read(self, model, **hints):
        state = _public_read.get()
        if state is None or not replica_configured():
            return DEFAULT_DB_ALIAS
        if state.alias is None:
            state.alias = REPLICA_DB_ALIAS if replica_settled() else DEFAULT_DB_ALIAS
        if state.alias == REPLICA_DB_ALIAS and connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return state.alias

    def db_for_write(self, model, **hints):
        state = _public_read.get()
        if state is not None:
            state.alias = DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
