"""The signed-in user's inbox and notice settings in the merchant portal (/portal/inbox/).

Every read goes through a selector scoped to the viewer (their own rows only; another user's notice is
a 404), every write through services_inbox. The staff inbox in the admin is views_admin.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from integrity_portal.core.errors import DomainError, NotFound

from .selectors import inbox_notices, inbox_unread_count, notice_settings
from .services_inbox import inbox_mark_all_read, inbox_mark_read, notice_settings_save

PAGE_SIZE = 20


def inbox_page(request, *, template: str, extra: dict | None = None):
    """The viewer's notices, paginated, newest first (shared by the portal and the admin page)."""
    page = Paginator(inbox_notices(viewer=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    request._inbox_unread = unread = inbox_unread_count(viewer=request.user)  # the header's tag reuses it
    context = {"page": page, "unread": unread, "param": "page", **(extra or {})}
    return render(request, template, context)


def back(request, default: str):
    """Where a mark-read form returns to: its ``next`` when it is on this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def mark_read(request, pk: int) -> None:
    try:
        inbox_mark_read(user=request.user, notice_id=pk)
    except NotFound:
        raise Http404 from None


@never_cache
@login_required
def inbox(request):
    return inbox_page(request, template="notifications/portal_inbox.html")


@login_required
@require_POST
def read(request, pk: int):
    mark_read(request, pk)
    return back(request, "inbox:list")


@login_required
@require_POST
def read_all(request):
    n = inbox_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
    return back(request, "inbox:list")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        choices = {
            key.removeprefix("kind:"): request.POST.getlist(key)
            for key in request.POST
            if key.startswith("kind:")
        }
        try:
            notice_settings_save(
                user=request.user,
                language=request.POST.get("language", ""),
                phone=request.POST.get("phone", ""),
                choices=choices,
                actor=request.user,
            )
        except DomainError as exc:
            errors.append(exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("inbox:preferences")
    profile, kinds = notice_settings(viewer=request.user)
    context = {
        "profile": profile,
        "kinds": kinds,
        "errors": errors,
        "language": (profile.language if profile else "") or request.LANGUAGE_CODE,
    }
    return render(request, "notifications/portal_preferences.html", context, status=status)
