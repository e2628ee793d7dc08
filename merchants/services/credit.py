"""Services for credit facts: commitments, inspections, penalties, list entries and credit repair.

Every write marks the merchant's rating stale in the same transaction
(``merchant_mark_rating_stale``), which queues a recompute on commit; the beat
sweep catches anything the queue loses.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.scoping import user_covers_region
from integrity_portal.core.workdays import add_working_days_ex

from ..audit_actions import AuditAction
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
    ListEntrySource,
    ListName,
    Merchant,
    Penalty,
    PenaltyKind,
    PenaltyTier,
)
from ..notices import notify_inspection_recorded, notify_penalty_published
from ..selectors.credit import q_entry_in_force
from .deadlines import PENALTY_PUBLISH_DAYS
from .follow import followers_notify_list
from .rating_policy import PUBLICITY_BOUNDS, rating_policy_active
from .register import merchant_mark_rating_stale
from .repair import repair_request_decide, repair_request_submit  # noqa: F401 - one import path

COMMITMENT_TEXT_VERSION = "2026-1"
SERIOUS_DISHONESTY_YEARS = 3
#: How far back an inspection may be entered: paper records of the last ten years may be backfilled (the rating
#: reads 24 months, a list decision's publicity at most five years); anything older is a mistyped year.
INSPECTION_BACKFILL_YEARS = 10
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


def commitment_sign(*, merchant: Merchant, kind: str, actor: User | None, valid_until: date | None = None) -> Commitment:
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
            signed_by=acting_user(actor),
            signed_at=timezone.now(),
            valid_until=valid_until,
        )
        audit_log(actor=actor, action=AuditAction.COMMITMENT_SIGN, target=commitment, to_status="signed")
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="commitment")
    return commitment


def commitment_revoke(*, commitment: Commitment, reason: str, actor: User | None) -> Commitment:
    reason = _required(reason, _("撤销原因"))
    with transaction.atomic():
        updated = Commitment.objects.filter(pk=commitment.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            revoked_by=acting_user(actor),
            revoke_reason=reason,
        )
        if not updated:
            raise TransitionNotAllowed(_("该承诺书已被撤销。"))
        commitment.refresh_from_db()
        audit_log(
            actor=actor, action=AuditAction.COMMITMENT_REVOKE, target=commitment, to_status="revoked", note=reason
        )
        merchant_mark_rating_stale(merchant_ids=[commitment.merchant_id], reason="commitment")
    return commitment


# --- inspections ---------------------------------------------------------------------------


def inspection_check_inspectors(*, merchant: Merchant, inspector_1, inspector_2) -> tuple:
    """The two inspectors' roster profiles, or a ValidationFailed naming the field at fault.

    Both must be on the roster of the merchant's region (``inspector_roster``) and be two
    different people; a merchant account, an ordinary staff account, an inspector without a
    certificate number or one posted in another city is refused.
    """
    from ..selectors.staff import inspector_roster

    if inspector_1 is None or inspector_2 is None:
        raise ValidationFailed(
            _("现场检查须由两名在册检查人员进行，请选择检查人员。"), details={"field": "inspector_1"}
        )
    if getattr(inspector_1, "pk", inspector_1) == getattr(inspector_2, "pk", inspector_2):
        raise ValidationFailed(
            _("现场检查须由两名不同的执法人员进行。"), details={"field": "inspector_2"}
        )
    roster = {
        p.user_id: p
        for p in inspector_roster(region=merchant.region_id).filter(
            user_id__in=[getattr(inspector_1, "pk", inspector_1), getattr(inspector_2, "pk", inspector_2)]
        )
    }
    profiles = []
    for field, user in (("inspector_1", inspector_1), ("inspector_2", inspector_2)):
        profile = roster.get(getattr(user, "pk", user))
        if profile is None:
            raise ValidationFailed(
                _("所选检查人员不在本辖区检查人员名册中（须为持执法证的检查员）。"), details={"field": field}
            )
        profiles.append(profile)
    return tuple(profiles)


def inspection_check_not_too_early(*, merchant: Merchant, inspected_on: date) -> None:
    """A visit cannot predate the entity (its registration date, when the register has one), nor lie beyond
    the backfill window: both are a mistyped year (0203 for 2023), which would otherwise be published as the
    entity's history."""
    if merchant.registered_on and inspected_on < merchant.registered_on:
        raise ValidationFailed(
            _("检查日期不能早于该主体的成立日期（%(date)s）。")
            % {"date": formats.date_format(merchant.registered_on)},
            details={"field": "inspected_on"},
        )
    earliest = timezone.localdate() - relativedelta(years=INSPECTION_BACKFILL_YEARS)
    if inspected_on < earliest:
        raise ValidationFailed(
            _("检查日期不能早于 %(date)s：只可补录 %(years)s 年内的检查。")
            % {"date": formats.date_format(earliest), "years": INSPECTION_BACKFILL_YEARS},
            details={"field": "inspected_on"},
        )


