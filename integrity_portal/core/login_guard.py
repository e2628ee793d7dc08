"""Sign-in protection that cannot be turned into a weapon against staff.

django-axes locks on the *pair* (username, client address) (``AXES_LOCKOUT_PARAMETERS``): five wrong
passwords for "clerk" from address A lock "clerk" at A for the cool-off time, and nobody else — not
"clerk" at another address, not a colleague behind the same NAT at A.

The username alone gets a growing delay instead of a lock. Every wrong password for a username is
counted (``core.ratelimit`` back-off, across all addresses); past ``AXES_FAILURE_LIMIT`` of them, an
attempt *from an address that has already failed for that username* is admitted only once per 2^k
seconds after the latest failure (k = failures beyond the limit, at most ``LOGIN_BACKOFF_MAX_SECONDS``),
and refused with "try again in N s" before the password is checked. An address that has never failed
for that username is not delayed, so the account's owner signing in from their own desk is never
refused by somebody else's guessing. An attacker therefore gets one guess per fresh address and,
from addresses already used, a rate that halves with every miss.

A refused attempt is not counted as a failure (the password was not checked). A successful sign-in
clears the username's count. The address is ``core.client.client_ip`` (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials, get_failure_limit
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from . import ratelimit

SCOPE = "login-username"
_COUNT_TTL = 24 * 3600


def _ident(username) -> str:
    return str(username or "").casefold()


class LoginGuardHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        request.login_guard_refused = False
        request.login_guard_wait = 0
        failures = self.get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if settings.AXES_LOCK_OUT_AT_FAILURE and failures >= limit:
            request.login_guard_refused = True
            return True
        username = get_client_username(request, credentials)
        if not username or failures == 0:
            return False
        wait = ratelimit.backoff_wait(
            SCOPE, _ident(username), free=limit, cap=settings.LOGIN_BACKOFF_MAX_SECONDS
        )
        if wait:
            request.login_guard_refused = True
            request.login_guard_wait = wait
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and getattr(request, "login_guard_wait", 0):
            # Refused by the username back-off: no password was checked, nothing to count.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return
        refused = bool(getattr(request, "login_guard_refused", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        username = get_client_username(request, credentials) if request is not None else None
        if username and not refused:
            ratelimit.backoff_fail(SCOPE, _ident(username), ttl=_COUNT_TTL)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        ratelimit.backoff_reset(SCOPE, _ident(user.get_username()))


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with Retry-After; the page says how long, and never echoes input."""
    wait = int(getattr(request, "login_guard_wait", 0) or 0)
    cool_off = get_cool_off(request)
    cool_off_seconds = int(cool_off.total_seconds()) if cool_off else 0
    context = {
        "retry_after": wait,
        "cooloff_minutes": max(cool_off_seconds // 60, 1) if cool_off_seconds else 0,
        "failure_limit": get_failure_limit(request, credentials or get_credentials()),
    }
    if request.META.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest":
        response = JsonResponse(context, status=429)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    if wait or cool_off_seconds:
        response["Retry-After"] = str(wait or cool_off_seconds)
    return response


#: django-axes stores the username in a 255-character column; Django's sign-in forms do not enforce the
#: field's max_length, so any length reached it.
AXES_USERNAME_MAX = 150


def axes_username(request, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the submitted username as axes would take it, without NUL and cut to 150.

    A 100,000-character username on /accounts/login/ or /admin/login/ made PostgreSQL refuse the attempt
    row ("value too long", a 500). No account has a longer name (User.username is 150), so cutting changes
    nothing for a real one; the back-off and lockout still count every attempt."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", None) or getattr(request, "POST", {})
        value = value.get(field) if hasattr(value, "get") else None
    if value is None:
        return None
    return str(value).replace("\x00", "")[:AXES_USERNAME_MAX]
