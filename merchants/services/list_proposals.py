"""Proposals to list a merchant as seriously dishonest (拟列入严重违法失信名单).

An abnormal-operation entry (经营异常) still in force after 3 years does not publish
anything by itself: the daily task opens one proposal per such entry for the
merchant's district, and a staff member of that district decides it with a real
decision number and legal basis (``list_proposal_decide`` → ``list_entry_add_black``)
or dismisses it with a reason. One proposal per source entry (a unique constraint),
so the task may run any number of times.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, NotPermitted, ValidationFailed
from integrity_portal.core.scoping import staff_profile, user_covers_region

from ..audit_actions import AuditAction
from ..models import ListEntry, ListEntryKind, ListProposal, ProposalStatus
from ..workflow import LIST_PROPOSAL_WORKFLOW as PROPOSAL_WORKFLOW
from .credit import _required, list_entry_add_black


def list_proposal_open(*, source_entry: ListEntry, as_of: date, actor: User | None) -> tuple[ListProposal, bool]:
    """The proposal for ``source_entry`` (created if none exists); returns (proposal, created)."""
    existing = ListProposal.objects.filter(source_entry=source_entry).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            proposal = ListProposal.objects.create(
                merchant_id=source_entry.merchant_id,
                source_entry=source_entry,
                reason=_("列入经营异常名录届满三年仍未履行相关义务（原决定书：%(n)s）")
                % {"n": source_entry.decision_number},
                proposed_on=as_of,
            )
            audit_log(
                actor=actor,
                action=AuditAction.LIST_PROPOSAL_OPEN,
                target=proposal,
                to_status=ProposalStatus.OPEN,
                data={"source_entry": source_entry.pk},
            )
    except IntegrityError:  # the same task ran twice at once: the other run's proposal stands
        return ListProposal.objects.get(source_entry=source_entry), False
    return proposal, True


def _check_decider(proposal: ListProposal, actor: User | None) -> None:
    if staff_profile(actor) is None and not getattr(actor, "is_superuser", False):
        raise NotPermitted(_("只有市场监管工作人员可以作出列入决定。"))
    if not user_covers_region(actor, proposal.merchant.region_id):
        raise NotFound(_("您的辖区内没有该记录。"))


def list_proposal_decide(
    *,
    proposal: ListProposal,
    decision_number: str,
    legal_basis: str,
    actor: User | None,
    decided_by: str = "",
) -> ListProposal:
    """List the merchant: the black-list entry is created now, with the staff's decision number
    and legal basis, and the abnormal-operation entry moves out (escalated to it)."""
    _check_decider(proposal, actor)
    decision_number = _required(decision_number, _("决定书文号"))
    legal_basis = _required(legal_basis, _("列入依据"))
    profile = staff_profile(actor)
    decided_by = (decided_by or "").strip() or (profile.unit if profile else "") or proposal.source_entry.decided_by
    today = timezone.localdate()
    with transaction.atomic():
        locked = ListProposal.objects.select_for_update().select_related("merchant", "source_entry").get(
            pk=proposal.pk
        )
        PROPOSAL_WORKFLOW.check(locked.status, ProposalStatus.LISTED)
        entry = list_entry_add_black(
            merchant=locked.merchant,
            kind=ListEntryKind.SERIOUS_DISHONESTY,
            reason=locked.reason,
            legal_basis=legal_basis,
            decision_number=decision_number,
            decided_by=decided_by,
            valid_from=today,
            actor=actor,
        )
        PROPOSAL_WORKFLOW.transition(
            locked,
            ProposalStatus.LISTED,
            actor=actor,
            note=decision_number,
            fields={
                "decision_number": decision_number[:80],
                "legal_basis": legal_basis[:300],
                "decided_by_user": acting_user(actor),
                "decided_at": timezone.now(),
                "listed_entry": entry,
            },
        )
        ListEntry.objects.filter(pk=locked.source_entry_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=_("届满三年转入严重违法失信名单"), escalated_to=entry
        )
        audit_log(actor=actor, action=AuditAction.LIST_ENTRY_ESCALATE, target=locked.source_entry, to_status="escalated")
    proposal.refresh_from_db()
    return proposal


def list_proposal_dismiss(*, proposal: ListProposal, reason: str, actor: User | None) -> ListProposal:
    """Do not list (e.g. the obligations were met): a reason is required; nothing is published."""
    _check_decider(proposal, actor)
    reason = _required(reason, _("不予列入理由"))
    if len(reason) > 300:
        raise ValidationFailed(_("不予列入理由最多 300 个字符。"))
    with transaction.atomic():
        locked = ListProposal.objects.select_for_update().get(pk=proposal.pk)
        PROPOSAL_WORKFLOW.transition(
            locked,
            ProposalStatus.DISMISSED,
            actor=actor,
            note=reason,
            fields={
                "dismiss_reason": reason,
                "decided_by_user": acting_user(actor),
                "decided_at": timezone.now(),
            },
        )
    proposal.refresh_from_db()
    return proposal
