"""The merchant's side (direct settlement, replies, proposals) and the complainant's answer to a proposal."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, TransitionNotAllowed, ValidationFailed

from ..models import (
    MERCHANT_VISIBLE_STATUSES,
    Complaint,
    ComplaintKind,
    MerchantReply,
    ProposalStatus,
    Status,
)
from ..workflow import COMPLAINT_WORKFLOW
from .common import ACCEPTANCE_DAYS, deadlines, locked, mark_rating_stale, notify_later, now, today

REPLY_STATUSES = (Status.ODR, Status.ASSIGNED, Status.MEDIATING)


def _require_member(actor, merchant_id: int | None) -> None:
    from merchants.selectors import merchants_for_user

    if merchant_id is None or not merchants_for_user(actor).filter(pk=merchant_id).exists():
        raise NotFound(_("未找到该投诉。"))


def merchant_odr_enroll(*, merchant, actor, enrolled: bool) -> None:
    """Join or leave direct settlement (ODR): complaints filed afterwards may go to the merchant first."""
    from merchants.models import Merchant

    _require_member(actor, merchant.pk)
    with transaction.atomic():
        m = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if m.odr_enrolled == bool(enrolled):
            return
        m.odr_enrolled = bool(enrolled)
        m.save(update_fields=["odr_enrolled", "updated_at"])
        audit_log(
            actor=actor,
            action="merchant.odr_enroll" if enrolled else "merchant.odr_leave",
            target=m,
            to_status="enrolled" if enrolled else "not_enrolled",
        )
    merchant.odr_enrolled = bool(enrolled)


def complaint_merchant_reply(*, complaint: Complaint, actor, body: str, proposal: str = "") -> MerchantReply:
    """The merchant answers through the portal; its first reply to an assigned complaint opens mediation."""
    if len((body or "").strip()) < 2:
        raise ValidationFailed(_("请填写答复内容。"), details={"body": "required"})
    with transaction.atomic():
        c = locked(complaint)
        if c.kind != ComplaintKind.COMPLAINT or c.status not in MERCHANT_VISIBLE_STATUSES:
            raise NotFound(_("未找到该投诉。"))
        _require_member(actor, c.merchant_id)
        if c.status not in REPLY_STATUSES:
            raise TransitionNotAllowed(_("该投诉当前状态（%(s)s）不能答复。") % {"s": c.get_status_display()})
        proposal = (proposal or "").strip()
        if proposal and c.replies.filter(proposal_status=ProposalStatus.PENDING).exists():
            raise TransitionNotAllowed(_("上一个和解方案尚待投诉人确认，暂不能提出新方案。"))
        reply = MerchantReply.objects.create(
            complaint=c,
            author=actor,
            body=body.strip(),
            proposal=proposal,
            proposal_status=ProposalStatus.PENDING if proposal else ProposalStatus.NONE,
        )
        if c.merchant_replied_at is None:
            c.merchant_replied_at = now()
            c.save(update_fields=["merchant_replied_at", "updated_at"])
        audit_log(
            actor=actor,
            action="complaint.merchant_reply",
            target=c,
            data={"reply": reply.pk, "proposal": bool(proposal)},
        )
        if c.status == Status.ASSIGNED:
            COMPLAINT_WORKFLOW.transition(c, Status.MEDIATING, actor=actor, note=_("经营者答复，进入调解"))
        notify_later(c.pk, "merchant_reply")
    return reply


def _to_bureau(c: Complaint, *, actor, note: str) -> None:
    """ODR failed: the bureau's clock starts now, so the settlement time never counts against it."""
    COMPLAINT_WORKFLOW.transition(
        c,
        Status.RECEIVED,
        actor=actor,
        note=note,
        fields={
            "received_at": now(),
            **deadlines(c, due_on=(today(), ACCEPTANCE_DAYS), merchant_reply_due_on=None),
        },
    )


def complaint_decide_proposal(*, complaint: Complaint, reply_id: int, accept: bool, actor=None) -> Complaint:
    """The complainant (proved by tracking code + phone) accepts or rejects the merchant's proposal."""
    with transaction.atomic():
        c = locked(complaint)
        try:
            reply = MerchantReply.objects.select_for_update().get(
                pk=reply_id, complaint=c, proposal_status=ProposalStatus.PENDING
            )
        except MerchantReply.DoesNotExist:
            raise NotFound(_("没有待确认的和解方案。")) from None
        if c.status not in (Status.ODR, Status.MEDIATING):
            raise TransitionNotAllowed(_("该投诉当前状态不能确认和解方案。"))
        reply.proposal_status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
        reply.decided_at = now()
        reply.save(update_fields=["proposal_status", "decided_at"])
        audit_log(
            actor=actor,
            action="complaint.proposal_accepted" if accept else "complaint.proposal_rejected",
            target=c,
            data={"reply": reply.pk},
        )
        if accept:
            target = Status.SETTLED if c.status == Status.ODR else Status.MEDIATED
            fields = {"agreement": reply.proposal, "closed_at": now(), **deadlines(c, due_on=None)}
            if target == Status.MEDIATED and c.due_on and today() > c.due_on:
                fields["closed_late"] = True
            COMPLAINT_WORKFLOW.transition(
                c, target, actor=actor, note=_("投诉人接受经营者的和解方案"), fields=fields
            )
            from ..models import Escalation

            Escalation.objects.filter(complaint=c, resolved_at__isnull=True).update(resolved_at=now())
            mark_rating_stale(c, "complaint settled")
            notify_later(c.pk, target)
        elif c.status == Status.ODR:
            _to_bureau(c, actor=actor, note=_("投诉人拒绝和解方案，转市场监管部门处理"))
    return c


def complaint_odr_expire(*, complaint_id: int) -> bool:
    """The 10 working days of direct settlement ran out without a settlement: hand it to the bureau."""
    with transaction.atomic():
        try:
            c = locked(complaint_id)
        except NotFound:
            return False
        if c.status != Status.ODR or c.odr_due_on is None or today() <= c.odr_due_on:
            return False
        c.replies.filter(proposal_status=ProposalStatus.PENDING).update(
            proposal_status=ProposalStatus.REJECTED
        )
        if c.merchant_replied_at is None and not c.merchant_unanswered:
            c.merchant_unanswered = True
            c.save(update_fields=["merchant_unanswered", "updated_at"])
            audit_log(
                actor=None, action="complaint.merchant_unanswered", target=c, data={"due": str(c.odr_due_on)}
            )
            mark_rating_stale(c, "complaint unanswered")
        _to_bureau(c, actor=None, note=_("和解期限届满未和解，转市场监管部门处理"))
    return True
