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


# Pages and open data anyone may read without signing in and that show no personal data. Complaint pages
# (submission, tracking, statistics) are not here: they carry personal data or expect to read what the
# visitor has just written.
PUBLIC_READ_PREFIXES = (
    "/merchants/",
    "/lists/",
    "/verify/",
    "/notices/",
    "/api/v1/merchants/",
    "/api/v1/regions/",
    "/api/v1/lists/",
    "/api/v1/commendations/",
)
PUBLIC_READ_PATHS = frozenset({"/"})


def is_public_read(request) -> bool:
    """A GET or HEAD of a public page by a visitor without a session, a user or API credentials."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.path_info
    if path not in PUBLIC_READ_PATHS and not path.startswith(PUBLIC_READ_PREFIXES):
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
