"""Idle timeout for staff sessions: a bureau PC left unlocked must not stay signed in."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout


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