def inspection_record(
    *,
    merchant: Merchant,
    inspected_on: date,
    findings: dict[str, str],
    outcome: str,
    actor: User | None,
    inspector_1,
    inspector_2,
    plan: str = "",
    notes: str = "",
    published: bool = True,
) -> Inspection:
    """Record an on-site inspection: the only way one is written (admin, API, import alike).

    Never a future date (a visit cannot be published before it happens); two different
    inspectors from the roster of the merchant's region; their names (with certificate
    numbers) are kept on the record as written on the day.
    """
    if getattr(actor, "is_authenticated", False) and not user_covers_region(actor, merchant.region_id):
        raise NotPermitted(_("只能录入本辖区市场主体的检查记录。"))
    if not isinstance(inspected_on, date):
        raise ValidationFailed(_("检查日期无效。"), details={"field": "inspected_on"})
    if inspected_on > timezone.localdate():
        raise ValidationFailed(_("检查日期不能晚于今天。"), details={"field": "inspected_on"})
    inspection_check_not_too_early(merchant=merchant, inspected_on=inspected_on)
    first, second = inspection_check_inspectors(
        merchant=merchant, inspector_1=inspector_1, inspector_2=inspector_2
    )
    values = {}
    for name, label in INSPECTION_ITEMS:
        level = (findings or {}).get(name, FindingLevel.PASS)
        if level not in FindingLevel.values:
            raise ValidationFailed(_("%(item)s 的检查结果无效。") % {"item": label})
        values[name] = level
    if outcome not in InspectionOutcome.values:
        raise ValidationFailed(_("检查结论无效。"), details={"field": "outcome"})
    names = "、".join(p.full_name or p.user.get_username() for p in (first, second))
    with transaction.atomic():
        inspection = Inspection.objects.create(
            merchant=merchant,
            inspected_on=inspected_on,
            inspector_1_id=first.user_id,
            inspector_2_id=second.user_id,
            inspector_names=names[:60],
            plan=(plan or "")[:120],
            outcome=outcome,
            notes=notes or "",
            published=published,
            created_by=acting_user(actor),
            **values,
        )
        audit_log(
            actor=actor,
            action=AuditAction.INSPECTION_RECORD,
            target=inspection,
            to_status=outcome,
            data={"inspectors": [first.certificate_number, second.certificate_number]},
        )
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="inspection")
        notify_inspection_recorded(inspection=inspection, actor=actor)
    return inspection


#: What a correction may change; the merchant, date and inspectors are the visit itself.
INSPECTION_CORRECTABLE = ("notes", "published", "plan")


