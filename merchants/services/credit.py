"""Services for credit facts: commitments, inspections, penalties, list entries and credit repair.

Every write marks the merchant's rating stale in the same transaction
(``merchant_mark_rating_stale``), which queues a recompute on commit; the beat
sweep catches anything the queue loses.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed
from integrity_portal.core.workdays import add_working_days

from ..models import (
    BLACK_KINDS,
    INSPECTION_ITEMS,
    RED_KINDS,
    Commitment,
    CommitmentKind,
    FindingLevel,
    Inspection,
    InspectionOutcome,
    ListEntry,
    ListEntryKind,
    ListName,
    Merchant,
    Penalty,
    PenaltyKind,
    PenaltyTier,
)
from ..selectors.credit import q_entry_in_force
from .rating_policy import rating_policy_active
from .register import merchant_mark_rating_stale
from .repair import repair_earliest_date, repair_request_decide, repair_request_submit  # noqa: F401 - one import path

COMMITMENT_TEXT_VERSION = "2026-1"
SERIOUS_DISHONESTY_YEARS = 3
ABNORMAL_ESCALATION_YEARS = 3


def _required(value, label) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("%(f)s不能为空。") % {"f": label}, details={"field": str(label)})
    return value


# --- commitments ---------------------------------------------------------------------------


def commitment_text(kind: str) -> str:
    label = dict(CommitmentKind.choices).get(kind, "")
    return _(
        "本单位自愿作出%(kind)s：严格遵守法律法规，明码标价、足斤足两、不作虚假宣传，"
        "保证商品和服务质量，主动接受社会监督；如有违背，愿意承担相应责任，并接受依法依规实施的失信惩戒。"
    ) % {"kind": label}


def commitment_sign(*, merchant: Merchant, kind: str, actor, valid_until: date | None = None) -> Commitment:
    if kind not in CommitmentKind.values:
        raise ValidationFailed(_("未知的承诺类型。"))
    today = timezone.localdate()
    valid_until = valid_until or today + relativedelta(years=1)
    if valid_until <= today or valid_until > today + relativedelta(years=3):
        raise ValidationFailed(_("承诺有效期须在今天之后、三年以内。"))
    with transaction.atomic():
        commitment = Commitment.objects.create(
            merchant=merchant,
            kind=kind,
            text_version=COMMITMENT_TEXT_VERSION,
            text=commitment_text(kind),
            signed_by=actor if getattr(actor, "is_authenticated", False) else None,
            signed_at=timezone.now(),
            valid_until=valid_until,
        )
        audit_log(actor=actor, action="commitment.sign", target=commitment, to_status="signed")
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="commitment")
    return commitment


def commitment_revoke(*, commitment: Commitment, reason: str, actor) -> Commitment:
    reason = _required(reason, _("撤销原因"))
    with transaction.atomic():
        updated = Commitment.objects.filter(pk=commitment.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            revoked_by=actor if getattr(actor, "is_authenticated", False) else None,
            revoke_reason=reason,
        )
        if not updated:
            raise TransitionNotAllowed(_("该承诺书已被撤销。"))
        commitment.refresh_from_db()
        audit_log(
            actor=actor, action="commitment.revoke", target=commitment, to_status="revoked", note=reason
        )
        merchant_mark_rating_stale(merchant_ids=[commitment.merchant_id], reason="commitment")
    return commitment


# --- inspections ---------------------------------------------------------------------------


def inspection_record(
    *,
    merchant: Merchant,
    inspected_on: date,
    findings: dict[str, str],
    outcome: str,
    actor,
    inspector_1=None,
    inspector_2=None,
    inspector_names: str = "",
    plan: str = "",
    notes: str = "",
    published: bool = True,
) -> Inspection:
    if inspected_on > timezone.localdate():
        raise ValidationFailed(_("检查日期不能晚于今天。"))
    if inspector_1 is not None and inspector_1 == inspector_2:
        raise ValidationFailed(_("现场检查须由两名不同的执法人员进行。"))
    values = {}
    for name, label in INSPECTION_ITEMS:
        level = findings.get(name, FindingLevel.PASS)
        if level not in FindingLevel.values:
            raise ValidationFailed(_("%(item)s 的检查结果无效。") % {"item": label})
        values[name] = level
    if outcome not in InspectionOutcome.values:
        raise ValidationFailed(_("检查结论无效。"))
    with transaction.atomic():
        inspection = Inspection.objects.create(
            merchant=merchant,
            inspected_on=inspected_on,
            inspector_1=inspector_1,
            inspector_2=inspector_2,
            inspector_names=inspector_names,
            plan=plan,
            outcome=outcome,
            notes=notes,
            published=published,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **values,
        )
        audit_log(actor=actor, action="inspection.record", target=inspection, to_status=outcome)
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="inspection")
    return inspection


def inspection_saved(*, inspection: Inspection, actor, created: bool) -> None:
    """For the admin form, which saves the row itself: audit and mark the rating stale."""
    audit_log(actor=actor, action="inspection.record" if created else "inspection.change", target=inspection)
    merchant_mark_rating_stale(merchant_ids=[inspection.merchant_id], reason="inspection")


# --- penalties -----------------------------------------------------------------------------


def penalty_publicity_window(*, decided_on: date, tier: str, kind: str, rules: dict) -> dict:
    """Warnings alone are not published; others within 20 working days, for the tier's months."""
    publish_by = add_working_days(decided_on, 20)
    if kind == PenaltyKind.WARNING:
        return {"published": False, "publish_by": None, "publicity_from": None, "publicity_until": None}
    publicity_from = max(decided_on, min(timezone.localdate(), publish_by))
    months = rules["publicity_months"][tier]
    return {
        "published": True,
        "publish_by": publish_by,
        "publicity_from": publicity_from,
        "publicity_until": publicity_from + relativedelta(months=months),
    }


