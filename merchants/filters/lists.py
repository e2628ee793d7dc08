"""The query parameters of the red/black list API, as a FilterSet so the schema documents them as enums.

The values are checked by ``selectors.credit.list_filter_errors`` (the pages' rule: the API answers 400 with
the same messages the pages drop) and applied by ``selectors.credit.list_entries_public`` in the view; these
filters only declare the choices — the known region codes (read when the schema is built) and the list's kinds.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import BLACK_KINDS, RED_KINDS, ListEntry
from .register import region_choices


class _ListApiFilter(django_filters.FilterSet):
    region_code = django_filters.ChoiceFilter(
        choices=region_choices, method="checked_in_view", help_text=_("GB/T 2260 区划代码，含下辖区县")
    )

    class Meta:
        model = ListEntry
        fields: list[str] = []

    def checked_in_view(self, queryset, name, value: str):
        return queryset


class RedListApiFilter(_ListApiFilter):
    kind = django_filters.ChoiceFilter(
        choices=[(k.value, k.label) for k in RED_KINDS], method="checked_in_view", help_text=_("类别")
    )


class BlackListApiFilter(_ListApiFilter):
    kind = django_filters.ChoiceFilter(
        choices=[(k.value, k.label) for k in BLACK_KINDS], method="checked_in_view", help_text=_("类别")
    )