def inspection_correct(*, inspection: Inspection, changes: dict, reason: str, actor: User | None) -> Inspection:
    """Correct a recorded inspection's notes, plan or publication, with a reason, audited.

    Findings, date and inspectors are not edited after the fact: a wrong record is withdrawn
    from publication here and the visit recorded again (or re-inspected), so history stays true.
    """
    reason = _required(reason, _("更正原因"))
    unknown = set(changes) - set(INSPECTION_CORRECTABLE)
    if unknown:
        raise ValidationFailed(
            _("检查记录的日期、检查人员和检查结果录入后不能修改；如有错误请撤回公示后重新录入。"),
            details={"fields": sorted(unknown)},
        )
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        before = {k: getattr(locked, k) for k in changes}
        changed = [k for k, v in changes.items() if before[k] != v]
        if not changed:
            return locked
        for key in changed:
            setattr(locked, key, changes[key])
        locked.save(update_fields=changed)
        audit_log(
            actor=actor,
            action=AuditAction.INSPECTION_CORRECT,
            target=locked,
            note=reason,
            data={k: [str(before[k]), str(changes[k])] for k in changed},
        )
        merchant_mark_rating_stale(merchant_ids=[locked.merchant_id], reason="inspection")
    return locked


# --- penalties -----------------------------------------------------------------------------


def penalty_publicity_range(tier: str) -> tuple[int, int]:
    """The months the law allows for a tier's publicity: minor 3, moderate 3–12, serious 12–36."""
    return PUBLICITY_BOUNDS[tier]


def penalty_publicity_window(
    *, decided_on: date, tier: str, kind: str, rules: dict, months: int | None = None
) -> dict:
    """Warnings alone are not published; others within 20 working days, for the months the officer
    chose within the tier's legal range (the policy's default when none was given)."""
    if kind == PenaltyKind.WARNING:
        return {
            "published": False,
            "publish_by": None,
            "publish_by_provisional": False,
            "publicity_from": None,
            "publicity_until": None,
            "publicity_months": None,
        }
    lo, hi = penalty_publicity_range(tier)
    if months is None:
        months = rules["publicity_months"][tier]
    if isinstance(months, bool) or not isinstance(months, int) or not lo <= months <= hi:
        raise ValidationFailed(
            _("%(tier)s处罚的公示期须在 %(lo)d 至 %(hi)d 个月之间。")
            % {"tier": PenaltyTier(tier).label, "lo": lo, "hi": hi},
            details={"field": "publicity_months"},
        )
    # Provisional when the 20 working days reach a year without its official holiday schedule.
    publish_by, provisional = add_working_days_ex(decided_on, PENALTY_PUBLISH_DAYS)
    publicity_from = max(decided_on, min(timezone.localdate(), publish_by))
    return {
        "published": True,
        "publish_by": publish_by,
        "publish_by_provisional": provisional,
        "publicity_from": publicity_from,
        "publicity_until": publicity_from + relativedelta(months=months),
        "publicity_months": months,
    }


def penalty_record(
    *,
    merchant: Merchant,
    decision_number: str,
    decided_on: date,
    legal_basis: str,
    kind: str,
    tier: str,
    actor: User | None,
    fine_yuan=0,
    facts: str = "",
    publicity_months: int | None = None,
) -> Penalty:
    """Record a penalty decision; ``publicity_months`` is the period the decision sets within the
    legal range of its tier (None: the active policy's default for the tier)."""
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
        decided_on=decided_on,
        tier=tier,
        kind=kind,
        rules=rating_policy_active().rules,
        months=publicity_months,
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
                created_by=acting_user(actor),
                **window,
            )
            audit_log(
                actor=actor,
                action=AuditAction.PENALTY_RECORD,
                target=penalty,
                to_status=tier,
                data={"publicity_months": window["publicity_months"]},
            )
            merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="penalty")
            notify_penalty_published(penalty=penalty, actor=actor)
    except IntegrityError:
        raise ValidationFailed(
            _("处罚决定书文号“%(n)s”已存在，不能重复录入。") % {"n": decision_number}
        ) from None
    return penalty


