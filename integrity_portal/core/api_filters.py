"""Query parameters shared by the open-data API: ``updated_since`` for incremental synchronisation.

A third party keeps a copy of the register and asks only for what changed since its last run. The value is
an ISO 8601 date (``2026-12-01``, the start of that day, local time) or date-time (``2026-12-01T08:30:00``,
local time unless it carries an offset, ``…Z`` or ``…+08:00``). Anything else is a 400 naming the parameter,
never an ignored filter that would silently return the whole table.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


def parse_moment(value: str) -> datetime | None:
    """An aware datetime from an ISO date or date-time, or None when it is neither."""
    value = (value or "").strip()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                return None
            moment = datetime.combine(day, time.min)
    except ValueError:  # well-formed but impossible (2026-02-30, hour 25)
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # In UTC: Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59 (``+19:24`` was a 500).
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01T00:00-05:00 has no UTC moment
        return None


class MomentField(forms.CharField):
    default_error_messages = {
        "invalid": _("时间格式无效：请使用 ISO 8601 日期（2026-12-01）或日期时间（2026-12-01T08:30:00+08:00）。")
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


@extend_schema_field(OpenApiTypes.DATETIME)
class UpdatedSinceFilter(django_filters.Filter):
    """``?updated_since=``: rows changed at or after the moment, by the Q the selector defines
    (``q_for(moment)``), so "changed" means every column the answer shows, not one timestamp."""

    field_class = MomentField

    def __init__(self, *args, q_for, **kwargs):
        self.q_for = q_for
        kwargs.setdefault(
            "help_text",
            _("只返回此时间以后有变化的记录（ISO 8601 日期或日期时间；不带时区按北京时间），用于增量同步"),
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(self.q_for(value))


ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """A row id as a query parameter: a positive 64-bit integer, documented with its bounds (django-filter's
    NumberFilter is a decimal up to 1e50, which the schema could not state and the database cannot compare)."""

    field_class = IdField
