"""Every audit action of the analysis app, named once (stored value, and the label staff read).

Registered with ``core.audit.register_audit_actions`` in ``AnalysisConfig.ready()``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # The monthly analysis report (月研判) and its moves (analysis/workflow.py)
    MONTHLY_REPORT_DRAFT = "monthly_report.draft", _("生成月研判报告草稿")
    MONTHLY_REPORT_REFRESH = "monthly_report.refresh", _("更新月研判报告数据")
    MONTHLY_REPORT_EDIT = "monthly_report.edit", _("修改月研判报告")
    MONTHLY_REPORT_SUBMITTED = "monthly_report.submitted", _("提交月研判报告")
    MONTHLY_REPORT_RETURNED = "monthly_report.returned", _("退回月研判报告")
    MONTHLY_REPORT_COMPILED = "monthly_report.compiled", _("月研判报告已汇总")
    MONTHLY_REPORT_COMPILE = "monthly_report.compile", _("汇总区县月研判报告")
    MONTHLY_REPORT_ACCEPTED = "monthly_report.accepted", _("接收月研判报告")
    MONTHLY_REPORT_ESCALATED = "monthly_report.escalated", _("月研判报告逾期督办")
    # The quarterly meeting (季会商) and its action items
    MEETING_RECORD = "quarterly_meeting.record", _("记录季度会商")
    MEETING_EDIT = "quarterly_meeting.edit", _("修改季度会商记录")
    ACTION_ITEM_ADD = "action_item.add", _("布置会商任务")
    ACTION_ITEM_DONE = "action_item.done", _("会商任务完成")
