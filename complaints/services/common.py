"""Shared pieces of the complaint services: locking, permission checks, deadlines, notifications."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core import workdays
from integrity_portal.core.errors import NotFound, NotPermitted
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import is_unrestricted, staff_role, user_covers_region

from ..models import Complaint

ODR_DAYS = 10
ACCEPTANCE_DAYS = 7
MEDIATION_DAYS = 45
MERCHANT_REPLY_DAYS = 7
DECISION_DAYS = 15
EXTENSION_DAYS = 15
FEEDBACK_DAYS = 5
TERMINATION_NOTICE_DAYS = 7

HANDLING_ROLES = {StaffRole.CITY_BUREAU, StaffRole.DISTRICT_BRANCH}

def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: what a merchant may see of a complainant."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def today() -> date:
    return workdays.today()


def due_after(start: date, days: int) -> date:
    """A date N working days on, for filters and displays; a *stored* deadline goes through ``deadlines``."""
    return workdays.add_working_days(start, days)


def deadlines(complaint: Complaint | None, **counts: tuple[date, int] | None) -> dict:
    """The fields that store deadlines, counted as ``field=(start, working_days)`` (None clears one).

    Besides the dates it returns ``deadline_basis`` (how each date was counted, so it can be
    recounted) and ``deadline_provisional``: True while any stored deadline was counted over a
    year with no official holiday schedule (Monday–Friday there). Every service that stores a
    deadline uses this, so the flag is never stale.
    """
    basis = dict(complaint.deadline_basis or {}) if complaint is not None else {}
    fields: dict = {}
    for field, count in counts.items():
        if count is None:
            fields[field] = None
            basis.pop(field, None)
            continue
        start, days = count
        due = workdays.add_working_days(start, days)
        fields[field] = due
        basis[field] = {
            "from": start.isoformat(),
            "days": days,
            "due": due.isoformat(),
            "missing": workdays.unscheduled_years(start, due),
        }
    fields["deadline_basis"] = basis
    fields["deadline_provisional"] = any(
        entry.get("missing") and _stored(complaint, field, fields) == entry.get("due")
        for field, entry in basis.items()
    )
    return fields


def _stored(complaint: Complaint | None, field: str, fields: dict) -> str | None:
    value = fields[field] if field in fields else getattr(complaint, field, None)
    return value.isoformat() if value else None


def extended_deadline(complaint: Complaint, field: str, extra_days: int) -> dict:
    """``deadlines`` for a deadline extended by ``extra_days`` working days: counted from the same start."""
    entry = (complaint.deadline_basis or {}).get(field)
    current = getattr(complaint, field)
    if entry and current and entry.get("due") == current.isoformat():
        return deadlines(
            complaint, **{field: (date.fromisoformat(entry["from"]), entry["days"] + extra_days)}
        )
    return deadlines(complaint, **{field: (current, extra_days)})


def locked(complaint: Complaint | int) -> Complaint:
    """Re-read the row under a lock (callers are inside ``transaction.atomic``)."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    try:
        return (
            Complaint.objects.select_for_update(of=("self",)).select_related("region", "merchant").get(pk=pk)
        )
    except Complaint.DoesNotExist:
        raise NotFound(_("未找到该投诉举报。")) from None


def require_handler(actor: User | None, complaint: Complaint) -> None:
    """Only bureau and district staff covering the item's region may move it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_staff:
        raise NotPermitted(_("只有市场监管部门工作人员可以办理投诉举报。"))
    if not user_covers_region(actor, complaint.region_id):
        raise NotFound(_("您的辖区内没有该件，无权办理。"))
    if is_unrestricted(actor):
        return
    if staff_role(actor) not in HANDLING_ROLES:
        raise NotPermitted(_("您的岗位只能查看投诉举报，不能办理。"))


def mark_late_if_overdue(complaint: Complaint, fields: dict) -> None:
    """A step taken after the item's current deadline makes it "handled late" for good."""
    if complaint.due_on and today() > complaint.due_on:
        fields["closed_late"] = True


def mark_rating_stale(complaint: Complaint, reason: str) -> None:
    if complaint.merchant_id:
        from merchants.services import merchant_mark_rating_stale

        merchant_mark_rating_stale(merchant_ids=[complaint.merchant_id], reason=reason)


def notify_later(complaint_id: int, event: str, *, key: str = "") -> None:
    """Record the complainant's notices in the caller's transaction (the notifications outbox): they
    commit or roll back with the event, and are sent after commit, or by the sweep when the broker is
    down (docs/NOTIFICATIONS.md).

    ``key`` names the occasion of an event that may recur (``merchant_reply:<reply id>``); a status
    notice leaves it empty and goes out once per complaint."""
    from ..notify import enqueue_notice

    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is not None:
        enqueue_notice(complaint=complaint, event=event, key=key)


def now():
    return timezone.now()
