"""The monthly analysis report (月研判) and the quarterly meeting (季会商) of seed 004.

A ``MonthlyReport`` is drafted by the daily job on the 20th for each district and each city
(figures frozen in ``figures``), written by staff (``analysis``, ``measures``), submitted by the
unit's head by the 25th and, for a district, compiled into its city's report. A
``QuarterlyMeeting`` records who met, which reports were discussed and the minutes; its
``ActionItem`` rows are the tasks it gave, open until the owner marks them done.
See docs/ANALYSIS.md.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk

#: The day of the month the draft is made and the last day a submission is on time.
DRAFT_DAY = 20
DEADLINE_DAY = 25


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    COMPILED = "compiled", _("已汇总")
    ACCEPTED = "accepted", _("已接收")


class MonthlyReport(models.Model):
    region = models.ForeignKey(
        "merchants.Region", verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天。"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    period_start = models.DateField(_("统计起始日"))
    period_end = models.DateField(_("统计截止日"))
    deadline = models.DateField(_("报送期限"))
    figures = models.JSONField(_("数据快照"), default=dict, blank=True, editable=False)
    figures_at = models.DateTimeField(_("数据生成时间"), null=True, blank=True, editable=False)
    analysis = models.TextField(_("研判分析"), blank=True)
    measures = models.TextField(_("对策措施"), blank=True)
    #: A city's report: what its districts submitted, as compiled (``monthly_report_compile``).
    compiled = models.JSONField(_("区县报告汇总"), default=dict, blank=True, editable=False)
    compiled_at = models.DateTimeField(_("汇总时间"), null=True, blank=True, editable=False)
    submitted_by = actor_fk(_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    late = models.BooleanField(_("逾期"), default=False, editable=False)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True, editable=False)
    escalated_to = models.ForeignKey(
        "merchants.Region",
        verbose_name=_("督办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("月研判报告")
        verbose_name_plural = _("月研判报告")
        ordering = ["-month", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="monthlyreport_once_per_region_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthlyreport_month_first_day"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="monthlyreport_status_deadline")]
        permissions = [
            ("submit_monthlyreport", _("提交月研判报告（单位负责人）")),
            ("accept_monthlyreport", _("接收市级月研判报告（工作专班）")),
        ]

    def __str__(self) -> str:
        return _("%(region)s %(year)d年%(month)d月研判报告") % {
            "region": self.region.name,
            "year": self.month.year,
            "month": self.month.month,
        }


class QuarterlyMeeting(models.Model):
    region = models.ForeignKey(
        "merchants.Region", verbose_name=_("召集辖区"), on_delete=models.PROTECT, related_name="quarterly_meetings"
    )
    held_on = models.DateField(_("会议日期"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), choices=[(q, _("第%d季度") % q) for q in (1, 2, 3, 4)])
    attendees = models.TextField(
        _("参会单位及人员"), help_text=_("每行一个单位，格式：单位：参会人员（如：市商务局：张三、李四）。")
    )
    reports = models.ManyToManyField(
        MonthlyReport, verbose_name=_("会商的月研判报告"), blank=True, related_name="meetings"
    )
    minutes = models.TextField(_("会议纪要"))
    created_by = actor_fk(_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("季度会商")
        verbose_name_plural = _("季度会商")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return _("%(region)s %(year)d年第%(quarter)d季度会商（%(date)s）") % {
            "region": self.region.name,
            "year": self.year,
            "quarter": self.quarter,
            "date": self.held_on.isoformat(),
        }

    @property
    def attendee_units(self) -> list[tuple[str, str]]:
        """``attendees`` as (unit, people) pairs, one per non-empty line."""
        from .services import parse_attendees

        return parse_attendees(self.attendees)


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("未完成")
    DONE = "done", _("已完成")


class ActionItem(models.Model):
    meeting = models.ForeignKey(
        QuarterlyMeeting, verbose_name=_("季度会商"), on_delete=models.CASCADE, related_name="action_items"
    )
    description = models.TextField(_("工作任务"))
    owner_region = models.ForeignKey(
        "merchants.Region", verbose_name=_("责任辖区"), on_delete=models.PROTECT, related_name="action_items"
    )
    owner_unit = models.CharField(_("责任单位"), max_length=100)
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=6, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN, db_index=True
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    done_by = actor_fk(_("办结人"))
    done_note = models.TextField(_("完成情况"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    #: Scoped by the owner: the owners (and the city above them) see it (core.admin_scoping).
    region_scope_field = "owner_region"

    class Meta:
        verbose_name = _("会商任务")
        verbose_name_plural = _("会商任务")
        ordering = ["status", "deadline", "id"]
        indexes = [models.Index(fields=["owner_region", "status", "deadline"], name="actionitem_owner_open")]

    def __str__(self) -> str:
        return f"{self.owner_unit} · {self.description[:30]}"
