"""Reads for credit repair (信用修复): which of a merchant's facts may be repaired, and from when.

One definition of a repairable fact, shared by the portal's list of candidates
(``selectors.portal.member_repair_candidates``) and the
``repair_request_submit`` service that checks the chosen one: a black-list entry in force, or
a penalty in its publicity window (the same "in force" Q objects as the rating engine).
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from ..models import ListEntry, ListEntryKind, ListName, Penalty, PenaltyTier
from .credit import q_entry_in_force, q_penalty_in_publicity


def q_repairable_entry(as_of: date) -> Q:
    """Black-list entries in force on ``as_of`` (a red-list entry is never repaired)."""
    return q_entry_in_force(as_of) & Q(list_name=ListName.BLACK)


def q_repairable_penalty(as_of: date) -> Q:
    """Penalties in their publicity window on ``as_of`` (published, not revoked, not ended early)."""
    return q_penalty_in_publicity(as_of)


def repair_earliest_date(
    *, list_entry: ListEntry | None = None, penalty: Penalty | None = None
) -> date | None:
    """The first day a repair may be requested; None when this fact cannot be repaired here."""
    from ..services.rating_policy import rating_policy_active

    months = rating_policy_active().rules["repair_min_months"]
    if penalty is not None:
        if penalty.tier == PenaltyTier.MINOR or not penalty.publicity_from:
            return None
        earliest = penalty.publicity_from + relativedelta(months=months[penalty.tier])
        if penalty.publicity_until is not None and earliest >= penalty.publicity_until:
            # The officer set a period no longer than the minimum (e.g. moderate 3 months):
            # publicity ends by itself on that day, there is nothing to end early.
            return None
        return earliest
    if list_entry is not None:
        if list_entry.list_name != ListName.BLACK or list_entry.kind == ListEntryKind.JUDGMENT_DEFAULTER:
            return None
        if list_entry.kind == ListEntryKind.SERIOUS_DISHONESTY:
            return list_entry.valid_from + relativedelta(months=months["serious_dishonesty"])
        return list_entry.valid_from
    return None


def repair_fact_open(*, list_entry: ListEntry | None = None, penalty: Penalty | None = None, as_of: date) -> bool:
    """Whether the fact is still one a repair can end (see the module docstring); read from the database."""
    if list_entry is not None:
        return ListEntry.objects.filter(q_repairable_entry(as_of), pk=list_entry.pk).exists()
    if penalty is not None:
        return Penalty.objects.filter(q_repairable_penalty(as_of), pk=penalty.pk).exists()
    return False
