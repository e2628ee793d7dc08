"""The public page cache: anonymous pages and open-data answers cached under one version number.

Any change a visitor could see bumps the version (rating recompute, register saves, appeals, replies,
region edits…), so every cached answer goes stale at once and a hit costs no query. The TTL bounds what a
change made outside those writes can leave. It lives in core because every app's public answers share it
and the read-replica router (``core.db_router``) watches the same version key.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

PUBLIC_PAGES_VERSION_KEY = "public:pages:version"
PUBLIC_PAGES_TTL = 60


def public_pages_version() -> int:
    version = cache.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        cache.add(PUBLIC_PAGES_VERSION_KEY, 1, None)
        version = cache.get(PUBLIC_PAGES_VERSION_KEY, 1)
    return int(version)


def public_pages_changed() -> None:
    """Invalidate every cached public page and open-data answer (call after the change is committed)."""
    try:
        cache.incr(PUBLIC_PAGES_VERSION_KEY)
    except ValueError:
        cache.add(PUBLIC_PAGES_VERSION_KEY, 2, None)


def public_cache_key(kind: str, *parts: str) -> str:
    """A cache key for one public answer (parts: path, language, host…); the version is stored in the value."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"public:{kind}:{digest}"


def public_cache_get(key: str) -> tuple[int, object | None]:
    """The current version and the answer stored under ``key`` if it was stored under that version.

    Version and answer are read together (one round trip on Redis); an answer stored before the last bump,
    or by a render that began before it, is a miss.
    """
    values = cache.get_many([PUBLIC_PAGES_VERSION_KEY, key])
    version = values.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        return public_pages_version(), None
    stored = values.get(key)
    if stored is not None and stored[0] == version:
        return int(version), stored[1]
    return int(version), None


def public_cache_set(key: str, version: int, answer) -> None:
    """Store an answer rendered under ``version`` (as returned by ``public_cache_get`` before rendering)."""
    cache.set(key, (version, answer), PUBLIC_PAGES_TTL)
