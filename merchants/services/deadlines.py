"""Working-day deadlines of the register recounted once the official holiday schedule of a year arrives.

A penalty's latest publication date (20 working days after the decision) and a credit-repair request's
decision date (7 working days after submission) are counted Monday to Friday, and flagged provisional,
when they reach a year whose State Council schedule has not been entered (``core.workdays``). Entering
that schedule calls ``register_deadlines_recompute`` (a ``core.holidays`` listener registered in
``MerchantsConfig.ready``), which recounts each still-provisional deadline from its own start date.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.workdays import add_working_days_ex

from ..audit_actions import AuditAction
from ..models import OPEN_REPAIR_STATUSES, CreditRepairRequest, Penalty

PENALTY_PUBLISH_DAYS = 20
REPAIR_DECIDE_DAYS = 7


def _recount(model, pk: int, *, field: str, flag: str, start_of, days: int, action: AuditAction, actor: User | None, year) -> bool:
    """Recount one row's deadline under a row lock; audit old → new. False when nothing changed."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or not getattr(row, flag):
            return False
        new, provisional = add_working_days_ex(start_of(row), days)
        old = getattr(row, field)
        if new == old and provisional:
            return False
        setattr(row, field, new)
        setattr(row, flag, provisional)
        row.save(update_fields=[field, flag])
        audit_log(
            actor=actor,
            action=action,
            target=row,
            note=f"{field} {old}→{new}",
            data={"year": year, "from": str(old), "to": str(new), "provisional": provisional},
        )
        return True


def register_deadlines_recompute(*, year: int | None = None, actor: User | None = None) -> int:
    """Recount provisional penalty publication and credit-repair decision deadlines; returns how many
    changed. Published penalties' dates are history and closed repair requests are decided: both are
    left alone."""
    changed = 0
    penalties = Penalty.objects.filter(publish_by_provisional=True, publish_by__isnull=False)
    for pk in penalties.values_list("pk", flat=True).iterator():
        changed += _recount(
            Penalty,
            pk,
            field="publish_by",
            flag="publish_by_provisional",
            start_of=lambda p: p.decided_on,
            days=PENALTY_PUBLISH_DAYS,
            action=AuditAction.PENALTY_DEADLINE_RECOMPUTE,
            actor=actor,
            year=year,
        )
    repairs = CreditRepairRequest.objects.filter(decide_by_provisional=True, status__in=OPEN_REPAIR_STATUSES)
    for pk in repairs.values_list("pk", flat=True).iterator():
        changed += _recount(
            CreditRepairRequest,
            pk,
            field="decide_by",
            flag="decide_by_provisional",
            start_of=lambda r: timezone.localtime(r.submitted_at).date(),
            days=REPAIR_DECIDE_DAYS,
            action=AuditAction.REPAIR_DEADLINE_RECOMPUTE,
            actor=actor,
            year=year,
        )
    return changed
