"""django-filter sets for the campaigns API."""

import django_filters

from integrity_portal.core.api_filters import IdFilter

from .models import Application, ApplicationStatus, Category, CommendationEntry


class CommendationFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="commendation_list__campaign__year", label="年度")
    category = django_filters.ChoiceFilter(
        field_name="commendation_list__category", choices=Category.choices, label="类别"
    )
    region_code = django_filters.CharFilter(field_name="merchant__region", label="区县代码")
    merchant_id = IdFilter(field_name="merchant_id", label="市场主体编号")

    class Meta:
        model = CommendationEntry
        fields = ["year", "category", "region_code", "merchant_id"]


class ApplicationFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Application
        fields = ["campaign", "status", "category"]
