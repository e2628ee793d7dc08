"""The API's throttles, on the one rate-limit mechanism (``core.ratelimit``) and client identity
(``core.client``).

``CallerRateThrottle`` is the default for every endpoint: the ``anon`` rate for anonymous callers (by
client address) and the ``user`` rate for signed-in ones (by user id). DRF's ``AnonRateThrottle`` and
``UserRateThrottle`` both ran for an anonymous caller and each rewrote a pickled list of timestamps; this
is one fixed-window counter per caller, its hits sent to the cache in batches (``ratelimit.hit_batched``).

``ScopedClientThrottle`` is for the anonymous write endpoints that have an HTML twin (complaint submit,
tracking, objections): the view's ``throttle_scope`` rate, counted per client address and per whatever
the view adds in ``throttle_idents(request)`` (e.g. the phone number), with the same keys the HTML form
uses — one budget for both.

Neither ever reads ``X-Forwarded-For`` itself: the address is ``core.client`` 's, which trusts the header
only as far as ``TRUSTED_PROXY_COUNT`` says. When the cache is unreachable both admit the request and log it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from rest_framework.throttling import BaseThrottle

from . import ratelimit
from .client import client_ip, rate_key
from .ratelimit import parse_rate  # noqa: F401  (the rate format lives in core.ratelimit)


class ClientThrottleBase(BaseThrottle):
    timer = staticmethod(time.time)

    def get_ident(self, request) -> str:
        """DRF's hook, for any code that asks: the address ``core.client`` settled on."""
        return client_ip(request)

    #: How a hit is counted: ``ratelimit.hit`` (one round trip each) or ``ratelimit.hit_batched``.
    count = staticmethod(ratelimit.hit)

    def _decide(self, scope: str, idents: list[str]) -> bool:
        verdict = self.count(scope, idents, now=self.timer())
        self._wait = verdict.retry_after or None
        return verdict.allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class CallerRateThrottle(ClientThrottleBase):
    """``anon`` rate for anonymous callers, ``user`` rate for signed-in ones; Retry-After = end of window.

    Asked on every API request, so counted in batches (``ratelimit.hit_batched``): exact from an
    eighth of the limit on, one Redis round trip per process and fraction of a second below it."""

    count = staticmethod(ratelimit.hit_batched)
    anon_scope = "anon"
    user_scope = "user"

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return self._decide(self.user_scope, [f"user:{user.pk}"])
        return self._decide(self.anon_scope, [rate_key(request)])


class ScopedClientThrottle(ClientThrottleBase):
    """The view's ``throttle_scope`` per client address, plus the view's ``throttle_idents(request)``."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        idents = [rate_key(request)]
        extra = getattr(view, "throttle_idents", None)
        if extra is not None:
            idents.extend(extra(request))
        return self._decide(scope, idents)


def request_field(request, name: str) -> str:
    """A top-level text field of a DRF request body, "" when the body is not an object (``[]``, ``1``)."""
    data = request.data
    value = data.get(name) if isinstance(data, Mapping) else None
    return str(value).strip() if isinstance(value, (str, int)) else ""
