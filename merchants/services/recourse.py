"""The merchant's recourse against a rating: appeal, right to reply and re-inspection.

Modelled on the FHRS safeguards: an appeal within 21 days decided within 21 days by
someone who took no part in the facts; a reply published under the rating in the
merchant's own words after moderation; a re-inspection within 3 months of a
request, after which the rating may go down as well as up.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.public_cache import public_pages_changed

from ..audit_actions import AuditAction
from ..models import (
    INSPECTION_ITEMS,
    AppealStatus,
    FindingLevel,
    Inspection,
    ListEntry,
    Merchant,
    Penalty,
    Rating,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
    ReinspectionStatus,
    ReplyStatus,
)
from ..notices import (
    notify_appeal_decided,
    notify_reinspection_decided,
    notify_reply_decided,
)
from ..selectors.findings import ITEM_NAMES, open_items, reinspection_target
from ..workflow import APPEAL_WORKFLOW, REINSPECTION_WORKFLOW, REPLY_WORKFLOW
from .rating_policy import rating_policy_active
from .register import merchant_mark_rating_stale
from .suggestions import SUGGESTION_KINDS, raise_rating_suggestions  # noqa: F401 - one import path

APPEAL_WINDOW_DAYS = 21
APPEAL_DECISION_DAYS = 21
REPLY_MAX_CHARS = 500
REINSPECTION_MONTHS = 3


# --- appeals -------------------------------------------------------------------------------


def appeal_deadline(rating: Rating) -> date:
    return timezone.localdate(rating.computed_at) + timedelta(days=APPEAL_WINDOW_DAYS)


def appeal_file(*, merchant: Merchant, grounds: str, actor: User | None) -> RatingAppeal:
    """Within 21 days of the current rating, one open appeal at a time."""
    grounds = (grounds or "").strip()
    if len(grounds) < 5:
        raise ValidationFailed(_("请写明申诉理由（不少于 5 个字）。"), details={"field": "grounds"})
    rating = Rating.objects.filter(pk=merchant.current_rating_id).first()
    if rating is None or rating.stars is None:
        raise ValidationFailed(_("暂无可申诉的星级评定。"))
    today = timezone.localdate()
    deadline = appeal_deadline(rating)
    if today > deadline:
        raise ValidationFailed(
            _("申诉须在评定后 21 日内提出；本次评定的申诉期已于 %(d)s 届满。") % {"d": deadline.isoformat()},
            details={"deadline": deadline.isoformat()},
        )
    open_appeal = RatingAppeal.objects.filter(merchant=merchant, status=AppealStatus.OPEN).first()
    if open_appeal is not None:
        raise ValidationFailed(
            _("已有一项申诉正在处理，预计 %(d)s 前办结，请勿重复申诉。")
            % {"d": open_appeal.decide_by.isoformat()},
            details={"earliest": open_appeal.decide_by.isoformat()},
        )
    try:
        with transaction.atomic():
            appeal = RatingAppeal.objects.create(
                merchant=merchant,
                rating=rating,
                grounds=grounds,
                filed_by=acting_user(actor),
                filed_at=timezone.now(),
                decide_by=today + timedelta(days=APPEAL_DECISION_DAYS),
            )
            Merchant.objects.filter(pk=merchant.pk).update(rating_under_appeal=True, updated_at=timezone.now())
            audit_log(actor=actor, action=AuditAction.APPEAL_FILE, target=appeal, to_status=AppealStatus.OPEN)
            # The profile and the open data show "under appeal" at once, before any recompute.
            transaction.on_commit(public_pages_changed)
    except IntegrityError:
        raise ValidationFailed(_("已有一项申诉正在处理，请勿重复申诉。")) from None
    merchant.rating_under_appeal = True
    return appeal


def staff_involved_in_facts(*, merchant_id: int, user) -> bool:
    """Did ``user`` record or take part in any fact behind the merchant's current rating?"""
    if user is None:
        return False
    since = timezone.localdate() - relativedelta(
        months=rating_policy_active().rules["windows"]["lookback_months"]
    )
    return (
        Inspection.objects.filter(merchant_id=merchant_id, inspected_on__gte=since)
        .filter(Q(inspector_1=user) | Q(inspector_2=user) | Q(created_by=user))
        .exists()
        or Penalty.objects.filter(merchant_id=merchant_id, created_by=user).exists()
        or ListEntry.objects.filter(merchant_id=merchant_id, created_by=user).exists()
    )


