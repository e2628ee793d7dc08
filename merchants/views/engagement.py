"""Public pages of the role-model library and of following a merchant by e-mail (issue #19 items 6, 7).

No personal data leaves these views: a story is about a business; the follow pages say the same thing
whether or not an address already follows, and never show an address.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrity_portal.core.client import rate_key
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.uploads import served_type

from ..filters.register import region_choices
from ..regions import region_exists
from ..selectors.engagement import public_role_model, public_role_models, role_models_for_staff
from ..selectors.register import public_merchant_or_404
from ..services.follow import (
    FollowLinkInvalid,
    FollowRateLimited,
    follower_confirm,
    follower_for_confirm_token,
    follower_for_unsubscribe_token,
    follower_request,
    follower_unsubscribe,
)
from .public import cached_public_page


@cached_public_page(params=("region", "page"))
def role_models(request):
    region = request.GET.get("region") or None
    if region and not region_exists(region):
        region = None  # an unknown code shows the whole library, like the lists
    page = Paginator(public_role_models(region_code=region), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "merchants/role_models.html",
        {"page": page, "region": region, "region_choices": region_choices()},
    )


def role_model_photo(request, pk: int):
    """A published story's photo (inline: it was checked as a JPEG/PNG by content on upload); staff of the
    region also see the photo of a story not yet published (the admin's preview)."""
    story = public_role_model(pk)
    if story is None and request.user.is_authenticated and request.user.is_staff:
        story = role_models_for_staff(request.user).filter(pk=pk).first()
    if story is None or not story.photo:
        raise Http404
    content_type, _ext = served_type(story.photo.name)
    response = FileResponse(story.photo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def follow(request, pk: int):
    """The follow form on a merchant's profile. The answer never tells whether the address follows."""
    merchant = public_merchant_or_404(pk)
    email = (request.POST.get("email") or "").strip()
    try:
        follower_request(
            merchant=merchant, email=email, client_key=rate_key(request), language=get_language() or ""
        )
    except ValidationFailed as exc:
        return render(
            request,
            "merchants/follow_message.html",
            {"merchant": merchant, "error": exc.message, "email": email, "show_form": True},
            status=400,
        )
    except FollowRateLimited as exc:
        return render(
            request, "merchants/follow_message.html", {"merchant": merchant, "error": exc.message}, status=429
        )
    return render(request, "merchants/follow_message.html", {"merchant": merchant, "sent": True})


def _invalid(request, exc):
    return render(request, "merchants/follow_message.html", {"invalid": exc.message}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def follow_confirm(request, token: str):
    """GET shows a button (mail scanners that open links confirm nothing); POST confirms."""
    try:
        follower = (
            follower_for_confirm_token(token) if request.method == "GET" else follower_confirm(token=token)
        )
    except FollowLinkInvalid as exc:
        return _invalid(request, exc)
    context = {"merchant": follower.merchant, "token": token}
    if request.method == "POST" or follower.confirmed_at is not None:
        context["confirmed"] = True
    return render(request, "merchants/follow_confirm.html", context)


@never_cache
@csrf_exempt  # RFC 8058 one-click unsubscribe: the mail client POSTs without a form or a session
@require_http_methods(["GET", "POST"])
def follow_unsubscribe(request, token: str):
    """GET shows a button (link scanners that open mail links unsubscribe nobody); POST unsubscribes and
    erases the address: the button's form, or the mail client's RFC 8058 one-click POST
    (``List-Unsubscribe=One-Click``), which carries no CSRF token: the signed token authorises it."""
    try:
        if request.method == "GET":
            follower = follower_for_unsubscribe_token(token)
            if follower is not None and follower.unsubscribed_at is None:
                return render(
                    request, "merchants/follow_unsubscribe.html", {"merchant": follower.merchant, "token": token}
                )
            merchant = follower.merchant if follower is not None else None
        else:
            merchant = follower_unsubscribe(token=token)
    except FollowLinkInvalid as exc:
        return _invalid(request, exc)
    return render(request, "merchants/follow_message.html", {"merchant": merchant, "unsubscribed": True})
