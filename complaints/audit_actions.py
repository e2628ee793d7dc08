"""Every audit action of the complaints app, named once (stored value, and the label staff read).

Registered with ``core.audit.register_audit_actions`` in ``ComplaintsConfig.ready()``. The
values are the strings earlier versions stored (``complaint.<status>`` for a move of the
complaint map, ``report.<status>`` for the report map), so old entries keep their labels.
Complaint and report each have their own member where both kinds do the same thing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import ComplaintKind


class AuditAction(models.TextChoices):
    # Intake and the complainant
    COMPLAINT_SUBMIT = "complaint.submit", _("登记投诉")
    REPORT_SUBMIT = "report.submit", _("登记举报")
    COMPLAINT_SEND_CODE = "complaint.send_code", _("发送查询码")
    REPORT_SEND_CODE = "report.send_code", _("向举报人发送查询码")
    COMPLAINT_RATE = "complaint.rate", _("投诉人评价")
    REPORT_RATE = "report.rate", _("举报人评价")
    # Moves of the complaint map (complaints/workflow.py)
    COMPLAINT_SETTLED = "complaint.settled", _("和解成功")
    COMPLAINT_RECEIVED = "complaint.received", _("转市场监管部门处理")
    COMPLAINT_ACCEPTED = "complaint.accepted", _("受理")
    COMPLAINT_REJECTED = "complaint.rejected", _("不予受理")
    COMPLAINT_ASSIGNED = "complaint.assigned", _("分派")
    COMPLAINT_MEDIATING = "complaint.mediating", _("转入调解")
    COMPLAINT_MEDIATED = "complaint.mediated", _("调解成功")
    COMPLAINT_TERMINATED = "complaint.terminated", _("终止调解")
    COMPLAINT_TRANSFERRED = "complaint.transferred", _("转为违法线索")
    COMPLAINT_CONFIRMED = "complaint.confirmed", _("确认违法")
    # Moves of the report map
    REPORT_VERIFYING = "report.verifying", _("开始核查")
    REPORT_CASE_OPENED = "report.case_opened", _("立案")
    REPORT_NOT_OPENED = "report.not_opened", _("不予立案")
    REPORT_EXTEND = "report.extend", _("延长核查期限")
    REPORT_FEEDBACK = "report.feedback", _("告知举报人处理结果")
    # Handling
    COMPLAINT_LINK_MERCHANT = "complaint.link_merchant", _("关联登记库中的被投诉方")
    REPORT_LINK_MERCHANT = "report.link_merchant", _("关联登记库中的被举报方")
    COMPLAINT_ESCALATE = "complaint.escalate", _("超期督办")
    REPORT_ESCALATE = "report.escalate", _("举报超期督办")
    COMPLAINT_DEADLINE_RECOMPUTE = "complaint.deadline_recompute", _("重算办理期限")
    REPORT_DEADLINE_RECOMPUTE = "report.deadline_recompute", _("重算举报办理期限")
    COMPLAINT_PERSONAL_DATA_ANONYMISED = "complaint.personal_data_anonymised", _("删除投诉人个人信息")
    REPORT_PERSONAL_DATA_ANONYMISED = "report.personal_data_anonymised", _("删除举报人个人信息")
    # The merchant's side: direct settlement (ODR), replies and proposals
    MERCHANT_ODR_ENROLL = "merchant.odr_enroll", _("加入在线消费纠纷和解")
    MERCHANT_ODR_LEAVE = "merchant.odr_leave", _("退出在线消费纠纷和解")
    COMPLAINT_MERCHANT_REPLY = "complaint.merchant_reply", _("经营者答复")
    COMPLAINT_STATION_MEDIATION = "complaint.station_mediation", _("消费维权服务站调解")
    COMPLAINT_MERCHANT_UNANSWERED = "complaint.merchant_unanswered", _("经营者逾期未答复")
    COMPLAINT_PROPOSAL_ACCEPTED = "complaint.proposal_accepted", _("投诉人接受和解方案")
    COMPLAINT_PROPOSAL_REJECTED = "complaint.proposal_rejected", _("投诉人拒绝和解方案")
    COMPLAINT_PROPOSAL_LAPSED = "complaint.proposal_lapsed", _("和解方案逾期未确认")


def _by_kind(complaint: AuditAction, report: AuditAction) -> dict[str, AuditAction]:
    return {ComplaintKind.COMPLAINT: complaint, ComplaintKind.REPORT: report}


#: For an action both kinds record, the member by ``Complaint.kind`` (``SUBMIT_BY_KIND[c.kind]``).
SUBMIT_BY_KIND = _by_kind(AuditAction.COMPLAINT_SUBMIT, AuditAction.REPORT_SUBMIT)
SEND_CODE_BY_KIND = _by_kind(AuditAction.COMPLAINT_SEND_CODE, AuditAction.REPORT_SEND_CODE)
RATE_BY_KIND = _by_kind(AuditAction.COMPLAINT_RATE, AuditAction.REPORT_RATE)
LINK_MERCHANT_BY_KIND = _by_kind(AuditAction.COMPLAINT_LINK_MERCHANT, AuditAction.REPORT_LINK_MERCHANT)
ESCALATE_BY_KIND = _by_kind(AuditAction.COMPLAINT_ESCALATE, AuditAction.REPORT_ESCALATE)
DEADLINE_RECOMPUTE_BY_KIND = _by_kind(
    AuditAction.COMPLAINT_DEADLINE_RECOMPUTE, AuditAction.REPORT_DEADLINE_RECOMPUTE
)
PERSONAL_DATA_ANONYMISED_BY_KIND = _by_kind(
    AuditAction.COMPLAINT_PERSONAL_DATA_ANONYMISED, AuditAction.REPORT_PERSONAL_DATA_ANONYMISED
)
