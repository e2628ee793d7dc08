"""The daily sweep: expire direct settlements, flag unanswered merchants, escalate (督办) overdue items once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from integrity_portal.core import workdays
from integrity_portal.core.audit import audit_log

from ..audit_actions import DEADLINE_RECOMPUTE_BY_KIND, ESCALATE_BY_KIND, AuditAction
from ..models import Complaint, ComplaintKind, DeadlineKind, Escalation, Status
from .common import deadlines, locked, mark_rating_stale, today
from .merchant import complaint_odr_expire

_DEADLINE_BY_STATUS = {
    (ComplaintKind.COMPLAINT, Status.RECEIVED): DeadlineKind.ACCEPTANCE,
    (ComplaintKind.COMPLAINT, Status.ACCEPTED): DeadlineKind.MEDIATION,
    (ComplaintKind.COMPLAINT, Status.ASSIGNED): DeadlineKind.MEDIATION,
    (ComplaintKind.COMPLAINT, Status.MEDIATING): DeadlineKind.MEDIATION,
    (ComplaintKind.REPORT, Status.RECEIVED): DeadlineKind.DECISION,
    (ComplaintKind.REPORT, Status.VERIFYING): DeadlineKind.DECISION,
}


@dataclass
class SweepResult:
    odr_expired: int = 0
    unanswered: int = 0
    escalated: int = 0


def _supervisor(region):
    return region.parent if region.parent_id else region


def _escalate(c: Complaint, kind: str, due_on) -> bool:
    with transaction.atomic():
        esc, created = Escalation.objects.get_or_create(
            complaint=c, deadline=kind, due_on=due_on, defaults={"escalated_to": _supervisor(c.region)}
        )
        if created:
            audit_log(
                actor=None,
                action=ESCALATE_BY_KIND[c.kind],
                target=c,
                note=f"{DeadlineKind(kind).label} {due_on}",
                data={"deadline": kind, "due_on": str(due_on), "to_region": esc.escalated_to_id},
            )
            from ..notices import notify_staff_escalation

            notify_staff_escalation(escalation=esc)  # the unit it is escalated to, once per escalation
    return created


def _recountable(complaint: Complaint) -> dict[str, tuple[date, int]]:
    """The provisional deadlines still in force whose missing year now has a schedule."""
    counts = {}
    for field, entry in (complaint.deadline_basis or {}).items():
        current = getattr(complaint, field, None)
        if not entry.get("missing") or current is None or current.isoformat() != entry.get("due"):
            continue
        if any(workdays.year_calendar(year) is not None for year in entry["missing"]):
            counts[field] = (date.fromisoformat(entry["from"]), int(entry["days"]))
    return counts


def complaint_deadlines_recompute(*, year: int | None = None, actor: User | None = None) -> int:
    """Recount the provisional deadlines once the official schedule of a year they reach is entered.

    Runs after a schedule is entered (``core.holidays`` listener) and in the daily sweep (a
    safety net for another process's stale calendar cache). Each item is one transaction under
    a row lock, audited with old → new per deadline; items whose deadline was set again or
    cleared since are left alone. Returns how many items changed.
    """
    changed = 0
    candidates = Complaint.objects.filter(deadline_provisional=True).values_list("pk", "deadline_basis")
    for pk, basis in candidates.iterator():
        years = {y for entry in (basis or {}).values() for y in entry.get("missing") or ()}
        if year is not None and year not in years:
            continue
        if not any(workdays.year_calendar(y) is not None for y in years):
            continue
        with transaction.atomic():
            c = locked(pk)
            counts = _recountable(c)
            if not counts:
                continue
            fields = deadlines(c, **counts)
            changes = {
                name: {
                    "from": str(getattr(c, name)),
                    "to": str(fields[name]),
                    "missing": fields["deadline_basis"][name]["missing"],
                }
                for name in counts
            }
            for name, value in fields.items():
                setattr(c, name, value)
            c.save(update_fields=[*fields, "updated_at"])
            audit_log(
                actor=actor,
                action=DEADLINE_RECOMPUTE_BY_KIND[c.kind],
                target=c,
                note=" ".join(f"{name} {v['from']}→{v['to']}" for name, v in changes.items()),
                data={"year": year, "changes": changes, "provisional": fields["deadline_provisional"]},
            )
            changed += 1
    return changed


def complaints_escalate_overdue() -> SweepResult:
    """Idempotent: running it twice on a day (or every day) records each overdue deadline once."""
    result = SweepResult()
    day = today()
    # Before judging anything overdue, recount deadlines a newly entered schedule has corrected.
    complaint_deadlines_recompute(actor=None)
    for pk in Complaint.objects.filter(status=Status.ODR, odr_due_on__lt=day).values_list("pk", flat=True):
        result.odr_expired += complaint_odr_expire(complaint_id=pk)

    unanswered = Complaint.objects.filter(
        kind=ComplaintKind.COMPLAINT,
        status__in=[Status.ASSIGNED, Status.MEDIATING],
        merchant__isnull=False,
        merchant_replied_at__isnull=True,
        merchant_unanswered=False,
        merchant_reply_due_on__lt=day,
    )
    for c in unanswered.iterator():
        with transaction.atomic():
            if Complaint.objects.filter(pk=c.pk, merchant_unanswered=False).update(merchant_unanswered=True):
                audit_log(
                    actor=None,
                    action=AuditAction.COMPLAINT_MERCHANT_UNANSWERED,
                    target=c,
                    data={"due": str(c.merchant_reply_due_on)},
                )
                mark_rating_stale(c, "complaint unanswered")
                result.unanswered += 1

    overdue = Complaint.objects.select_related("region").filter(
        Q(due_on__lt=day, status__in=[s for _k, s in _DEADLINE_BY_STATUS])
        | Q(
            kind=ComplaintKind.REPORT,
            anonymous=False,
            feedback_due_on__lt=day,
            feedback_sent_at__isnull=True,
            decided_at__isnull=False,
        )
    )
    for c in overdue.iterator():
        kind = _DEADLINE_BY_STATUS.get((c.kind, c.status))
        if kind and c.due_on and c.due_on < day:
            result.escalated += _escalate(c, kind, c.due_on)
        elif c.feedback_due_on and c.feedback_sent_at is None and c.feedback_due_on < day:
            result.escalated += _escalate(c, DeadlineKind.FEEDBACK, c.feedback_due_on)
    return result