def appeal_decide(*, appeal: RatingAppeal, upheld: bool, reason: str, actor: User | None) -> RatingAppeal:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写处理意见。"))
    if staff_involved_in_facts(merchant_id=appeal.merchant_id, user=acting_user(actor)):
        raise NotPermitted(_("您参与了该评定所依据的检查或处罚，须由未参与的工作人员处理申诉。"))
    target = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
    with transaction.atomic():
        APPEAL_WORKFLOW.transition(
            appeal,
            target,
            actor=actor,
            note=reason,
            fields={"decided_by": acting_user(actor), "decided_at": timezone.now(), "decision_reason": reason},
        )
        Merchant.objects.filter(pk=appeal.merchant_id).update(rating_under_appeal=False, updated_at=timezone.now())
        merchant_mark_rating_stale(merchant_ids=[appeal.merchant_id], reason="appeal")
        notify_appeal_decided(appeal=appeal, actor=actor)
        # The notice goes at once, not only once a worker has run the queued recompute.
        transaction.on_commit(public_pages_changed)
    return appeal


# --- right to reply ------------------------------------------------------------------------


def reply_submit(*, merchant: Merchant, text: str, actor: User | None) -> RatingReply:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("回应内容不能为空。"), details={"field": "text"})
    if len(text) > REPLY_MAX_CHARS:
        raise ValidationFailed(
            _("回应内容不能超过 %(n)d 字。") % {"n": REPLY_MAX_CHARS}, details={"field": "text"}
        )
    with transaction.atomic():
        reply = RatingReply.objects.create(merchant=merchant, text=text, submitted_by=acting_user(actor))
        audit_log(actor=actor, action=AuditAction.REPLY_SUBMIT, target=reply, to_status=ReplyStatus.PENDING)
    return reply


def reply_publish(*, reply: RatingReply, actor: User | None, published_text: str | None = None) -> RatingReply:
    """Publish after moderation (staff may strike abusive words); an earlier published reply is withdrawn."""
    text = (published_text if published_text is not None else reply.text).strip()
    if not text:
        raise ValidationFailed(_("公开文本不能为空。"))
    with transaction.atomic():
        for old in RatingReply.objects.filter(
            merchant_id=reply.merchant_id, status=ReplyStatus.PUBLISHED
        ).exclude(pk=reply.pk):
            REPLY_WORKFLOW.transition(old, ReplyStatus.WITHDRAWN, actor=actor, note=_("被新的回应替换"))
        REPLY_WORKFLOW.transition(
            reply,
            ReplyStatus.PUBLISHED,
            actor=actor,
            fields={"published_text": text, "reviewed_by": acting_user(actor), "reviewed_at": timezone.now()},
        )
        notify_reply_decided(reply=reply, actor=actor)
        transaction.on_commit(public_pages_changed)
    return reply


def reply_reject(*, reply: RatingReply, reason: str, actor: User | None) -> RatingReply:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写不予发布的原因。"))
    with transaction.atomic():
        REPLY_WORKFLOW.transition(
            reply,
            ReplyStatus.REJECTED,
            actor=actor,
            note=reason,
            fields={"review_note": reason[:300], "reviewed_by": acting_user(actor), "reviewed_at": timezone.now()},
        )
        notify_reply_decided(reply=reply, actor=actor)
    return reply


def reply_withdraw(*, reply: RatingReply, actor: User | None) -> RatingReply:
    was_public = reply.status == ReplyStatus.PUBLISHED
    with transaction.atomic():
        REPLY_WORKFLOW.transition(reply, ReplyStatus.WITHDRAWN, actor=actor)
        if was_public:
            transaction.on_commit(public_pages_changed)
    return reply


# --- re-inspection -------------------------------------------------------------------------


def reinspection_request(*, merchant: Merchant, improvements: str, actor: User | None) -> ReinspectionRequest:
    improvements = (improvements or "").strip()
    if len(improvements) < 5:
        raise ValidationFailed(_("请说明整改情况（不少于 5 个字）。"), details={"field": "improvements"})
    if reinspection_target(merchant_id=merchant.pk) is None:
        # Only findings still counted (in the look-back window, not already superseded) can be re-checked.
        raise ValidationFailed(_("没有需要整改的检查发现，无需申请复查。"))
    if ReinspectionRequest.objects.filter(
        merchant=merchant, status__in=[ReinspectionStatus.REQUESTED, ReinspectionStatus.SCHEDULED]
    ).exists():
        raise ValidationFailed(_("已有一项复查申请在办理中。"))
    today = timezone.localdate()
    try:
        with transaction.atomic():
            req = ReinspectionRequest.objects.create(
                merchant=merchant,
                improvements=improvements,
                requested_by=acting_user(actor),
                requested_at=timezone.now(),
                visit_by=today + relativedelta(months=REINSPECTION_MONTHS),
            )
            audit_log(
                actor=actor, action=AuditAction.REINSPECTION_REQUEST, target=req, to_status=ReinspectionStatus.REQUESTED
            )
    except IntegrityError:
        raise ValidationFailed(_("已有一项复查申请在办理中。")) from None
    return req


