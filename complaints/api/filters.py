"""Query parameters of the staff complaints API, under the API's one naming scheme (``region_code``)."""

import django_filters

from ..models import Complaint


class StaffComplaintFilter(django_filters.FilterSet):
    region_code = django_filters.CharFilter(field_name="region", label="承办区县代码（GB/T 2260）")

    class Meta:
        model = Complaint
        fields = ["status", "kind", "channel", "category", "region_code"]
