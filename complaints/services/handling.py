"""Staff handling: accept, reject, assign, mediate, close, transfer; reports: verify, extend, decide."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import is_unrestricted, staff_role, user_covers_region
from integrity_portal.core.workflow import workflow_for

from ..audit_actions import LINK_MERCHANT_BY_KIND, AuditAction
from ..models import (
    CLOSED_STATUSES,
    Complaint,
    ComplaintKind,
    Escalation,
    RejectReason,
    Status,
    TerminationReason,
)
from ..workflow import COMPLAINT_WORKFLOW, REPORT_WORKFLOW
from .common import (
    DECISION_DAYS,
    EXTENSION_DAYS,
    FEEDBACK_DAYS,
    MEDIATION_DAYS,
    MERCHANT_REPLY_DAYS,
    deadlines,
    extended_deadline,
    locked,
    mark_late_if_overdue,
    mark_rating_stale,
    notify_later,
    now,
    require_handler,
    today,
)


def _require_kind(c: Complaint, kind: str) -> None:
    if c.kind != kind:
        if kind == ComplaintKind.COMPLAINT:
            raise TransitionNotAllowed(_("该件是举报，不能按投诉办理。"))
        raise TransitionNotAllowed(_("该件是投诉，不能按举报办理。"))


def _resolve_escalations(c: Complaint) -> None:
    Escalation.objects.filter(complaint=c, resolved_at__isnull=True).update(resolved_at=now())


def complaint_close(
    *, complaint: Complaint, target: str, actor: User | None, note: str = "", fields: dict | None = None, reason: str
) -> Complaint:
    """Every closing outcome goes through here: the clerk's decisions and an accepted settlement proposal.

    The caller holds the row (``locked()``) inside its transaction. Stamps ``closed_at``, clears the
    running deadline, marks the item late when the bureau's deadline had passed (not from direct
    settlement: that time is the merchant's, the bureau's clock had not started), resolves open
    escalations, flags the merchant's rating stale in the same transaction (the flag commits with
    the outcome; the recompute is queued after commit) and queues the complainant's notice.
    ``reason`` says why the rating is recomputed (logged if the queue is down).
    """
    if target not in CLOSED_STATUSES:
        raise ValueError(f"complaint_close: {target!r} is not a closing status")
    c = complaint
    values = {"closed_at": now(), **deadlines(c, due_on=None), **(fields or {})}
    if c.status != Status.ODR:
        mark_late_if_overdue(c, values)
    with transaction.atomic():
        workflow_for(c).transition(c, target, actor=actor, note=note, fields=values)
        _resolve_escalations(c)
        mark_rating_stale(c, reason)
        notify_later(c.pk, target)
    return c


def complaint_accept(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        fields = {"accepted_at": now(), **deadlines(c, due_on=(today(), MEDIATION_DAYS))}
        mark_late_if_overdue(c, fields)
        COMPLAINT_WORKFLOW.transition(c, Status.ACCEPTED, actor=actor, note=note, fields=fields)
        _resolve_escalations(c)
        notify_later(c.pk, Status.ACCEPTED)
    return c


def complaint_reject(*, complaint: Complaint, actor: User | None, reason: str, note: str = "") -> Complaint:
    if reason not in RejectReason.values:
        raise ValidationFailed(_("请选择不予受理的法定理由。"), details={"reason": "required"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        label = RejectReason(reason).label
        return complaint_close(
            complaint=c,
            target=Status.REJECTED,
            actor=actor,
            note=f"{label} {note}".strip(),
            fields={"reject_reason": reason, "outcome_note": note},
            reason="complaint rejected",
        )


def complaint_assign(*, complaint: Complaint, actor: User | None, region_code: str, note: str = "") -> Complaint:
    """Hand the complaint to a district unit; moving it to another district is for city staff only."""
    from merchants.models import Region, RegionLevel

    region = Region.objects.filter(code=region_code, level=RegionLevel.DISTRICT).first()
    if region is None:
        raise ValidationFailed(_("请选择承办的区县单位。"), details={"region": "required"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        if region.code != c.region_id:
            if not is_unrestricted(actor) and staff_role(actor) != StaffRole.CITY_BUREAU:
                raise NotPermitted(_("跨区县分派只能由市局工作人员办理。"))
            if not user_covers_region(actor, region.code):
                raise NotPermitted(_("不能分派到您辖区以外的单位。"))
        from_region = c.region_id
        fields = {"region": region}
        if c.merchant_id and c.merchant_replied_at is None and c.merchant_reply_due_on is None:
            fields.update(deadlines(c, merchant_reply_due_on=(today(), MERCHANT_REPLY_DAYS)))
        COMPLAINT_WORKFLOW.transition(
            c,
            Status.ASSIGNED,
            actor=actor,
            note=note,
            fields=fields,
            data={"from_region": from_region, "to_region": region.code},
        )
        from ..notices import notify_merchant_assigned, notify_staff_assigned

        # In this transaction (the outbox): the unit's handlers, and the merchant when its clock starts now.
        notify_staff_assigned(complaint=c, region=region, actor=actor)
        if "merchant_reply_due_on" in fields:
            notify_merchant_assigned(complaint=c, days=MERCHANT_REPLY_DAYS, actor=actor)
    return c


def complaint_start_mediation(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        COMPLAINT_WORKFLOW.transition(c, Status.MEDIATING, actor=actor, note=note)
    return c


def complaint_close_mediated(*, complaint: Complaint, actor: User | None, agreement: str, note: str = "") -> Complaint:
    if len((agreement or "").strip()) < 4:
        raise ValidationFailed(_("调解成功须记录调解协议内容。"), details={"agreement": "required"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        return complaint_close(
            complaint=c,
            target=Status.MEDIATED,
            actor=actor,
            note=note,
            fields={"agreement": agreement.strip(), "outcome_note": note},
            reason="complaint mediated",
        )


def complaint_terminate(*, complaint: Complaint, actor: User | None, reason: str, note: str = "") -> Complaint:
    """End mediation; the parties are told at once (the law allows 7 working days)."""
    if reason not in TerminationReason.values:
        raise ValidationFailed(_("请选择终止调解的理由。"), details={"reason": "required"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        if reason == TerminationReason.NO_AGREEMENT and c.due_on and today() <= c.due_on:
            raise TransitionNotAllowed(
                _("受理之日起45个工作日（至 %(due)s）届满前，不能以“未达成协议”终止调解。")
                % {"due": c.due_on}
            )
        fields = {"termination_reason": reason, "outcome_note": note}
        if reason == TerminationReason.NO_AGREEMENT:
            c.due_on = None  # reaching the 45-day limit is the ground itself, not a missed deadline
        return complaint_close(
            complaint=c,
            target=Status.TERMINATED,
            actor=actor,
            note=f"{TerminationReason(reason).label} {note}".strip(),
            fields=fields,
            reason="complaint terminated",
        )


def complaint_transfer(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    """Close the dispute as a suspected violation and open a report for enforcement."""
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        report = Complaint.objects.create(
            kind=ComplaintKind.REPORT,
            channel=c.channel,
            status=Status.RECEIVED,
            complainant_name=c.complainant_name,
            complainant_phone=c.complainant_phone,
            complainant_address=c.complainant_address,
            complainant_id_number=c.complainant_id_number,
            complainant_email=c.complainant_email,
            consent_personal_data=c.consent_personal_data,
            harm_known_on=c.harm_known_on,
            merchant_id=c.merchant_id,
            target_name=c.target_name,
            target_address=c.target_address,
            region_id=c.region_id,
            category=c.category,
            description=c.description,
            received_at=now(),
            **deadlines(None, due_on=(today(), DECISION_DAYS)),
            related=c,
            created_by=actor,
        )
        audit_log(
            actor=actor, action=AuditAction.REPORT_SUBMIT, target=report, to_status=report.status, data={"from": c.pk}
        )
        complaint_close(
            complaint=c,
            target=Status.TRANSFERRED,
            actor=actor,
            note=note,
            fields={"related": report, "outcome_note": note},
            reason="complaint transferred",
        )
    return c


def complaint_confirm_violation(*, complaint: Complaint, actor: User | None, basis: str) -> Complaint:
    """The enforcement side confirmed a transferred complaint as a violation (a finding of fault).

    Only this, or a report that led to a case, counts as substantiated in the rating and on the public
    page; ``basis`` names what confirmed it (a penalty decision number, the inspection conclusion).
    The complaint stays closed on its transfer date; the confirmation is dated in ``decided_at``.
    """
    basis = (basis or "").strip()
    if len(basis) < 4:
        raise ValidationFailed(
            _("请写明核实依据（如处罚决定书文号或核查结论）。"), details={"basis": "required"}
        )
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.COMPLAINT)
        COMPLAINT_WORKFLOW.transition(
            c,
            Status.CONFIRMED,
            actor=actor,
            note=basis[:300],
            fields={"decided_at": now(), "outcome_note": basis},
        )
        mark_rating_stale(c, "complaint confirmed as violation")
        notify_later(c.pk, Status.CONFIRMED)
    return c


def complaint_link_merchant(*, complaint: Complaint, actor: User | None, merchant_id: int, note: str = "") -> Complaint:
    """Staff link a free-text target to the register; the item follows the merchant's district."""
    from merchants.models import Merchant

    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        raise ValidationFailed(_("未找到该经营者。"), details={"merchant": "missing"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        if not user_covers_region(actor, merchant.region_id):
            raise NotPermitted(_("该经营者不在您的辖区。"))
        if c.merchant_id:
            raise TransitionNotAllowed(_("该件已关联经营者。"))
        c.merchant, c.region_id = merchant, merchant.region_id
        c.save(update_fields=["merchant", "region", "updated_at"])
        audit_log(
            actor=actor, action=LINK_MERCHANT_BY_KIND[c.kind], target=c, note=note, data={"merchant": merchant.pk}
        )
        if c.status not in (Status.ODR, Status.RECEIVED, Status.ACCEPTED, Status.VERIFYING):
            mark_rating_stale(c, "complaint linked")
    return c


def report_start_verification(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.REPORT)
        REPORT_WORKFLOW.transition(c, Status.VERIFYING, actor=actor, note=note)
    return c


def report_extend(*, complaint: Complaint, actor: User | None, reason: str) -> Complaint:
    """Extend the 15-working-day decision deadline once, by 15 more, with a stated reason."""
    if len((reason or "").strip()) < 4:
        raise ValidationFailed(_("延期须说明理由。"), details={"reason": "required"})
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.REPORT)
        if c.status not in (Status.RECEIVED, Status.VERIFYING):
            raise TransitionNotAllowed(_("已作出决定的举报不能延期。"))
        if c.extended:
            raise TransitionNotAllowed(_("立案决定期限只能延长一次。"))
        old_due = c.due_on
        counted = extended_deadline(c, "due_on", EXTENSION_DAYS)
        for name, value in counted.items():
            setattr(c, name, value)
        c.extended, c.extension_reason = True, reason.strip()[:200]
        c.save(update_fields=[*counted, "extended", "extension_reason", "updated_at"])
        audit_log(
            actor=actor,
            action=AuditAction.REPORT_EXTEND,
            target=c,
            note=c.extension_reason,
            data={"from": str(old_due), "to": str(c.due_on)},
        )
    return c


def report_decide(*, complaint: Complaint, actor: User | None, open_case: bool, note: str = "") -> Complaint:
    """立案 or 不予立案; a real-name reporter is told within 5 working days, an anonymous one is not."""
    with transaction.atomic():
        c = locked(complaint)
        require_handler(actor, c)
        _require_kind(c, ComplaintKind.REPORT)
        target = Status.CASE_OPENED if open_case else Status.NOT_OPENED
        fields = {"decided_at": now(), "outcome_note": note}
        if not c.anonymous:
            # Counted together with clearing due_on, so complaint_close keeps both in deadline_basis.
            fields.update(deadlines(c, due_on=None, feedback_due_on=(today(), FEEDBACK_DAYS)))
        c = complaint_close(
            complaint=c, target=target, actor=actor, note=note, fields=fields, reason="report decided"
        )
    return c


def report_send_feedback(*, complaint_id: int, actor: User | None = None) -> bool:
    """Record that the real-name reporter was told the decision; idempotent, False if nothing to do."""
    with transaction.atomic():
        try:
            c = locked(complaint_id)
        except NotFound:
            return False
        if c.kind != ComplaintKind.REPORT or c.anonymous or c.decided_at is None or c.feedback_sent_at:
            return False
        c.feedback_sent_at = now()
        c.save(update_fields=["feedback_sent_at", "updated_at"])
        audit_log(actor=actor, action=AuditAction.REPORT_FEEDBACK, target=c, note=c.get_status_display())
        Escalation.objects.filter(complaint=c, resolved_at__isnull=True).update(resolved_at=now())
    return True


def complaint_apply_action(
    *,
    complaint: Complaint,
    actor: User | None,
    action: str,
    note: str = "",
    reject_reason: str = "",
    termination_reason: str = "",
    region: str = "",
    agreement: str = "",
    merchant_id: int | None = None,
) -> Complaint:
    """One entry point for the staff handling form and the API: a named action plus its parameters."""
    calls = {
        "accept": lambda: complaint_accept(complaint=complaint, actor=actor, note=note),
        "reject": lambda: complaint_reject(complaint=complaint, actor=actor, reason=reject_reason, note=note),
        "assign": lambda: complaint_assign(complaint=complaint, actor=actor, region_code=region, note=note),
        "mediate": lambda: complaint_start_mediation(complaint=complaint, actor=actor, note=note),
        "close_mediated": lambda: complaint_close_mediated(
            complaint=complaint, actor=actor, agreement=agreement, note=note
        ),
        "terminate": lambda: complaint_terminate(
            complaint=complaint, actor=actor, reason=termination_reason, note=note
        ),
        "transfer": lambda: complaint_transfer(complaint=complaint, actor=actor, note=note),
        "confirm_violation": lambda: complaint_confirm_violation(
            complaint=complaint, actor=actor, basis=note
        ),
        "verify": lambda: report_start_verification(complaint=complaint, actor=actor, note=note),
        "extend": lambda: report_extend(complaint=complaint, actor=actor, reason=note),
        "open_case": lambda: report_decide(complaint=complaint, actor=actor, open_case=True, note=note),
        "no_case": lambda: report_decide(complaint=complaint, actor=actor, open_case=False, note=note),
        "link_merchant": lambda: complaint_link_merchant(
            complaint=complaint, actor=actor, merchant_id=merchant_id or 0, note=note
        ),
    }
    if action not in calls:
        raise ValidationFailed(_("未知的办理操作。"), details={"action": "invalid"})
    return calls[action]()