def reinspection_schedule(*, request: ReinspectionRequest, visit_on: date, actor: User | None) -> ReinspectionRequest:
    if visit_on < timezone.localdate() or visit_on > request.visit_by:
        raise ValidationFailed(
            _("复查须安排在今天至 %(d)s 之间（申请后三个月内）。") % {"d": request.visit_by.isoformat()}
        )
    with transaction.atomic():
        REINSPECTION_WORKFLOW.transition(
            request,
            ReinspectionStatus.SCHEDULED,
            actor=actor,
            fields={"scheduled_for": visit_on, "handled_by": acting_user(actor)},
        )
        notify_reinspection_decided(request=request, actor=actor)
    return request


def reinspection_refuse(*, request: ReinspectionRequest, reason: str, actor: User | None) -> ReinspectionRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写不予受理的原因。"))
    with transaction.atomic():
        REINSPECTION_WORKFLOW.transition(
            request, ReinspectionStatus.REFUSED, actor=actor, note=reason, fields={"note": reason[:300]}
        )
        notify_reinspection_decided(request=request, actor=actor)
    return request


def reinspection_complete(
    *, request: ReinspectionRequest, inspection: Inspection, actor: User | None, items=None
) -> ReinspectionRequest:
    """Link the visit's inspection; its result supersedes the re-checked inspection's findings.

    As in the FHRS, the re-inspection replaces the earlier findings for the items it re-checked
    (``items``; all of them by default, and always every item the visit itself found a problem with),
    better or worse. Items it did not re-check keep the earlier finding. The earlier visit stays on
    record, marked (``superseded_items``, ``superseded_by``) so the rating facts simply skip those
    items. Which inspection is re-checked is ``reinspection_target``: the one the portal promised.
    """
    if inspection.merchant_id != request.merchant_id:
        raise ValidationFailed(_("复查记录须属于同一市场主体。"))
    rechecked = set(ITEM_NAMES if items is None else items)
    if not rechecked or not rechecked <= set(ITEM_NAMES):
        raise ValidationFailed(_("请选择本次复查的检查项目。"), details={"field": "items"})
    # A problem the visit recorded is a re-checked item whatever was ticked.
    rechecked |= {name for name in ITEM_NAMES if getattr(inspection, name) != FindingLevel.PASS}
    REINSPECTION_WORKFLOW.check(request.status, ReinspectionStatus.DONE)
    with transaction.atomic():
        visit = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if visit.rechecks_id is not None or ReinspectionRequest.objects.filter(inspection=visit).exists():
            raise ValidationFailed(_("该检查记录已作为另一次复查的结果，不能重复使用。"))
        if visit.inspected_on < timezone.localdate(request.requested_at):
            raise ValidationFailed(_("复查记录须是申请复查之后的现场检查。"))
        original = reinspection_target(merchant_id=request.merchant_id, visit=visit, as_of=visit.inspected_on)
        if original is None:
            raise ValidationFailed(_("该主体没有可供本次复查取代的检查发现。"))
        original = Inspection.objects.select_for_update().get(pk=original.pk)
        still_open = open_items(original)
        superseded = sorted(set(original.superseded_item_names) | rechecked, key=ITEM_NAMES.index)
        original.superseded_items = ",".join(superseded)
        original.superseded_by = visit
        original.superseded_at = timezone.now()
        original.save(update_fields=["superseded_items", "superseded_by", "superseded_at"])
        visit.rechecks = original
        visit.save(update_fields=["rechecks"])
        REINSPECTION_WORKFLOW.transition(
            request, ReinspectionStatus.DONE, actor=actor, fields={"inspection": visit}
        )
        labels = dict(INSPECTION_ITEMS)
        order = sorted(rechecked, key=ITEM_NAMES.index)
        audit_log(
            actor=actor,
            action=AuditAction.INSPECTION_SUPERSEDE,
            target=original,
            to_status="superseded",
            note=_("%(d)s 复查取代：%(items)s")
            % {"d": visit.inspected_on.isoformat(), "items": "、".join(str(labels[n]) for n in order)},
            data={
                "by": visit.pk,
                "request": request.pk,
                "items": order,
                "findings_superseded": [n for n in still_open if n in rechecked],
            },
        )
        merchant_mark_rating_stale(merchant_ids=[request.merchant_id], reason="reinspection")
        notify_reinspection_decided(request=request, actor=actor, inspection=visit)
        transaction.on_commit(public_pages_changed)
    return request
