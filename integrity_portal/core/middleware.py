"""Idle timeout for staff sessions (a bureau PC left unlocked must not stay signed in), and the mark
that lets anonymous public reads use the read replica."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

from .db_router import public_read


class StaffSessionTimeoutMiddleware:
    KEY = "_staff_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
            else:
                request.session[self.KEY] = now
        return self.get_response(request)


# Pages and open data anyone may read without signing in and that show no personal data, contributed by
# each app in ``AppConfig.ready()`` (core names no app). Pages that carry personal data or expect to read
# what the visitor has just written (complaint submission, tracking, statistics) are never registered.
_public_reads: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}


def register_public_reads(app: str, *, prefixes: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> None:
    """URL prefixes and exact paths of ``app`` whose anonymous GETs may be served from the read replica.
    Registering again replaces the app's entry."""
    _public_reads[app] = (tuple(prefixes), frozenset(paths))


def public_read_prefixes() -> tuple[str, ...]:
    return tuple(prefix for prefixes, _paths in _public_reads.values() for prefix in prefixes)


def public_read_paths() -> frozenset[str]:
    return frozenset().union(*(paths for _prefixes, paths in _public_reads.values()))


def is_public_read(request) -> bool:
    """A GET or HEAD of a public page by a visitor without a session, a user or API credentials."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.path_info
    if path not in public_read_paths() and not path.startswith(public_read_prefixes()):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


class PublicReadReplicaMiddleware:
    """Installed only with ``DATABASE_REPLICA_URL``, after the authentication middleware; see core.db_router."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        with public_read():
            return self.get_response(request)


class HealthzMiddleware:
    """Answers ``/healthz/`` before anything validates the Host header.

    The compose healthcheck (and a load balancer) asks from inside the container, as
    ``http://127.0.0.1:8000/healthz/``; with the real domain in ``ALLOWED_HOSTS`` CommonMiddleware
    would answer that 400, web would never become healthy and nothing depending on it would start.
    Sending a guessed ``Host:`` breaks as soon as ALLOWED_HOSTS starts with a wildcard or changes,
    and adding ``localhost`` to ALLOWED_HOSTS would accept that host for every page. So only this
    one path skips the check: liveness reads nothing from the request (no host, no body, no
    session), builds no absolute URL and is never cached, so a forged Host cannot poison anything.
    It sits after the security, CSP and static middleware (their headers still apply) and adds the
    X-Frame-Options header itself, since the clickjacking middleware comes after CommonMiddleware.
    """

    PATH = "/healthz/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == self.PATH and request.method in ("GET", "HEAD"):
            from django.middleware.clickjacking import XFrameOptionsMiddleware

            from .views import healthz

            return XFrameOptionsMiddleware(healthz)(request)
        return self.get_response(request)
