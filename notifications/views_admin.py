"""The staff inbox in the admin (/admin/inbox/): the notices addressed to the signed-in staff member —
items assigned to them, items due tomorrow, overdue escalations. Their own rows only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .services_inbox import inbox_mark_all_read
from .views_portal import back, inbox_page, mark_read


@never_cache
@require_http_methods(["GET", "POST"])
def staff_inbox(request):
    """GET: the list. POST ``read=<id>`` marks one read, ``read_all`` every one (CSRF-checked); another
    user's notice is a 404."""
    if request.method == "POST":
        if "read_all" in request.POST:
            inbox_mark_all_read(user=request.user)
        else:
            pk = request.POST.get("read", "")
            mark_read(request, int(pk) if pk.isascii() and pk.isdigit() else 0)  # "²".isdigit() is True
        return back(request, "admin-inbox")
    extra = {**admin.site.each_context(request), "title": _("我的站内信")}
    return inbox_page(request, template="notifications/admin_inbox.html", extra=extra)
