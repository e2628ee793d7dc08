"""Template tags for findings: re-inspection supersession and commitment breaches (staff and portal).

The data comes from ``selectors.findings``, the same rules the rating counts in SQL.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..selectors.findings import commitment_breaches, inspections_in_lookback, open_items

register = template.Library()


@register.inclusion_tag("credit/_inspection_status.html")
def inspection_status(inspection):
    """Staff (admin change page of an inspection): superseded items, the re-inspection, breaches found."""
    return {
        "inspection": inspection,
        "superseded_by": inspection.superseded_by if inspection.superseded_by_id else None,
        "rechecks": inspection.rechecks if inspection.rechecks_id else None,
        "breaches": commitment_breaches(merchant_id=inspection.merchant_id, inspection=inspection),
    }


@register.inclusion_tag("credit/_commitment_breaches.html")
def commitment_breach_list(commitment):
    """Staff (admin change page of a commitment): every finding that broke it."""
    return {"breaches": commitment_breaches(merchant_id=commitment.merchant_id, commitment=commitment)}


@register.inclusion_tag("credit/_portal_findings.html")
def portal_findings_panel(merchant):
    """The merchant's own findings in the look-back window (superseded ones marked) and the breaches of its
    commitments with the finding that caused each. Three queries."""
    today = timezone.localdate()
    inspections = inspections_in_lookback(merchant=merchant, as_of=today)
    rows = [
        {
            "inspection": i,
            "open": {name for name in open_items(i)},
            "superseded": set(i.superseded_item_names),
        }
        for i in inspections
    ]
    return {
        "merchant": merchant,
        "rows": rows,
        "breaches": commitment_breaches(merchant_id=merchant.pk, as_of=today),
    }
