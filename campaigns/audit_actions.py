"""Every audit action of the campaigns app, named once (stored value, and the label staff read).

Registered with ``core.audit.register_audit_actions`` in ``CampaignsConfig.ready()``. The
values are the strings earlier versions stored, so old entries keep their labels.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # The campaign and its moves (campaigns/workflow.py)
    CAMPAIGN_CREATE = "campaign.create", _("新建活动")
    CAMPAIGN_EDIT = "campaign.edit", _("修改活动")
    CAMPAIGN_OPEN = "campaign.open", _("开始申报")
    CAMPAIGN_REVIEWING = "campaign.reviewing", _("开始评审")
    CAMPAIGN_PUBLICITY = "campaign.publicity", _("开始公示")
    CAMPAIGN_PUBLISHED = "campaign.published", _("发布表彰名单")
    CAMPAIGN_ARCHIVED = "campaign.archived", _("归档活动")
    # Applications
    APPLICATION_SUBMIT = "application.submit", _("提交申报")
    APPLICATION_REVIEW_DISTRICT = "application.review_district", _("区县初审")
    APPLICATION_REVIEW_CITY = "application.review_city", _("市级复审")
    APPLICATION_DISTRICT_PASSED = "application.district_passed", _("初审通过")
    APPLICATION_CITY_PASSED = "application.city_passed", _("复审通过")
    APPLICATION_CANDIDATE = "application.candidate", _("进入公示")
    APPLICATION_COMMENDED = "application.commended", _("获得表彰")
    APPLICATION_REJECTED = "application.rejected", _("申报未通过")
    # Objections during publicity
    OBJECTION_FILE = "objection.file", _("提出异议")
    OBJECTION_UPHELD = "objection.upheld", _("异议成立")
    OBJECTION_DISMISSED = "objection.dismissed", _("异议不成立")
    OBJECTION_PERSONAL_DATA_ANONYMISED = "objection.personal_data_anonymised", _("删除异议人个人信息")
    # Public-service-ad quotas and reports
    AD_QUOTA_CREATE = "ad_quota.create", _("下达公益广告刊播任务")
    AD_QUOTA_CHANGE = "ad_quota.change", _("修改公益广告刊播任务")
    AD_QUOTA_DELETE = "ad_quota.delete", _("删除公益广告刊播任务")
    AD_QUOTA_REMINDER = "ad_quota.reminder", _("发送刊播提醒")
    AD_REPORT_SUBMIT = "ad_report.submit", _("报送刊播情况")
    AD_REPORT_VERIFIED = "ad_report.verified", _("核查刊播情况属实")
    AD_REPORT_REJECTED = "ad_report.rejected", _("核查刊播情况不符")
