"""Every audit action of the spot-check app (双随机、一公开), named once.

Registered with ``core.audit.register_audit_actions`` in ``SpotChecksConfig.ready()``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    PLAN_CREATE = "spot_check_plan.create", _("制定抽查计划")
    PLAN_UPDATE = "spot_check_plan.update", _("修改抽查计划")
    PLAN_APPROVED = "spot_check_plan.approved", _("批准抽查计划并公布种子承诺值")
    PLAN_DRAWN = "spot_check_plan.drawn", _("抽取检查对象和检查人员并公布种子")
    PLAN_IN_PROGRESS = "spot_check_plan.in_progress", _("抽查计划开始实施")
    PLAN_COMPLETED = "spot_check_plan.completed", _("抽查计划完成")
    PLAN_PUBLISHED = "spot_check_plan.published", _("公示抽查结果")
    TASK_DONE = "spot_check_task.done", _("录入抽查结果")
    TASK_MERCHANT_CLOSED = "spot_check_task.merchant_closed", _("抽查对象已停业或注销")
    TASK_ESCALATED = "spot_check_task.escalated", _("抽查任务超期督办")
    CONFLICT_DECLARE = "inspector_conflict.declare", _("登记检查人员回避")
    CONFLICT_WITHDRAW = "inspector_conflict.withdraw", _("撤销检查人员回避")
