"""Public credit pages: the red and black lists (with CSV/Excel export), the plaque and its verification.

Only public columns ever leave these views: entity name, registration number,
region, list kind, reason, legal basis, decision number, deciding authority and
dates. Never a legal representative, phone, address of a person or the internal
credit-risk class.
"""

from __future__ import annotations

from csp.decorators import csp
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from integrity_portal.core.exports import table_response

from ..models import BLACK_KINDS, RED_KINDS, ListEntryKind, ListName, MerchantStatus
from ..plaque import PLAQUE_CSP, plaque_svg
from ..selectors.credit import (
    five_star_merchants_public,
    list_entries_public,
    list_filter_errors,
    merchant_by_plaque_token,
)
from ..selectors.engagement import merchant_ids_with_story
from ..selectors.ratings import plaque_refusal
from ..selectors.register import public_list_regions, public_merchant_or_404
from .public import cached_public_page

FIVE_STAR = "five_star"
EXPORT_LIMIT = 50_000


def _region_choices():
    return [(r.code, r.full_name) for r in public_list_regions()]


def _filters(request, allowed_kinds):
    """The page drops a filter it does not know and shows the whole list (the API answers 400)."""
    region = request.GET.get("region") or None
    kind = request.GET.get("kind") or None
    errors = list_filter_errors(region=region, kind=kind, kinds=tuple(allowed_kinds))
    return (None if "region" in errors else region), (None if "kind" in errors else kind)


def _entry_row(e) -> list[str]:
    return [
        e.merchant.name,
        e.merchant.registration_number,
        e.merchant.region.name,
        e.get_kind_display(),
        e.reason,
        e.legal_basis,
        e.decision_number,
        e.decided_by,
        e.valid_from.isoformat(),
        e.valid_until.isoformat() if e.valid_until else "",
    ]


ENTRY_HEADER = [
    "名称",
    "统一社会信用代码/注册号",
    "辖区",
    "类别",
    "列入事由",
    "列入依据",
    "决定书文号",
    "作出决定机关",
    "列入日期",
    "届满日期",
]


@cached_public_page(params=("region", "kind", "format", "page"))
def black_list(request):
    region, kind = _filters(request, set(BLACK_KINDS))
    today = timezone.localdate()
    qs = list_entries_public(list_name=ListName.BLACK, as_of=today, region_code=region, kind=kind)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        rows = (_entry_row(e) for e in qs[:EXPORT_LIMIT])
        return table_response(
            filename="black-list", fmt=fmt, header=ENTRY_HEADER, rows=rows, title="black-list"
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "credit/black_list.html",
        {
            "page": page,
            "regions": _region_choices(),
            "kinds": [(k, ListEntryKind(k).label) for k in BLACK_KINDS],
            "region": region,
            "kind": kind,
            "today": today,
            "query": _query(region, kind),
        },
    )


def _query(region, kind) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in (("region", region), ("kind", kind)) if v})


@cached_public_page(params=("region", "kind", "format", "page", "fpage"))
def red_list(request):
    region, kind = _filters(request, set(RED_KINDS) | {FIVE_STAR})
    today = timezone.localdate()
    fmt = request.GET.get("format")
    show_entries = kind != FIVE_STAR
    show_five = kind in (None, FIVE_STAR)
    entries = (
        list_entries_public(list_name=ListName.RED, as_of=today, region_code=region, kind=kind)
        if show_entries
        else None
    )
    five = five_star_merchants_public(region_code=region) if show_five else None
    if fmt in {"csv", "xlsx"}:

        def rows():
            if entries is not None:
                yield from (_entry_row(e) for e in entries[:EXPORT_LIMIT])
            if five is not None:
                label = _("五星级诚信经营")
                for m in five[:EXPORT_LIMIT]:
                    yield [m.name, m.uscc or "", m.region.name, label, "", "", "", "", "", ""]

        return table_response(
            filename="red-list", fmt=fmt, header=ENTRY_HEADER, rows=rows(), title="red-list"
        )
    entries_page = Paginator(entries, 50).get_page(request.GET.get("page")) if entries is not None else None
    five_page = Paginator(five, 100).get_page(request.GET.get("fpage")) if five is not None else None
    shown = [e.merchant_id for e in entries_page or ()] + [m.pk for m in five_page or ()]
    return render(
        request,
        "credit/red_list.html",
        {
            "entries": entries_page,
            "five_star": five_page,
            "story_ids": merchant_ids_with_story(shown),  # the "典型事迹" badge (issue #19 item 6)
            "regions": _region_choices(),
            "kinds": [(k, ListEntryKind(k).label) for k in RED_KINDS] + [(FIVE_STAR, _("五星级商户"))],
            "region": region,
            "kind": kind,
            "query": _query(region, kind),
        },
    )


def plaque(request, pk: int):
    """A printable A5 SVG plaque whose QR code opens the live verification page.

    Public, like the profile it points to; refused with a plain page (not an SVG) for a deregistered
    entity (404: it has no current stars) or one on the black list (403), see ``plaque_refusal``."""
    merchant = public_merchant_or_404(pk)
    refusal = plaque_refusal(merchant)
    if refusal is not None:
        return render(
            request,
            "credit/plaque_refused.html",
            {"merchant": merchant, "reason": refusal},
            status=404 if refusal == "deregistered" else 403,
        )
    return _plaque_svg(request, merchant)


@csp(PLAQUE_CSP)
def _plaque_svg(request, merchant):
    year = timezone.localdate().year
    stars = merchant.stars
    verify = request.build_absolute_uri(reverse("credit:verify", args=[merchant.plaque_token]))
    verify += f"?s={'n' if stars is None else stars}&y={year}"
    svg = plaque_svg(merchant=merchant, stars=stars, year=year, verify_url=verify)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="plaque-{merchant.pk}-{year}.svg"'
    return response


@never_cache
def verify(request, token: str):
    merchant = merchant_by_plaque_token(token)
    if merchant is None:
        # A forged or mistyped QR target: say what that means for the person holding the phone (a 404, not
        # the generic "page not found").
        return render(request, "credit/verify_unknown.html", status=404)
    printed_stars = request.GET.get("s")
    printed_year = request.GET.get("y")
    deregistered = merchant.status == MerchantStatus.DEREGISTERED
    live = None if deregistered else merchant.stars  # a deregistered entity has no current stars
    live_code = "n" if live is None else str(live)
    year = timezone.localdate().year
    mismatch = printed_stars is not None and (deregistered or printed_stars != live_code)
    outdated = printed_year is not None and printed_year != str(year)
    printed_label = None
    if printed_stars is not None:
        printed_label = _("未评级") if printed_stars == "n" else _("%(n)s 星") % {"n": printed_stars[:1]}
    return render(
        request,
        "credit/verify.html",
        {
            "merchant": merchant,
            "rating": merchant.current_rating,
            "stars": live,
            "deregistered": deregistered,
            "checked": printed_stars is not None,
            "mismatch": mismatch,
            "outdated": outdated and not mismatch,
            "printed_label": printed_label,
            "printed_year": (printed_year or "")[:4],
            "black_listed": bool(merchant.current_rating and merchant.current_rating.black_listed),
            "under_appeal": merchant.rating_under_appeal,
            "now": timezone.now(),
        },
    )
