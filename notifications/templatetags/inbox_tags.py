"""The header's unread count: one indexed count per request, remembered on the request (a page that
shows it twice, or a header and a list, does not count twice)."""

from __future__ import annotations

from django import template

from ..selectors import inbox_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if not getattr(user, "is_authenticated", False):
        return 0
    if request is None:
        return inbox_unread_count(viewer=user)
    if not hasattr(request, "_inbox_unread"):
        request._inbox_unread = inbox_unread_count(viewer=user)
    return request._inbox_unread
