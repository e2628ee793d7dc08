"""The notices a merchant's members are sent about campaigns and public-service ads (issue #16 item 3).

Registered in ``CampaignsConfig.ready()``; sent by the service that makes the change, inside its
transaction, through ``notifications.services.notify_merchant`` (docs/NOTIFICATIONS.md).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from merchants.notices import local_date, record_link
from notifications.kinds import NoticeKind, register_notice_kind, register_notice_link

APPLICATION_REVIEWED = NoticeKind(
    code="application_reviewed",
    label=_("创建活动申报审核结果"),
    audience="merchant",
    legal=False,
    default_channels=("inbox", "email"),
    subject=_("【申报审核结果】{merchant}：{level}{outcome}"),
    body=_("{merchant}：\n贵单位参加“{campaign}”的申报，{level}结果：{outcome}。\n审核理由：{reason}"),
    sms=_("贵单位创建活动申报的{level}结果：{outcome}，详情请登录诚信门户查看。"),
)

PSA_REMINDER = NoticeKind(
    code="psa_reminder",
    label=_("公益广告刊播提醒"),
    audience="merchant",
    legal=False,
    default_channels=("inbox", "email"),
    subject=_("【公益广告刊播提醒】距完成期限还有{days}天"),
    body=_(
        "{merchant}：\n根据{year}年度公益广告刊播任务，大型商场超市、市场和商业街应在{deadline}前"
        "完成公益广告刊播，公益广告数量不少于广告总数的{percent}%，并在入口处等显著位置刊播。"
        "贵单位尚未经核查达标，请登录门户填报刊播情况。"
    ),
    sms=_("贵单位公益广告刊播尚未核查达标，完成期限为{deadline}，请登录诚信门户填报。"),
)

KINDS = (APPLICATION_REVIEWED, PSA_REMINDER)


def register_kinds() -> None:
    """Called once from ``CampaignsConfig.ready()``: the kinds, and where the inbox links for each record."""
    from .models import Application, ReminderLog

    for kind in KINDS:
        register_notice_kind(kind)
    register_notice_link(Application, record_link("portal_campaigns:applications"))
    register_notice_link(ReminderLog, record_link("portal_campaigns:ad_report"))


def notify_application_reviewed(*, application, level: str, decision: str, reason: str, actor: User | None):
    from notifications.services import notify_merchant

    from .models import ReviewDecision, ReviewLevel

    merchant = application.merchant
    return notify_merchant(
        merchant=merchant,
        kind=APPLICATION_REVIEWED.code,
        event_key=f"campaign_application:{application.merchant_id}:{application.pk}:{level}",
        params={
            "merchant": merchant.name,
            "campaign": application.campaign.title,
            "level": ReviewLevel(level).label,
            "outcome": ReviewDecision(decision).label,
            "reason": reason,
        },
        about=application,
        actor=actor,
    )


def notify_psa_reminder(*, log, merchant, quota, days_left: int):
    """One reminder (``log``, a ReminderLog row) to one venue's members; the system sends it."""
    from notifications.services import notify_merchant

    return notify_merchant(
        merchant=merchant,
        kind=PSA_REMINDER.code,
        event_key=f"psa_reminder:{merchant.pk}:{log.pk}",
        params={
            "merchant": merchant.name,
            "days": days_left,
            "year": quota.year,
            "deadline": local_date(quota.deadline),
            "percent": quota.min_share_percent,
        },
        about=log,
        actor=None,
    )
