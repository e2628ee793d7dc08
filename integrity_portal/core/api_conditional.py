"""``ETag`` and ``Last-Modified`` on the public API's answers, and 304 for a client whose copy is current.

The ETag is a digest of the body itself, so it is right by construction: any change a client could see —
a register edit, a new rating, a black-list entry coming into force, a renamed district — changes the body
and so the ETag, whatever write caused it. Hashing a page of 50 rows costs microseconds; the body usually
comes rendered from the public page cache (``core.public_cache``).

``Last-Modified`` must never go backwards while the body changes (a client sending ``If-Modified-Since``
would be told its old copy is current). It is the time this URL's body was first seen with its current
digest, kept per URL in the cache as ``(digest, time)``: the same body keeps its time, a new body gets now —
at least one second after the previous time, since HTTP dates have whole seconds. If the record is evicted
the time moves forward, which costs a client one full download and is never wrong. ``If-None-Match`` takes
precedence over ``If-Modified-Since`` (RFC 9110 §13.2.2; ``django.utils.cache.get_conditional_response``).
"""

from __future__ import annotations

import functools
import hashlib

from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from .public_cache import public_cache_key

LAST_MODIFIED_TTL = 24 * 3600  # an evicted record only moves Last-Modified forward
#: The request headers that can make ``get_conditional_response`` answer anything but the response itself.
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


@functools.lru_cache(maxsize=256)
def _http_date(seconds: int) -> str:
    """``http_date`` of a whole second, kept: many answers in a row carry the same second (~30 µs each)."""
    return http_date(seconds)


def body_etag(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def last_modified_for(key: str, etag: str) -> int:
    """Seconds since the epoch at which ``key`` first answered with ``etag`` (see the module docstring)."""
    # The portal's cache answers a miss when Redis is down (core/cache.py): the time then moves forward.
    seen = cache.get(key)
    if seen is not None and seen[0] == etag:
        return int(seen[1])
    now = int(timezone.now().timestamp())
    if seen is not None and seen[1] >= now:
        now = int(seen[1]) + 1
    cache.set(key, (etag, now), LAST_MODIFIED_TTL)
    return now


class ConditionalGetMixin:
    """For REST framework views that answer anonymous GETs the same for everyone (open data)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        etag = body_etag(response.content)
        recorded = getattr(request, "record_last_modified", True)
        if recorded:
            # The parameters as the view read them (the merchants list drops unknown ones first, so a random
            # query string adds no record).
            key = public_cache_key(
                "lastmod", request.get_host(), request.path, request.query_params.urlencode(),
                response.get("Content-Type", ""),
            )
            last_modified = last_modified_for(key, etag)
        else:
            # An answer the view expects no one to ask for again (a search asked for the first time): no
            # record is read or written. "Now" is sent, but If-Modified-Since is not answered from it (a record
            # of the same URL may hold a later time): only If-None-Match can give 304, so a client's copy is
            # never wrongly called current — at worst it downloads the answer again.
            last_modified = int(timezone.now().timestamp())
        response["ETag"] = etag
        response["Last-Modified"] = _http_date(last_modified)
        meta = request._request.META
        if not any(name in meta for name in CONDITIONAL_HEADERS):
            return response  # nothing to compare: what get_conditional_response answers, without parsing
        return get_conditional_response(
            request._request, etag=etag, last_modified=last_modified if recorded else None, response=response
        )