def penalty_record(
    *,
    merchant: Merchant,
    decision_number: str,
    decided_on: date,
    legal_basis: str,
    kind: str,
    tier: str,
    actor,
    fine_yuan=0,
    facts: str = "",
) -> Penalty:
    decision_number = _required(decision_number, _("处罚决定书文号"))
    legal_basis = _required(legal_basis, _("处罚依据"))
    if kind not in PenaltyKind.values or tier not in PenaltyTier.values:
        raise ValidationFailed(_("处罚种类或违法程度无效。"))
    if decided_on > timezone.localdate():
        raise ValidationFailed(_("处罚决定日期不能晚于今天。"))
    if Penalty.objects.filter(decision_number=decision_number).exists():
        raise ValidationFailed(
            _("处罚决定书文号“%(n)s”已存在，不能重复录入。") % {"n": decision_number},
            details={"field": "decision_number"},
        )
    window = penalty_publicity_window(
        decided_on=decided_on, tier=tier, kind=kind, rules=rating_policy_active().rules
    )
    try:
        with transaction.atomic():
            penalty = Penalty.objects.create(
                merchant=merchant,
                decision_number=decision_number,
                decided_on=decided_on,
                legal_basis=legal_basis,
                kind=kind,
                tier=tier,
                fine_yuan=fine_yuan or 0,
                facts=facts,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                **window,
            )
            audit_log(actor=actor, action="penalty.record", target=penalty, to_status=tier)
            merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="penalty")
    except IntegrityError:
        raise ValidationFailed(
            _("处罚决定书文号“%(n)s”已存在，不能重复录入。") % {"n": decision_number}
        ) from None
    return penalty


def penalty_revoke(*, penalty: Penalty, reason: str, actor) -> Penalty:
    """A revoked decision leaves publicity at once."""
    reason = _required(reason, _("撤销原因"))
    with transaction.atomic():
        if not Penalty.objects.filter(pk=penalty.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        ):
            raise TransitionNotAllowed(_("该处罚决定已撤销。"))
        penalty.refresh_from_db()
        audit_log(actor=actor, action="penalty.revoke", target=penalty, to_status="revoked", note=reason)
        merchant_mark_rating_stale(merchant_ids=[penalty.merchant_id], reason="penalty")
    return penalty


# --- list entries --------------------------------------------------------------------------


def _list_entry_add(
    *,
    merchant,
    list_name,
    kind,
    reason,
    legal_basis,
    decision_number,
    decided_by,
    valid_from,
    valid_until,
    actor,
) -> ListEntry:
    reason = _required(reason, _("列入事由"))
    legal_basis = _required(legal_basis, _("列入依据"))
    decision_number = _required(decision_number, _("决定书文号"))
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationFailed(_("届满日期须晚于列入日期。"))
    with transaction.atomic():
        existing = ListEntry.objects.filter(
            merchant=merchant, list_name=list_name, decision_number=decision_number
        ).first()
        if existing is not None:
            return existing
        entry = ListEntry.objects.create(
            merchant=merchant,
            list_name=list_name,
            kind=kind,
            reason=reason,
            legal_basis=legal_basis,
            decision_number=decision_number,
            decided_by=decided_by or "",
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_log(actor=actor, action=f"list_entry.add_{list_name}", target=entry, to_status=kind)
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="list_entry")
    return entry


