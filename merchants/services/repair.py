"""Credit repair (信用修复): a merchant asks to end a black-list entry or a penalty's publicity early.

Minimum periods (from the active policy): moderate penalty 3 months, serious penalty
or serious-dishonesty entry 1 year; judgment defaulters leave only by court decision;
minor penalties are shown only 3 months and are not repaired early. Staff decide
within 7 working days; approval ends the entry or the publicity and marks the rating stale.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.uploads import DOCUMENT_TYPES, check_upload
from integrity_portal.core.workdays import add_working_days_ex

from ..audit_actions import AuditAction
from ..models import (
    OPEN_REPAIR_STATUSES,
    CreditRepairRequest,
    ListEntry,
    Merchant,
    Penalty,
    PenaltyTier,
    RepairEvidence,
    RepairStatus,
)
from ..notices import notify_repair_decided
from ..selectors.repair import repair_earliest_date, repair_fact_open
from ..workflow import REPAIR_WORKFLOW
from .deadlines import REPAIR_DECIDE_DAYS
from .register import merchant_mark_rating_stale

#: Evidence of a correction: photos or documents.
EVIDENCE_TYPES = DOCUMENT_TYPES


def _required(value, label) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("%(f)s不能为空。") % {"f": label}, details={"field": str(label)})
    return value


def repair_request_submit(
    *,
    merchant: Merchant,
    application: str,
    pledge_text: str,
    pledge_signed: bool,
    actor: User | None,
    list_entry: ListEntry | None = None,
    penalty: Penalty | None = None,
    evidence_files=(),
) -> CreditRepairRequest:
    if (list_entry is None) == (penalty is None):
        raise ValidationFailed(_("请选择一条黑名单记录或一项行政处罚申请修复。"))
    target = list_entry or penalty
    if target.merchant_id != merchant.pk:
        raise NotPermitted(_("只能为本单位的记录申请信用修复。"))
    application = _required(application, _("修复申请书"))
    pledge_text = _required(pledge_text, _("信用修复承诺书"))
    if not pledge_signed:
        raise ValidationFailed(_("须签署信用修复承诺书。"))
    if not evidence_files:
        raise ValidationFailed(_("请上传整改到位的证明材料。"))
    # By content, one checker for every upload; each file is renamed upload<detected ext> for storage.
    checked = [check_upload(f, allowed=EVIDENCE_TYPES, field="evidence") for f in evidence_files]
    today = timezone.localdate()
    # The facts the portal offers (``selectors.portal.member_repair_candidates``), by the same definition.
    if list_entry is not None and not repair_fact_open(list_entry=list_entry, as_of=today):
        raise ValidationFailed(_("该名单记录已不在列，无需修复。"))
    if penalty is not None and not repair_fact_open(penalty=penalty, as_of=today):
        raise ValidationFailed(_("该行政处罚不在公示期内，无需修复。"))
    earliest = repair_earliest_date(list_entry=list_entry, penalty=penalty)
    if earliest is None:
        if penalty is not None and penalty.tier == PenaltyTier.MINOR:
            raise ValidationFailed(
                _("简易程序（轻微）处罚公示期仅三个月，期满自动停止公示，不受理提前修复。")
            )
        if penalty is not None:
            raise ValidationFailed(
                _("该处罚的公示期不长于最短公示期，将于 %(d)s 期满自动停止公示，不受理提前修复。")
                % {"d": penalty.publicity_until.isoformat() if penalty.publicity_until else "—"}
            )
        raise ValidationFailed(_("失信被执行人由人民法院决定移出，本平台不受理修复。"))
    if today < earliest:
        raise ValidationFailed(
            _("尚未达到最短公示期，最早可于 %(d)s 申请信用修复。") % {"d": earliest.isoformat()},
            details={"earliest": earliest.isoformat()},
        )
    pending = ValidationFailed(_("该记录已有待审核的修复申请。"))
    with transaction.atomic():
        # Lock the fact's row so parallel submissions for it queue here and the second sees the first's
        # request; the partial unique constraint (one open request per fact) is the guarantee behind it.
        type(target).objects.select_for_update().filter(pk=target.pk).first()
        if CreditRepairRequest.objects.filter(
            list_entry=list_entry, penalty=penalty, status__in=OPEN_REPAIR_STATUSES
        ).exists():
            raise pending
        # Provisional when the 7 working days reach a year without its official holiday schedule.
        decide_by, provisional = add_working_days_ex(today, REPAIR_DECIDE_DAYS)
        try:
            with transaction.atomic():
                request = CreditRepairRequest.objects.create(
                    merchant=merchant,
                    list_entry=list_entry,
                    penalty=penalty,
                    application=application,
                    pledge_text=pledge_text,
                    pledge_signed=True,
                    submitted_by=acting_user(actor),
                    decide_by=decide_by,
                    decide_by_provisional=provisional,
                )
        except IntegrityError:
            raise pending from None
        for f, found in zip(evidence_files, checked, strict=True):
            f.seek(0)
            RepairEvidence.objects.create(request=request, file=f, original_name=found.original_name)
        audit_log(actor=actor, action=AuditAction.REPAIR_SUBMIT, target=request, to_status=RepairStatus.SUBMITTED)
    return request


def repair_request_decide(
    *, request: CreditRepairRequest, approve: bool, reason: str, actor: User | None
) -> CreditRepairRequest:
    """Approve (ends the entry or the publicity, rating stale) or refuse, always with a reason."""
    reason = _required(reason, _("审核意见"))
    target = RepairStatus.APPROVED if approve else RepairStatus.REFUSED
    now = timezone.now()
    with transaction.atomic():
        # The map refuses a decided request; the conditional update inside makes a parallel decision lose.
        REPAIR_WORKFLOW.transition(
            request,
            target,
            actor=actor,
            note=reason,
            fields={
                "decided_by": acting_user(actor),
                "decided_at": now,
                "decision_reason": reason,
            },
        )
        if approve:
            note = _("信用修复：%(r)s") % {"r": reason}
            if request.list_entry_id:
                ListEntry.objects.filter(pk=request.list_entry_id, ended_at__isnull=True).update(
                    ended_at=now, end_reason=note[:300]
                )
            else:
                Penalty.objects.filter(pk=request.penalty_id, publicity_ended_at__isnull=True).update(
                    publicity_ended_at=now, publicity_end_reason=note[:300]
                )
            merchant_mark_rating_stale(merchant_ids=[request.merchant_id], reason="repair")
        notify_repair_decided(request=request, actor=actor)
    return request
