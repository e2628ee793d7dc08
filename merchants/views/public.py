"""Public pages: home with headline counts, the merchant directory and a merchant's profile."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.functional import cached_property
from django_filters.views import FilterView

from ..filters.register import (
    INDUSTRY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    MerchantDirectoryFilter,
    region_choices,
    region_groups,
)
from ..models import MerchantStatus
from ..selectors.register import public_headline_counts, public_merchant_or_404, public_merchants


def _label(merchant) -> None:
    """Attach the plain Chinese labels the templates show (no queries)."""
    merchant.kind_label = KIND_LABELS.get(merchant.kind, merchant.kind)
    merchant.industry_label = INDUSTRY_LABELS.get(merchant.industry, merchant.industry)
    merchant.status_label = STATUS_LABELS.get(merchant.status, merchant.status)
    merchant.is_deregistered = merchant.status == MerchantStatus.DEREGISTERED
    if merchant.stars is not None:
        merchant.star_glyphs = "★" * merchant.stars + "☆" * (5 - merchant.stars)


def home(request):
    counts = public_headline_counts()
    groups = region_groups()
    for group in groups:
        group["count"] = counts["by_city"].get(group["code"], 0)
    groups.sort(key=lambda g: (-g["count"], g["code"]))
    return render(
        request,
        "public/home.html",
        {"counts": counts, "region_choices": region_choices(), "region_groups": groups},
    )


DIRECTORY_COUNT_TTL = 120


class CachedCountPaginator(Paginator):
    """Counting 140k rows costs more than fetching a page, so a filter's total is cached for two minutes."""

    @cached_property
    def count(self) -> int:
        try:
            sql, params = self.object_list.query.sql_with_params()
        except EmptyResultSet:
            return 0
        key = "public:directory_count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        total = cache.get(key)
        if total is None:
            total = self.object_list.count()
            cache.set(key, total, DIRECTORY_COUNT_TTL)
        return total


class MerchantDirectoryView(FilterView):
    """Directory with filters; an invalid filter shows the form error and no rows, a page past the end is 404."""

    filterset_class = MerchantDirectoryFilter
    template_name = "merchants/merchant_list.html"
    context_object_name = "merchants"
    paginate_by = 20
    paginator_class = CachedCountPaginator
    strict = True

    def get_queryset(self):
        return public_merchants()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for merchant in context["merchants"]:
            _label(merchant)
        params = self.request.GET.copy()
        params.pop("page", None)
        context["query_string"] = params.urlencode()
        context["filtered"] = any(v for k, v in self.request.GET.items() if k != "page")
        return context


merchant_list = MerchantDirectoryView.as_view()


def merchant_detail(request, pk: int):
    merchant = public_merchant_or_404(pk)
    _label(merchant)
    return render(request, "merchants/merchant_detail.html", {"merchant": merchant})
