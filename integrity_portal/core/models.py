"""Shared tables: the audit log, the official holiday schedules and local working-day overrides."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fields import actor_fk


class AuditEntry(models.Model):
    """One recorded action: who did what to which object, from which status to which, and why.

    Written by services in the same transaction as the change, so an action and
    its record commit or roll back together.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = actor_fk(_("操作人"))
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("对象类型"))
    object_id = models.CharField(_("对象编号"), max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(_("原状态"), max_length=40, blank=True)
    to_status = models.CharField(_("新状态"), max_length=40, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="audit_target_idx")]

    def __str__(self) -> str:
        arrow = f" {self.from_status}→{self.to_status}" if self.to_status else ""
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action}{arrow}"


class WorkingDayOverride(models.Model):
    """A local correction to the official calendar (e.g. a city holiday, or a day the office works)."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_working_day else '休息日'}"


class HolidayScheduleSource(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar 软件包")
    ADMIN = "admin", _("管理后台录入")
    FILE = "file", _("文件导入")


class HolidaySchedule(models.Model):
    """The official holidays and make-up working days of one year, as the State Council announced them.

    The portal owns this data (rather than asking a package at run time) because the
    package lags the notice by weeks: a year without a row here is counted Monday–Friday
    and every deadline reaching into it is marked provisional until the bureau enters it.
    """

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    notice_number = models.CharField(_("国务院办公厅通知文号"), max_length=80, blank=True)
    notice_date = models.DateField(_("通知日期"), null=True, blank=True)
    source = models.CharField(
        _("来源"), max_length=20, choices=HolidayScheduleSource.choices, default=HolidayScheduleSource.ADMIN
    )
    entered_by = actor_fk(_("录入人"))
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("法定节假日安排")
        verbose_name_plural = _("法定节假日安排")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1949, year__lte=2200),
                name="holiday_schedule_year_range",
                violation_error_message=_("年度须在 1949 至 2200 之间。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.notice_number}".strip()


class HolidayDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class HolidayScheduleDay(models.Model):
    """One day the schedule changes: a holiday (even on a weekday) or a make-up working day (调休上班)."""

    schedule = models.ForeignKey(
        HolidaySchedule, verbose_name=_("节假日安排"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=HolidayDayKind.choices)
    name = models.CharField(_("节日名称"), max_length=40, blank=True, help_text=_("例如：春节、国庆节"))

    class Meta:
        verbose_name = _("节假日安排日期")
        verbose_name_plural = _("节假日安排日期")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.date and self.schedule_id and self.date.year != self.schedule.year:
            raise ValidationError({"date": _("日期必须在该年度内。")})


class LegalDocumentKind(models.TextChoices):
    PRIVACY = "privacy", _("个人信息保护说明")
    TERMS = "terms", _("用户协议")


class LegalDocument(models.Model):
    """The privacy notice and the user agreement people accept when they sign up or file a complaint.

    Stored (not a template) so the bureau's legal office can amend them without a release; plain text,
    rendered escaped with line breaks, so an edit can never inject markup into a public page. Every edit
    bumps ``version`` (core.legal.legal_document_update) and is audited, so one can show which text a
    person accepted on a given day.
    """

    kind = models.CharField(_("类型"), max_length=10, choices=LegalDocumentKind.choices, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), help_text=_("纯文本；空行分段，不支持 HTML。"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = actor_fk(_("更新人"))

    class Meta:
        verbose_name = _("法律文本")
        verbose_name_plural = _("法律文本（协议与个人信息保护说明）")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
