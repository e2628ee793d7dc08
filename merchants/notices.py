"""The notices a merchant's members are sent about its credit record (issue #16 item 3).

Each kind is registered in ``MerchantsConfig.ready()``; each ``notify_*`` function is called by the
service that makes the change, inside its transaction (a rollback leaves no notice), with a stable
event key so that a second call sends nothing twice (``notifications.services.notify_merchant``).

Texts are lazy gettext templates filled with ``str.format``; the parameters that are words (statuses,
dates, labels) are lazy too, so each member reads the whole notice in their own language. SMS texts are
short (at most 70 Chinese characters with the longest parameters, tests/merchants/test_merchant_notices.py)
and carry nothing about anyone else: no inspector, complainant or staff names, no decision texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.ratingfacts import fact_providers
from notifications.kinds import NoticeKind, register_notice_kind, register_notice_link

ALL_CHANNELS = ("inbox", "sms", "email")
NOT_SMS = ("inbox", "email")


# --- lazy parameters (rendered in the recipient's language) ----------------------------------------


def _date_text(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else "—"


#: A date written in the active language's format when the notice is rendered.
local_date = lazy(_date_text, str)


def local_day(moment):
    """The local date of a timestamp, lazily written (None: a dash)."""
    return local_date(timezone.localdate(moment) if moment else None)


def _joined(separator: str, *parts) -> str:
    return str(separator).join(str(p) for p in parts)


#: Lazy texts joined when rendered (``lazy_join("、", a, b)``).
lazy_join = lazy(_joined, str)


def stars_text(stars: int | None):
    if stars is None:
        return _("暂未评级")
    return format_lazy(_("{n}星"), n=stars)


# --- the kinds -----------------------------------------------------------------------------------

STARS_CHANGED = NoticeKind(
    code="stars_changed",
    label=_("诚信星级变更"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【诚信星级变更】{merchant}：{old} → {new}"),
    body=_(
        "{merchant}：\n贵单位的诚信星级已于{date}由{old}调整为{new}。\n"
        "变更原因：{reason}\n"
        "本次评定合计扣分{total}分（诚信经营{trading}分、服务质量{service}分、信用管理{credit}分）。\n"
        "如对评定有异议，可自评定之日起21日内登录诚信门户提出申诉，也可申请复查或发表回应。"
    ),
    sms=_("贵单位诚信星级由{old}调整为{new}，原因及申诉途径请登录诚信门户查看。"),
)

INSPECTION_RECORDED = NoticeKind(
    code="inspection_recorded",
    label=_("检查记录录入"),
    audience="merchant",
    legal=False,
    default_channels=NOT_SMS,
    subject=_("【检查记录】{merchant}：{date}现场检查结论为{outcome}"),
    body=_(
        "{merchant}：\n市场监管部门于{date}对贵单位进行了现场检查，检查结论：{outcome}。\n"
        "发现的问题：{findings}\n"
        "检查记录将计入诚信星级评定。整改完成后可登录诚信门户申请复查。"
    ),
    sms=_("贵单位{date}现场检查结论：{outcome}，详情请登录诚信门户查看。"),
)

PENALTY_PUBLISHED = NoticeKind(
    code="penalty_published",
    label=_("行政处罚公示"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【行政处罚公示】{merchant}：{number}"),
    body=_(
        "{merchant}：\n对贵单位作出的行政处罚决定（{number}，{decided_on}作出，{penalty_kind}，{tier}）"
        "已在诚信门户公示，公示期自{publicity_from}至{publicity_until}。\n"
        "公示期内该处罚计入诚信星级评定；符合条件的，可在最短公示期满后登录诚信门户申请信用修复。"
    ),
    sms=_("对贵单位的行政处罚决定已公示至{publicity_until}，详情请登录诚信门户查看。"),
)

APPEAL_DECIDED = NoticeKind(
    code="appeal_decided",
    label=_("星级申诉处理结果"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【申诉处理结果】{merchant}：{outcome}"),
    body=_(
        "{merchant}：\n贵单位于{filed_on}对诚信星级评定提出的申诉已办结，结果：{outcome}。\n"
        "处理意见：{reason}\n{next_step}"
    ),
    sms=_("贵单位的星级评定申诉已办结：{outcome}，处理意见请登录诚信门户查看。"),
)

REPLY_DECIDED = NoticeKind(
    code="reply_decided",
    label=_("评定回应审核结果"),
    audience="merchant",
    legal=False,
    default_channels=("inbox",),
    subject=_("【评定回应审核】{merchant}：{outcome}"),
    body=_("{merchant}：\n贵单位于{submitted_on}提交的对诚信星级评定的回应，审核结果：{outcome}。\n{detail}"),
    sms=_("贵单位提交的评定回应审核结果：{outcome}，详情请登录诚信门户查看。"),
)

REINSPECTION_DECIDED = NoticeKind(
    code="reinspection_decided",
    label=_("复查申请办理结果"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【复查申请】{merchant}：{outcome}"),
    body=_("{merchant}：\n贵单位于{requested_on}提出的复查申请办理结果：{outcome}。\n{detail}"),
    sms=_("贵单位的复查申请办理结果：{outcome}，详情请登录诚信门户查看。"),
)

REPAIR_DECIDED = NoticeKind(
    code="repair_decided",
    label=_("信用修复审核结果"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【信用修复】{merchant}：{outcome}"),
    body=_(
        "{merchant}：\n贵单位就{record}提出的信用修复申请审核结果：{outcome}。\n审核意见：{reason}\n{detail}"
    ),
    sms=_("贵单位的信用修复申请审核结果：{outcome}，详情请登录诚信门户查看。"),
)

KINDS = (
    STARS_CHANGED,
    INSPECTION_RECORDED,
    PENALTY_PUBLISHED,
    APPEAL_DECIDED,
    REPLY_DECIDED,
    REINSPECTION_DECIDED,
    REPAIR_DECIDED,
)


def record_link(portal_url: str):
    """A link resolver for ``register_notice_link``: members go to ``portal_url`` (a URL name taking the
    merchant's id), staff to the record's admin page (none when the admin does not register it)."""

    def link(record, audience: str) -> str:
        if audience == "merchant":
            return reverse(portal_url, args=[record.merchant_id])
        if audience == "staff":
            meta = record._meta
            try:
                return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
            except NoReverseMatch:
                return ""
        return ""

    return link


# --- a citizen following a merchant by e-mail (merchants/services/follow.py) --------------------------

_UNSUBSCRIBE_FOOTER = _("\n\n不想再收到此类邮件？点击退订（无需登录）：{unsubscribe}")

FOLLOWER_KINDS = (
    NoticeKind(
        code="follow_confirm",
        label=_("关注市场主体：确认邮箱"),
        audience="citizen",
        legal=False,
        default_channels=("email",),
        subject=_("请确认关注“{merchant}”"),
        body=format_lazy(
            "{}{}",
            _(
                "您（或他人使用您的邮箱）申请在诚信门户关注“{merchant}”的诚信星级和红黑名单变化。\n"
                "请在{days}日内打开以下链接确认：{confirm}\n"
                "如非本人操作，请忽略本邮件，不会再收到任何通知。\n商户页面：{url}"
            ),
            _UNSUBSCRIBE_FOOTER,
        ),
    ),
    NoticeKind(
        code="followed_stars_changed",
        label=_("关注的市场主体诚信星级变更"),
        audience="citizen",
        legal=False,
        default_channels=("email",),
        subject=_("【诚信门户】{merchant}的诚信星级由{old}调整为{new}"),
        body=format_lazy(
            "{}{}",
            _("您关注的“{merchant}”诚信星级已由{old}调整为{new}。\n详情：{url}"),
            _UNSUBSCRIBE_FOOTER,
        ),
    ),
    NoticeKind(
        code="followed_list_added",
        label=_("关注的市场主体列入红黑名单"),
        audience="citizen",
        legal=False,
        default_channels=("email",),
        subject=_("【诚信门户】{merchant}已列入{list}"),
        body=format_lazy(
            "{}{}", _("您关注的“{merchant}”已列入{list}（{kind}）。\n详情：{url}"), _UNSUBSCRIBE_FOOTER
        ),
    ),
    NoticeKind(
        code="followed_list_ended",
        label=_("关注的市场主体移出红黑名单"),
        audience="citizen",
        legal=False,
        default_channels=("email",),
        subject=_("【诚信门户】{merchant}已移出{list}"),
        body=format_lazy(
            "{}{}", _("您关注的“{merchant}”已移出{list}（{kind}）。\n详情：{url}"), _UNSUBSCRIBE_FOOTER
        ),
    ),
)


def register_kinds() -> None:
    """Called once from ``MerchantsConfig.ready()``: the kinds, and where the inbox links for each record."""
    from .models import (
        CreditRepairRequest,
        Inspection,
        Penalty,
        Rating,
        RatingAppeal,
        RatingReply,
        ReinspectionRequest,
    )

    for kind in KINDS:
        register_notice_kind(kind)
    from notifications.kinds import register_email_headers

    from .services.follow import follow_email_headers

    for kind in FOLLOWER_KINDS:
        register_notice_kind(kind)
        register_email_headers(kind.code, follow_email_headers)
    for model, url in (
        (Rating, "portal:merchant"),
        (Inspection, "portal:merchant"),
        (Penalty, "portal:merchant"),
        (RatingAppeal, "portal_credit:appeal"),
        (RatingReply, "portal_credit:reply"),
        (ReinspectionRequest, "portal_credit:reinspection"),
        (CreditRepairRequest, "portal_credit:repair"),
    ):
        register_notice_link(model, record_link(url))


def _send(*, merchant, kind: NoticeKind, event_key: str, about, actor: User | None, **params):
    from notifications.services import notify_merchant

    return notify_merchant(
        merchant=merchant,
        kind=kind.code,
        event_key=event_key,
        params={"merchant": merchant.name, **params},
        about=about,
        actor=actor,
    )


# --- one function per event --------------------------------------------------------------------


def notify_inspection_recorded(*, inspection, actor: User | None):
    from .models import INSPECTION_ITEMS, FindingLevel, InspectionOutcome

    levels = dict(FindingLevel.choices)
    found = [
        format_lazy("{}（{}）", label, levels[getattr(inspection, name)])
        for name, label in INSPECTION_ITEMS
        if getattr(inspection, name) != FindingLevel.PASS
    ]
    return _send(
        merchant=inspection.merchant,
        kind=INSPECTION_RECORDED,
        event_key=f"inspection:{inspection.merchant_id}:{inspection.pk}",
        about=inspection,
        actor=actor,
        date=local_date(inspection.inspected_on),
        outcome=InspectionOutcome(inspection.outcome).label,
        findings=lazy_join(_("、"), *found) if found else _("无"),
    )


def notify_penalty_published(*, penalty, actor: User | None):
    """Only a published decision (a warning alone is not published, so nothing is sent for it)."""
    from .models import PenaltyKind, PenaltyTier

    if not penalty.published:
        return []
    return _send(
        merchant=penalty.merchant,
        kind=PENALTY_PUBLISHED,
        event_key=f"penalty:{penalty.merchant_id}:{penalty.pk}:published",
        about=penalty,
        actor=actor,
        number=penalty.decision_number,
        decided_on=local_date(penalty.decided_on),
        penalty_kind=PenaltyKind(penalty.kind).label,
        tier=PenaltyTier(penalty.tier).label,
        publicity_from=local_date(penalty.publicity_from),
        publicity_until=local_date(penalty.publicity_until),
    )


def notify_appeal_decided(*, appeal, actor: User | None):
    from .models import AppealStatus

    upheld = appeal.status == AppealStatus.UPHELD
    return _send(
        merchant=appeal.merchant,
        kind=APPEAL_DECIDED,
        event_key=f"appeal:{appeal.merchant_id}:{appeal.pk}:decided",
        about=appeal,
        actor=actor,
        filed_on=local_day(appeal.filed_at),
        outcome=AppealStatus(appeal.status).label,
        reason=appeal.decision_reason,
        next_step=_("星级将按复核结果重新评定，评定结果另行通知。")
        if upheld
        else _("原评定维持不变。如不服，可依法申请行政复议或提起行政诉讼。"),
    )


def notify_reply_decided(*, reply, actor: User | None):
    from .models import ReplyStatus

    if reply.status == ReplyStatus.PUBLISHED:
        detail = format_lazy(_("公开文本：{text}"), text=reply.published_text)
    else:
        detail = format_lazy(_("不予发布的原因：{reason}"), reason=reply.review_note)
    return _send(
        merchant=reply.merchant,
        kind=REPLY_DECIDED,
        event_key=f"rating_reply:{reply.merchant_id}:{reply.pk}:{reply.status}",
        about=reply,
        actor=actor,
        submitted_on=local_day(reply.submitted_at),
        outcome=ReplyStatus(reply.status).label,
        detail=detail,
    )


def notify_reinspection_decided(*, request, actor: User | None, inspection=None):
    """Scheduled (with the visit's date), refused (with the reason) or done (the visit supersedes)."""
    from .models import ReinspectionStatus

    status = request.status
    if status == ReinspectionStatus.SCHEDULED:
        detail = format_lazy(
            _("计划复查日期：{d}。请按时接受现场复查。"), d=local_date(request.scheduled_for)
        )
    elif status == ReinspectionStatus.REFUSED:
        detail = format_lazy(_("不予受理的原因：{reason}"), reason=request.note)
    else:
        detail = format_lazy(
            _("已于{d}完成现场复查，复查结论取代原检查中复查项目的结论，星级将重新评定，评定结果另行通知。"),
            d=local_date(inspection.inspected_on if inspection is not None else None),
        )
    return _send(
        merchant=request.merchant,
        kind=REINSPECTION_DECIDED,
        event_key=f"reinspection:{request.merchant_id}:{request.pk}:{status}",
        about=request,
        actor=actor,
        requested_on=local_day(request.requested_at),
        outcome=ReinspectionStatus(status).label,
        detail=detail,
    )


def notify_repair_decided(*, request, actor: User | None):
    from .models import ListEntryKind, RepairStatus

    if request.penalty_id:
        record = format_lazy(_("行政处罚决定（{n}）"), n=request.penalty.decision_number)
    else:
        entry = request.list_entry
        record = format_lazy(
            _("{kind}名单记录（{n}）"), kind=ListEntryKind(entry.kind).label, n=entry.decision_number
        )
    approved = request.status == RepairStatus.APPROVED
    return _send(
        merchant=request.merchant,
        kind=REPAIR_DECIDED,
        event_key=f"repair:{request.merchant_id}:{request.pk}:decided",
        about=request,
        actor=actor,
        record=record,
        outcome=RepairStatus(request.status).label,
        reason=request.decision_reason,
        detail=_("该记录已停止公示，星级将重新评定，评定结果另行通知。")
        if approved
        else _("该记录继续公示。整改到位后可再次申请。"),
    )


# --- stars changed (called by the recompute, in its transaction) ---------------------------------


@dataclass(frozen=True)
class StarsChange:
    """One merchant whose stars the recompute changed: its old stars and rating (None: first rating)."""

    merchant_id: int
    old_stars: int
    old_rating_id: int | None


#: Facts that are raw sums rather than things a merchant recognises (the average is in the breakdown).
_NOT_A_REASON = frozenset({"satisfaction_sum", "satisfaction_count"})


def _fact_label(name: str):
    from .selectors.credit import FACT_LABELS

    if name in FACT_LABELS:
        return FACT_LABELS[name]
    for provider in fact_providers():
        if name in provider.labels:
            return provider.labels[name]
    return name


def change_reason(old_facts: dict, new_facts: dict, *, policy_changed: bool):
    """What changed between two ratings, as lazy text: each fact that moved (old → new), and a new policy."""
    parts = [
        format_lazy(
            "{label}：{old} → {new}",
            label=_fact_label(name),
            old=old_facts.get(name, 0),
            new=new_facts.get(name, 0),
        )
        for name in sorted(set(old_facts) | set(new_facts))
        if name not in _NOT_A_REASON and name != "capped" and old_facts.get(name, 0) != new_facts.get(name, 0)
    ]
    if policy_changed:
        parts.append(_("评级规则调整"))
    if not parts:
        parts.append(_("评定依据的时间范围变化"))
    return lazy_join(_("；"), *parts)


NOTICE_BATCH = 1000


def notify_stars_changed(*, changes: Iterable[StarsChange], actor: User | None) -> int:
    """Notices for the merchants whose stars the recompute changed (inside its transaction).

    Per thousand changed merchants: three queries (the merchants, their new and their previous ratings),
    then one ``notify_merchants`` (members, profiles, preferences, rows and audit entries in bulk) and the
    followers': the cost follows the number of changes, never the number of merchants recomputed, and
    no query is made per merchant. Returns the number of merchants notified."""
    from notifications.services import MerchantEvent, notify_merchants

    from .models import Merchant, Rating
    from .services.follow import followers_notify_stars

    changes = list(changes)
    notified = 0
    for start in range(0, len(changes), NOTICE_BATCH):
        followed = []
        chunk = changes[start : start + NOTICE_BATCH]
        merchants = Merchant.objects.in_bulk([c.merchant_id for c in chunk])
        new_ids = [m.current_rating_id for m in merchants.values() if m.current_rating_id]
        old_ids = [c.old_rating_id for c in chunk if c.old_rating_id]
        ratings = Rating.objects.in_bulk(new_ids + old_ids)
        events = []
        for change in chunk:
            merchant = merchants.get(change.merchant_id)
            rating = ratings.get(merchant.current_rating_id) if merchant is not None else None
            if rating is None:  # deleted under the recompute
                continue
            old = ratings.get(change.old_rating_id)
            params = dict(
                merchant=merchant.name,
                old=stars_text(change.old_stars),
                new=stars_text(rating.stars),
                date=local_day(rating.computed_at),
                reason=change_reason(
                    old.facts if old is not None else {},
                    rating.facts,
                    policy_changed=old is not None and old.policy_id != rating.policy_id,
                ),
                total=rating.total,
                trading=rating.trading,
                service=rating.service,
                credit=rating.credit,
            )
            events.append(MerchantEvent(merchant, f"rating:{merchant.pk}:{rating.pk}", params, rating))
            followed.append((merchant, stars_text(change.old_stars), stars_text(rating.stars), rating))
        # Members of the whole batch in one fan-out (a constant number of queries per batch).
        notify_merchants(kind=STARS_CHANGED.code, events=events, actor=actor, fetch=False)
        notified += len(events)
        followers_notify_stars(changes=followed)  # the citizens following them: one query per batch
    return notified
