"""The public page cache: anonymous pages and open-data answers cached under one version number.

Any change a visitor could see bumps the version (rating recompute, register saves, appeals, replies,
region edits…), so every cached answer goes stale at once and a hit costs no query. The TTL bounds what a
change made outside those writes can leave. It lives in core because every app's public answers share it
and the read-replica router (``core.db_router``) watches the same version key.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

PUBLIC_PAGES_VERSION_KEY = "public:pages:version"
PUBLIC_PAGES_TTL = 60
#: How long a process goes on with the version it last read, where a render needs the version but not the
#: stored answer (``public_pages_version_recent``): a change made by another process shows within this.
PUBLIC_VERSION_RECENT_SECONDS = 0.5

#: The version this process last read from the cache, and when (``time.monotonic()``).
_recent: list = [None, 0.0]


def _remember(version) -> None:
    _recent[0], _recent[1] = int(version), time.monotonic()


def public_pages_version() -> int:
    version = cache.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        cache.add(PUBLIC_PAGES_VERSION_KEY, 1, None)
        version = cache.get(PUBLIC_PAGES_VERSION_KEY, 1)
    _remember(version)
    return int(version)


def public_pages_version_recent() -> int:
    """The version as this process read it at most ``PUBLIC_VERSION_RECENT_SECONDS`` ago (else read now).

    For a render whose answer is not looked up in the cache (a search asked for the first time in this
    process: ``merchants.views.public._serve_cached``) but which keys what it builds by the version: the
    round trip to the cache is saved on every such request, at the price of another process's change showing
    up to half a second later in what is keyed by it. A change made in this process shows at once."""
    version, read_at = _recent
    if version is None or time.monotonic() - read_at > PUBLIC_VERSION_RECENT_SECONDS:
        return public_pages_version()
    return version


def public_pages_changed() -> None:
    """Invalidate every cached public page and open-data answer (call after the change is committed)."""
    _recent[0] = None  # this process reads the new version at its next render
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
    _remember(version)
    stored = values.get(key)
    if stored is not None and stored[0] == version:
        return int(version), stored[1]
    return int(version), None


def public_cache_set(key: str, version: int, answer) -> None:
    """Store an answer rendered under ``version`` (as returned by ``public_cache_get`` before rendering)."""
    cache.set(key, (version, answer), PUBLIC_PAGES_TTL)