def list_entry_add_red(
    *,
    merchant,
    kind: str,
    reason: str,
    legal_basis: str,
    decision_number: str,
    valid_from: date,
    valid_until: date | None,
    actor,
    decided_by: str = "",
) -> ListEntry:
    """Idempotent per (merchant, decision number): many merchants share one commendation notice."""
    if kind not in RED_KINDS:
        raise ValidationFailed(_("红名单类别无效。"))
    return _list_entry_add(
        merchant=merchant,
        list_name=ListName.RED,
        kind=kind,
        reason=reason,
        legal_basis=legal_basis,
        decision_number=decision_number,
        decided_by=decided_by,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def list_entry_add_black(
    *,
    merchant,
    kind: str,
    reason: str,
    legal_basis: str,
    decision_number: str,
    decided_by: str,
    valid_from: date,
    actor,
    valid_until: date | None = None,
) -> ListEntry:
    """Serious dishonesty ends by itself after 3 years; the other kinds run until removed."""
    if kind not in BLACK_KINDS:
        raise ValidationFailed(_("黑名单类别无效。"))
    decided_by = _required(decided_by, _("作出决定机关"))
    if kind == ListEntryKind.SERIOUS_DISHONESTY and valid_until is None:
        valid_until = valid_from + relativedelta(years=SERIOUS_DISHONESTY_YEARS)
    if ListEntry.objects.filter(
        merchant=merchant, list_name=ListName.BLACK, decision_number=(decision_number or "").strip()
    ).exists():
        raise ValidationFailed(_("该决定书文号已用于此市场主体的黑名单记录。"))
    return _list_entry_add(
        merchant=merchant,
        list_name=ListName.BLACK,
        kind=kind,
        reason=reason,
        legal_basis=legal_basis,
        decision_number=decision_number,
        decided_by=decided_by,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def list_entry_remove(*, entry: ListEntry, reason: str, actor) -> ListEntry:
    reason = _required(reason, _("移出原因"))
    with transaction.atomic():
        if not ListEntry.objects.filter(pk=entry.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        ):
            raise TransitionNotAllowed(_("该名单记录已移出。"))
        entry.refresh_from_db()
        audit_log(actor=actor, action="list_entry.remove", target=entry, to_status="ended", note=reason)
        merchant_mark_rating_stale(merchant_ids=[entry.merchant_id], reason="list_entry")
    return entry


def list_entries_expire(*, as_of: date | None = None, actor=None) -> dict:
    """End entries whose term is over and escalate 3-year-old abnormal-operation entries.

    Idempotent: an ended entry is never touched again; an escalation is created once
    (the new entry's decision number is derived from the old one and unique per merchant).
    """
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    expired = escalated = 0
    with transaction.atomic():
        due = list(
            ListEntry.objects.select_for_update().filter(
                ended_at__isnull=True, valid_until__isnull=False, valid_until__lte=as_of
            )
        )
        for entry in due:
            ListEntry.objects.filter(pk=entry.pk).update(ended_at=now, end_reason=_("期限届满，自动移出"))
            audit_log(actor=actor, action="list_entry.expire", target=entry, to_status="ended")
        expired = len(due)
        limit = as_of - relativedelta(years=ABNORMAL_ESCALATION_YEARS)
        stale_abnormal = list(
            ListEntry.objects.select_for_update().filter(
                q_entry_in_force(as_of), kind=ListEntryKind.ABNORMAL_OPERATION, valid_from__lte=limit
            )
        )
        for entry in stale_abnormal:
            new = ListEntry.objects.create(
                merchant_id=entry.merchant_id,
                list_name=ListName.BLACK,
                kind=ListEntryKind.SERIOUS_DISHONESTY,
                reason=_("列入经营异常名录届满三年仍未履行相关义务"),
                legal_basis=_("《市场监督管理严重违法失信名单管理办法》"),
                decision_number=f"{entry.decision_number}-转严重",
                decided_by=entry.decided_by,
                valid_from=as_of,
                valid_until=as_of + relativedelta(years=SERIOUS_DISHONESTY_YEARS),
            )
            ListEntry.objects.filter(pk=entry.pk).update(
                ended_at=now, end_reason=_("届满三年转入严重违法失信名单"), escalated_to=new
            )
            audit_log(actor=actor, action="list_entry.escalate", target=entry, to_status="escalated")
            audit_log(actor=actor, action="list_entry.add_black", target=new, to_status=new.kind)
        escalated = len(stale_abnormal)
        ids = [e.merchant_id for e in due] + [e.merchant_id for e in stale_abnormal]
        merchant_mark_rating_stale(merchant_ids=ids, reason="list_entry_expiry")
    return {"expired": expired, "escalated": escalated}
