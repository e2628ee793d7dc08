"""The API throttle rates (``complaint_submit``, ``tracking``) applied to the HTML forms, via the cache.

Keys are per client IP and per phone number, in fixed windows, so neither a
single address nor a single phone can flood the intake or probe tracking codes.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


def _rate(scope: str) -> tuple[int, int]:
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    return SimpleRateThrottle.parse_rate(None, rate)


def _keys(scope: str, idents: list[str]) -> list[str]:
    _limit, window = _rate(scope)
    bucket = int(time.time() // window)
    out = []
    for ident in idents:
        if not ident or ident.endswith(":"):
            continue
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        out.append(f"complaints:rl:{scope}:{bucket}:{digest}")
    return out


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def exceeded(scope: str, idents: list[str]) -> bool:
    limit, _window = _rate(scope)
    return any((cache.get(key) or 0) >= limit for key in _keys(scope, idents))


def record(scope: str, idents: list[str]) -> None:
    _limit, window = _rate(scope)
    for key in _keys(scope, idents):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)
