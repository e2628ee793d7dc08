"""The public page cache: anonymous pages and open-data answers cached under one version number.

Any change a visitor could see bumps the version (rating recompute, register saves, appeals, replies,
region edits…), so every cached answer goes stale at once and a hit costs no query. The TTL bounds what a
change made outside those writes can leave. It lives in core because every app's public answers share it
and the read-replica router (``core.db_router``) watches the same version key.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

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


#: Answers asked for recently in this process: key -> (first asked, times). Bounded; the oldest go first.
_ASKED: OrderedDict[str, tuple[float, int]] = OrderedDict()
_ASKED_MAX = 20_000
_ASKED_LOCK = threading.Lock()


def public_cache_asked(key: str) -> int:
    """How many times this process was asked for ``key`` within the TTL, this request included.

    The admission filter of ``public_cache_lookup``: counted per process, not in the cache — a Redis round
    trip on every uncached search cost more than it saved (docs/BENCHMARKS.md §7), and an answer asked for
    often reaches the count in every worker soon enough (at most ``admit_after`` requests per worker)."""
    now = time.monotonic()
    with _ASKED_LOCK:  # shared by the threads of a threaded server
        first, times = _ASKED.pop(key, (now, 0))
        if now - first > PUBLIC_PAGES_TTL:
            first, times = now, 0
        times += 1
        _ASKED[key] = (first, times)
        while len(_ASKED) > _ASKED_MAX:
            _ASKED.popitem(last=False)
    return times


def public_cache_lookup(key: str, *, admit_after: int = 1) -> tuple[int, object | None, bool]:
    """``(version, stored answer or None, store the fresh answer?)`` for a public answer about to be served.

    ``admit_after`` > 1 is for an unbounded key space (free-text searches): an answer is stored only once this
    process was asked for it that many times within the TTL, so one-off searches do not push the popular
    pages out of the shared cache; and an answer this process is asked for the first time is not looked up at
    all — almost every search is asked once, so this saves the cache's round trip on nearly every one. It is
    rendered with the version this process read at most ``PUBLIC_VERSION_RECENT_SECONDS`` ago. An answer
    another worker stored is read from this process's second request for it on."""
    asked = public_cache_asked(key) if admit_after > 1 else 1
    if asked == 1 and admit_after > 1:
        return public_pages_version_recent(), None, False
    version, hit = public_cache_get(key)
    return version, hit, asked >= admit_after
