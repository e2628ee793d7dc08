"""The merchant's side (direct settlement, replies, proposals) and the complainant's answer to a proposal."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, TransitionNotAllowed, ValidationFailed

from ..audit_actions import AuditAction
from ..models import (
    MERCHANT_VISIBLE_STATUSES,
    Complaint,
    ComplaintKind,
    MerchantReply,
    ProposalStatus,
    Status,
)
from ..workflow import COMPLAINT_WORKFLOW, SETTLEMENT_WORKFLOW
from .common import ACCEPTANCE_DAYS, deadlines, locked, mark_rating_stale, notify_later, now, today
from .handling import complaint_close

REPLY_STATUSES = (Status.ODR, Status.ASSIGNED, Status.MEDIATING)


def _require_member(actor: User | None, merchant_id: int | None) -> None:
    from merchants.selectors import merchants_for_user

    if merchant_id is None or not merchants_for_user(actor).filter(pk=merchant_id).exists():
        raise NotFound(_("未找到该投诉。"))


def merchant_odr_enroll(*, merchant, actor: User | None, enrolled: bool) -> None:
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
            action=AuditAction.MERCHANT_ODR_ENROLL if enrolled else AuditAction.MERCHANT_ODR_LEAVE,
            target=m,
            to_status="enrolled" if enrolled else "not_enrolled",
        )
    merchant.odr_enrolled = bool(enrolled)


def complaint_merchant_reply(*, complaint: Complaint, actor: User | None, body: str, proposal: str = "") -> MerchantReply:
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
        reply = reply_add(c, actor=actor, body=body, proposal=proposal, action=AuditAction.COMPLAINT_MERCHANT_REPLY)
        if c.merchant_replied_at is None:
            c.merchant_replied_at = now()
            c.save(update_fields=["merchant_replied_at", "updated_at"])
        if c.status == Status.ASSIGNED:
            COMPLAINT_WORKFLOW.transition(c, Status.MEDIATING, actor=actor, note=_("经营者答复，进入调解"))
    return reply


def reply_add(c: Complaint, *, actor: User | None, body: str, proposal: str, action, station=None) -> MerchantReply:
    """A reply (with a settlement proposal, or not) on the locked complaint ``c``, audited, the complainant
    told after commit; by the merchant, or by a consumer-rights station mediating (``station``)."""
    proposal = (proposal or "").strip()
    if proposal and c.replies.filter(proposal_status=ProposalStatus.PENDING).exists():
        raise TransitionNotAllowed(_("上一个和解方案尚待投诉人确认，暂不能提出新方案。"))
    reply = MerchantReply.objects.create(
        complaint=c,
        author=actor,
        station=station,
        body=body.strip(),
        proposal=proposal,
        proposal_status=ProposalStatus.PENDING if proposal else ProposalStatus.NONE,
    )
    data = {"reply": reply.pk, "proposal": bool(proposal)}
    if station is not None:
        data["station"] = station.pk
    audit_log(actor=actor, action=action, target=c, data=data)
    # A proposal asks the complainant to decide; a plain reply only tells them to read it.
    event = "proposal" if proposal else "merchant_reply"
    notify_later(c.pk, event, key=f"{event}:{reply.pk}")
    return reply


def _to_bureau(c: Complaint, *, actor: User | None, note: str) -> None:
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


def complaint_decide_proposal(*, complaint: Complaint, reply_id: int, accept: bool, actor: User | None = None) -> Complaint:
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
        # Filed in the complaint's history: the tracking page shows the complainant's answer there.
        SETTLEMENT_WORKFLOW.transition(
            reply,
            ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED,
            actor=actor,
            action=AuditAction.COMPLAINT_PROPOSAL_ACCEPTED if accept else AuditAction.COMPLAINT_PROPOSAL_REJECTED,
            fields={"decided_at": now()},
            data={"reply": reply.pk},
            audit_target=c,
        )
        if accept:
            complaint_close(
                complaint=c,
                target=Status.SETTLED if c.status == Status.ODR else Status.MEDIATED,
                actor=actor,
                note=_("投诉人接受经营者的和解方案"),
                fields={"agreement": reply.proposal},
                reason="complaint settled",
            )
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
        # A proposal still pending lapses with the settlement period (at most one: a unique constraint).
        for reply in c.replies.select_for_update().filter(proposal_status=ProposalStatus.PENDING):
            SETTLEMENT_WORKFLOW.transition(
                reply,
                ProposalStatus.REJECTED,
                actor=None,
                action=AuditAction.COMPLAINT_PROPOSAL_LAPSED,
                note=_("和解期限届满，方案未获确认"),
                data={"reply": reply.pk},
                audit_target=c,
            )
        if c.merchant_replied_at is None and not c.merchant_unanswered:
            c.merchant_unanswered = True
            c.save(update_fields=["merchant_unanswered", "updated_at"])
            audit_log(
                actor=None, action=AuditAction.COMPLAINT_MERCHANT_UNANSWERED, target=c, data={"due": str(c.odr_due_on)}
            )
            mark_rating_stale(c, "complaint unanswered")
        _to_bureau(c, actor=None, note=_("和解期限届满未和解，转市场监管部门处理"))
    return True
