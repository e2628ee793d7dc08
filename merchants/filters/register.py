"""Filters of the public register, shared by the directory page and the open-data API.

Every filter validates its value (choices, known region codes), so an unknown value
makes the filterset invalid: the page shows a form error and the API answers 400,
instead of silently returning everything or failing with a 500.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.api_filters import UpdatedSinceFilter
from integrity_portal.core.scoping import region_and_descendants

from .. import regions as region_tree
from ..models import Industry, Merchant, MerchantKind, MerchantStatus
from ..selectors.register import q_changed_since
from ..selectors.search import SEARCH_MAX_LENGTH, SearchQuery, merchant_search_filter, merchant_search_ranked

NOT_RATED = "none"

# Plain Chinese labels for the public (the model choices carry English/Chinese pairs for staff).
KIND_LABELS = {
    MerchantKind.MARKET: _("市场"),
    MerchantKind.ENTERPRISE: _("企业"),
    MerchantKind.MERCHANT: _("商户"),
}
INDUSTRY_LABELS = {
    Industry.CATERING: _("餐饮"),
    Industry.FOOD_RETAIL: _("食品零售"),
    Industry.GENERAL_RETAIL: _("百货零售"),
    Industry.HOTEL: _("住宿"),
    Industry.TOURISM: _("旅游"),
    Industry.TRANSPORT: _("交通运输"),
    Industry.SERVICES: _("居民服务"),
    Industry.MARKET_OPERATION: _("市场开办"),
    Industry.MANUFACTURING: _("制造"),
    Industry.OTHER: _("其他"),
}
STATUS_LABELS = {
    MerchantStatus.OPERATING: _("存续"),
    MerchantStatus.SUSPENDED: _("停业"),
    MerchantStatus.DEREGISTERED: _("注销"),
}
KIND_CHOICES = [(k.value, KIND_LABELS[k]) for k in MerchantKind]
INDUSTRY_CHOICES = [(i.value, INDUSTRY_LABELS[i]) for i in Industry]


def _stars_label(n: int) -> str:
    return gettext("%(n)d 星") % {"n": n}


# Lazy labels: formatting a lazy string at import would fix it in the default language.
STARS_CHOICES = [(str(n), lazy(_stars_label, str)(n)) for n in range(5, -1, -1)] + [
    (NOT_RATED, _("尚未评级"))
]


def region_choices() -> list[tuple[str, str]]:
    """Every known region, cities before their districts, indented so the select reads as a tree."""
    children, names = region_tree._tree()  # the per-process cached tree, invalidated on region edits
    out: list[tuple[str, str]] = []

    def walk(code: str, depth: int) -> None:
        out.append((code, "\u3000" * depth + names[code]))
        for child in sorted(children.get(code, ())):
            walk(child, depth + 1)

    parents = {c for kids in children.values() for c in kids}
    for root in sorted(code for code in names if code not in parents):
        walk(root, 0)
    return out


def region_groups() -> list[dict]:
    """Cities with their districts, for browsing the directory by area."""
    children, names = region_tree._tree()
    parents = {c for kids in children.values() for c in kids}
    groups = []
    for root in sorted(code for code in names if code not in parents):
        for city in sorted(children.get(root, ())):
            districts = [(code, names[code]) for code in sorted(children.get(city, ()))]
            groups.append({"code": city, "name": names[city], "districts": districts})
    return groups


class RegionCodeFilter(django_filters.ChoiceFilter):
    """A GB/T 2260 code that matches the region itself and every region below it."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.filter(**{f"{self.field_name}__in": region_and_descendants(value)})


class StarsFilter(django_filters.ChoiceFilter):
    """A star level or "not yet rated"; a deregistered entity has no current stars, so it matches neither."""

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        qs = qs.exclude(status=MerchantStatus.DEREGISTERED)
        if value == NOT_RATED:
            return qs.filter(stars__isnull=True)
        return qs.filter(stars=int(value))


