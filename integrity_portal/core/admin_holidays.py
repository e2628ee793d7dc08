"""The official holiday schedules in the admin: superusers only (they move every city's deadlines).

The admin saves the schedule and its inline days; the rules are those of
``core.holidays.schedule_errors`` (checked in the inline formset), and the service
``holiday_schedule_record_admin_entry`` stamps, audits and recomputes provisional
deadlines afterwards. A schedule is corrected, never deleted: deleting a year would
silently turn its holidays back into working days for every deadline already counted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_actions import SuperuserOnlyAdminMixin
from .holidays import (
    ScheduleDay,
    holiday_schedule_record_admin_entry,
    holiday_schedule_snapshot,
    schedule_errors,
)
from .models import HolidaySchedule, HolidayScheduleDay


class HolidayScheduleDayFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        year = self.instance.year
        days = [
            ScheduleDay(f.cleaned_data["date"], f.cleaned_data["kind"], f.cleaned_data.get("name") or "")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("date")
        ]
        if year is None:
            return
        errors = schedule_errors(year, days)
        if errors:
            raise forms.ValidationError(errors)


class HolidayScheduleDayInline(admin.TabularInline):
    model = HolidayScheduleDay
    formset = HolidayScheduleDayFormSet
    fields = ("date", "kind", "name")
    extra = 3
    ordering = ("date",)


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("year", "notice_number", "notice_date", "source", "entered_by", "entered_at", "day_count")
    list_filter = ("source",)
    fields = ("year", "notice_number", "notice_date", "source", "entered_by", "entered_at")
    readonly_fields = ("source", "entered_by", "entered_at")
    inlines = [HolidayScheduleDayInline]

    def has_delete_permission(self, request, obj=None):
        return False  # a year's schedule is replaced (audited), never deleted

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "year") if obj is not None else self.readonly_fields

    @admin.display(description=_("日期数"))
    def day_count(self, obj):
        return obj.days.count()

    def save_model(self, request, obj, form, change):
        request._holiday_previous = holiday_schedule_snapshot(year=obj.year) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        updated = holiday_schedule_record_admin_entry(
            schedule=form.instance, previous=getattr(request, "_holiday_previous", {}), actor=request.user
        )
        recomputed = sum(updated.values())
        if recomputed:
            self.message_user(
                request,
                gettext("已按新的节假日安排重算 %(n)s 个暂定期限。") % {"n": recomputed},
                messages.SUCCESS,
            )