def penalty_revoke(*, penalty: Penalty, reason: str, actor: User | None) -> Penalty:
    """A revoked decision leaves publicity at once."""
    reason = _required(reason, _("撤销原因"))
    with transaction.atomic():
        if not Penalty.objects.filter(pk=penalty.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        ):
            raise TransitionNotAllowed(_("该处罚决定已撤销。"))
        penalty.refresh_from_db()
        audit_log(actor=actor, action=AuditAction.PENALTY_REVOKE, target=penalty, to_status="revoked", note=reason)
        merchant_mark_rating_stale(merchant_ids=[penalty.merchant_id], reason="penalty")
    return penalty


# --- list entries --------------------------------------------------------------------------


_LIST_ADD_ACTIONS = {ListName.RED: AuditAction.LIST_ENTRY_ADD_RED, ListName.BLACK: AuditAction.LIST_ENTRY_ADD_BLACK}


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
    actor: User | None,
    source: str = ListEntrySource.PORTAL,
    source_reference: str = "",
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
            source=source,
            source_reference=source_reference[:200],
            created_by=acting_user(actor),
        )
        audit_log(
            actor=actor,
            action=_LIST_ADD_ACTIONS[list_name],
            target=entry,
            to_status=kind,
            data={"source": source, "source_reference": entry.source_reference} if source != ListEntrySource.PORTAL else None,
        )
        merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="list_entry")
        followers_notify_list(entries=[entry], change="added")
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
    actor: User | None,
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
    actor: User | None,
    valid_until: date | None = None,
    source: str = ListEntrySource.PORTAL,
    source_reference: str = "",
) -> ListEntry:
    """Serious dishonesty ends by itself after 3 years; the other kinds run until removed. ``source``: a
    decision taken elsewhere (e.g. the national publicity system) entered as a fact, with its reference."""
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
        source=source,
        source_reference=source_reference,
    )


def list_entry_remove(*, entry: ListEntry, reason: str, actor: User | None) -> ListEntry:
    reason = _required(reason, _("移出原因"))
    with transaction.atomic():
        if not ListEntry.objects.filter(pk=entry.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        ):
            raise TransitionNotAllowed(_("该名单记录已移出。"))
        entry.refresh_from_db()
        audit_log(actor=actor, action=AuditAction.LIST_ENTRY_REMOVE, target=entry, to_status="ended", note=reason)
        merchant_mark_rating_stale(merchant_ids=[entry.merchant_id], reason="list_entry")
        followers_notify_list(entries=[entry], change="ended")
    return entry


def list_entries_expire(*, as_of: date | None = None, actor: User | None = None) -> dict:
    """End entries whose term is over, and open a listing proposal for each abnormal-operation
    entry still in force after 3 years.

    Nothing is published by this task: the proposal waits for the district's decision
    (``list_proposals.list_proposal_decide``), which alone creates the serious-dishonesty entry.
    Idempotent: an ended entry is never touched again; a source entry has at most one proposal.
    """
    from .list_proposals import list_proposal_open

    as_of = as_of or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        due = list(
            ListEntry.objects.select_for_update().filter(
                ended_at__isnull=True, valid_until__isnull=False, valid_until__lte=as_of
            )
        )
        for entry in due:
            ListEntry.objects.filter(pk=entry.pk).update(ended_at=now, end_reason=_("期限届满，自动移出"))
            audit_log(actor=actor, action=AuditAction.LIST_ENTRY_EXPIRE, target=entry, to_status="ended")
        merchant_mark_rating_stale(merchant_ids=[e.merchant_id for e in due], reason="list_entry_expiry")
        followers_notify_list(entries=due, change="ended")
    limit = as_of - relativedelta(years=ABNORMAL_ESCALATION_YEARS)
    stale_abnormal = ListEntry.objects.filter(
        q_entry_in_force(as_of),
        kind=ListEntryKind.ABNORMAL_OPERATION,
        valid_from__lte=limit,
        proposals__isnull=True,
    ).order_by("pk")
    proposed = 0
    for entry in stale_abnormal:
        _proposal, created = list_proposal_open(source_entry=entry, as_of=as_of, actor=actor)
        proposed += int(created)
    return {"expired": len(due), "proposed": proposed}