STATUS_ALL = "all"
STATUS_CHOICES = [
    (MerchantStatus.OPERATING.value, _("存续")),
    (MerchantStatus.SUSPENDED.value, _("停业")),
    (MerchantStatus.DEREGISTERED.value, _("注销")),
    (STATUS_ALL, _("全部状态")),
]
SORT_CHOICES = [
    ("relevance", _("相关度（有关键词时）")),
    ("name", _("名称")),
    ("stars", _("星级从高到低")),
    ("newest", _("最新登记")),
]
# Without a query: by name through the (name, id) index, newest through the primary key; by stars sorts the
# filtered rows (no index on stars, so a recompute rewrites rated rows in place: docs/BENCHMARKS.md §4).
DIRECTORY_ORDERS = {
    "name": ("name", "id"),
    "stars": (F("stars").desc(nulls_last=True), "name", "id"),
    "newest": ("-id",),
}


class RegisterFilterBase(django_filters.FilterSet):
    region = RegionCodeFilter(
        field_name="region",
        choices=region_choices,
        label=_("辖区"),
        empty_label=_("全部辖区"),
        help_text=_("含下辖区县"),
    )
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, label=_("主体类型"), empty_label=_("全部类型"))
    industry = django_filters.ChoiceFilter(
        choices=INDUSTRY_CHOICES, label=_("行业"), empty_label=_("全部行业")
    )
    stars = StarsFilter(choices=STARS_CHOICES, label=_("星级"), empty_label=_("全部星级"))

    class Meta:
        model = Merchant
        fields: list[str] = []


class MerchantDirectoryFilter(RegisterFilterBase):
    """The public directory page: free text is ``q`` (name, former name, address or code prefix), ranked by
    relevance (``selectors.search``); operating entities only unless another status is picked; four sorts.

    The search is applied last, to the rows the other filters leave, so its candidate cap applies within
    the visitor's district and status. An empty query string is a bound, empty form: the defaults apply."""

    q = django_filters.CharFilter(
        label=_("名称、地址或代码"),
        method="filter_noop",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": _("名称、曾用名、街道、信用代码或注册号"), "type": "search"}
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, label=_("经营状态"), empty_label=None, method="filter_noop"
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, label=_("排序"), empty_label=None, method="filter_noop"
    )

    class Meta(RegisterFilterBase.Meta):
        fields = ["q", "region", "kind", "industry", "stars", "status", "sort"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_noop(self, qs, name, value):
        return qs  # applied in filter_queryset, after the others

    def narrowed(self, queryset) -> tuple:
        """``queryset`` narrowed by every filter but the query, and the order asked for: what a search then
        ranks (also reused by the directory's shell, ``views.directory``, for every query with these filters)."""
        data = self.form.cleaned_data
        for name, value in data.items():
            if name not in ("q", "status", "sort"):
                queryset = self.filters[name].filter(queryset, value)
        status = data.get("status") or MerchantStatus.OPERATING
        if status != STATUS_ALL:
            queryset = queryset.filter(status=status)
        return queryset, data.get("sort") or "relevance"

    def filter_queryset(self, queryset):
        queryset, order = self.narrowed(queryset)
        q = self.form.cleaned_data.get("q")
        if SearchQuery(q):
            return merchant_search_ranked(queryset, q, order=order)
        return queryset.order_by(*DIRECTORY_ORDERS.get(order, DIRECTORY_ORDERS["name"]))


class MerchantApiFilter(RegisterFilterBase):
    """The open-data API: free text is ``search`` (name or code); the region is ``region_code`` (the API's one
    naming scheme, docs/API.md) and ``updated_since`` serves incremental synchronisation."""

    region = None  # named region_code in the API
    region_code = RegionCodeFilter(
        field_name="region",
        choices=region_choices,
        label=_("辖区"),
        help_text=_("GB/T 2260 区划代码，含下辖区县"),
    )
    updated_since = UpdatedSinceFilter(label=_("更新时间起点"), q_for=q_changed_since)
    search = django_filters.CharFilter(
        label=_("名称、曾用名、地址（包含）或统一社会信用代码/注册号（前缀）"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
    )

    class Meta(RegisterFilterBase.Meta):
        fields = ["region_code", "kind", "industry", "stars", "search", "updated_since"]

    def filter_search(self, qs, name, value):
        return merchant_search_filter(qs, value)
