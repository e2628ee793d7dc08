"""Filters of the public register, shared by the directory page and the open-data API.

Every filter validates its value (choices, known region codes), so an unknown value
makes the filterset invalid: the page shows a form error and the API answers 400,
instead of silently returning everything or failing with a 500.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.scoping import region_and_descendants

from .. import regions as region_tree
from ..models import Industry, Merchant, MerchantKind, MerchantStatus

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


def _text_query(qs, value: str):
    value = (value or "").strip()
    if not value:
        return qs
    code = value.upper()
    return qs.filter(
        Q(name__icontains=value) | Q(uscc__startswith=code) | Q(licence_number__startswith=value)
    )


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
    """The public directory page: free text is ``q`` (name or code)."""

    q = django_filters.CharFilter(
        label=_("名称或代码"),
        method="filter_q",
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("名称、信用代码或注册号"), "type": "search"}),
    )

    class Meta(RegisterFilterBase.Meta):
        fields = ["q", "region", "kind", "industry", "stars"]

    def filter_q(self, qs, name, value):
        return _text_query(qs, value)


class MerchantApiFilter(RegisterFilterBase):
    """The open-data API: free text is ``search`` (name or code)."""

    search = django_filters.CharFilter(
        label=_("名称或统一社会信用代码/注册号（前缀）"), method="filter_search", max_length=60
    )

    class Meta(RegisterFilterBase.Meta):
        fields = ["region", "kind", "industry", "stars", "search"]

    def filter_search(self, qs, name, value):
        return _text_query(qs, value)
