"""Reads of inspection findings: which are still open (not superseded by a re-inspection), which
inspection a re-inspection re-checks, and which findings broke a commitment.

The rating engine counts them in SQL (``services.rating_facts``) with the Q objects defined here
(``q_item_open``, ``q_commitment_breach``); the selectors below list them one by one for the staff and
merchant pages with the same rules, so a count on a page and the count behind the stars never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import COMMITMENT_ITEMS, INSPECTION_ITEMS, Commitment, FindingLevel, Inspection

ITEM_NAMES = tuple(name for name, _label in INSPECTION_ITEMS)
ITEM_LABELS = dict(INSPECTION_ITEMS)


def q_item_open(item: str, level: str | None = None) -> Q:
    """The item has a finding (of ``level``, or any non-pass one) that no re-inspection superseded.

    ``superseded_items`` is a comma-separated list of item names, none of which contains another, so a
    substring test is exact; it is empty on almost every row.
    """
    found = Q(**{item: level}) if level else ~Q(**{item: FindingLevel.PASS})
    return found & (Q(superseded_items="") | ~Q(superseded_items__contains=item))


def q_commitment_in_force_on_visit(kinds) -> Exists:
    """A commitment of one of ``kinds`` was in force on the day of the outer inspection: signed by then,
    valid through it, and not revoked before it."""
    return Exists(
        Commitment.objects.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__date__gte=OuterRef("inspected_on")),
            merchant_id=OuterRef("merchant_id"),
            kind__in=kinds,
            signed_at__date__lte=OuterRef("inspected_on"),
            valid_until__gte=OuterRef("inspected_on"),
        )
    )


def q_commitment_breach() -> Q:
    """The inspection found a problem in an area a commitment in force that day covered.

    A finding later superseded by a re-inspection still breaches: the promise was broken on the day.
    """
    q = Q()
    for item, _label in INSPECTION_ITEMS:
        kinds = [kind for kind, items in COMMITMENT_ITEMS.items() if item in items]
        q |= ~Q(**{item: FindingLevel.PASS}) & q_commitment_in_force_on_visit(kinds)
    return q


def q_open_findings() -> Q:
    """An inspection with at least one finding that no re-inspection superseded."""
    q = Q()
    for item in ITEM_NAMES:
        q |= q_item_open(item)
    return q


def open_items(inspection: Inspection) -> list[str]:
    """The item names of ``inspection`` with a finding still counted (not superseded)."""
    superseded = set(inspection.superseded_item_names)
    return [
        name
        for name in ITEM_NAMES
        if getattr(inspection, name) != FindingLevel.PASS and name not in superseded
    ]


def _lookback(as_of: date) -> date:
    from ..services.rating_policy import rating_policy_active

    return as_of - relativedelta(months=rating_policy_active().rules["windows"]["lookback_months"])


def inspections_in_lookback(*, merchant, as_of: date, limit: int = 20) -> list[Inspection]:
    """The merchant's inspections in the policy's look-back window, newest first, with what superseded
    them (the portal's findings panel, for a merchant the page found for its member)."""
    return list(
        Inspection.objects.filter(merchant=merchant, inspected_on__gte=_lookback(as_of))
        .select_related("superseded_by")
        .order_by("-inspected_on", "-id")[:limit]
    )


def reinspection_target(*, merchant_id: int, visit: Inspection | None = None, as_of: date | None = None):
    """The inspection a re-inspection re-checks: the merchant's latest visit in the look-back window with a
    finding still counted, dated no later than the re-inspection itself (and not the re-inspection).

    The portal's suggestion, the request check and the completion all use this one rule, so what the
    merchant is promised is what the re-inspection supersedes.
    """
    as_of = as_of or timezone.localdate()
    qs = Inspection.objects.filter(
        q_open_findings(),
        merchant_id=merchant_id,
        inspected_on__gte=_lookback(as_of),
        inspected_on__lte=as_of,
    )
    if visit is not None:
        qs = qs.exclude(pk=visit.pk).filter(
            Q(inspected_on__lt=visit.inspected_on) | Q(inspected_on=visit.inspected_on, pk__lt=visit.pk)
        )
    return qs.order_by("-inspected_on", "-id").first()


@dataclass(frozen=True)
class Breach:
    """One finding that broke one commitment in force on the day of the visit."""

    commitment: Commitment
    inspection: Inspection
    item: str
    level: str
    counted: bool  # inside the policy's look-back window, so it costs credit-management points

    @property
    def item_label(self) -> str:
        return str(ITEM_LABELS[self.item])

    @property
    def level_label(self) -> str:
        return str(FindingLevel(self.level).label)

    @property
    def on(self) -> date:
        return self.inspection.inspected_on


def _in_force_on(commitment: Commitment, day: date) -> bool:
    """The Python twin of ``rating_facts.q_commitment_in_force_on_visit``."""
    signed = timezone.localdate(commitment.signed_at)
    revoked = timezone.localdate(commitment.revoked_at) if commitment.revoked_at else None
    return signed <= day <= commitment.valid_until and (revoked is None or revoked >= day)


def commitment_breaches(
    *,
    merchant_id: int,
    commitment: Commitment | None = None,
    inspection: Inspection | None = None,
    as_of: date | None = None,
) -> list[Breach]:
    """Every breach of the merchant's commitments (newest visit first), optionally of one commitment or
    found by one inspection. Two queries, whatever the number of rows.

    A finding later superseded by a re-inspection still breaches (the promise was broken that day); the
    rating counts one breach per visit in the look-back window (``rating_facts.q_commitment_breach``).
    """
    as_of = as_of or timezone.localdate()
    since = _lookback(as_of)
    commitments = Commitment.objects.filter(merchant_id=merchant_id).order_by("signed_at", "id")
    if commitment is not None:
        commitments = commitments.filter(pk=commitment.pk)
    inspections = Inspection.objects.filter(q_commitment_breach(), merchant_id=merchant_id)
    if inspection is not None:
        inspections = inspections.filter(pk=inspection.pk)
    commitments = list(commitments)
    out = []
    for visit in inspections.order_by("-inspected_on", "-id"):
        for c in commitments:
            if not _in_force_on(c, visit.inspected_on):
                continue
            for item in COMMITMENT_ITEMS.get(c.kind, ()):
                level = getattr(visit, item)
                if level != FindingLevel.PASS:
                    out.append(Breach(c, visit, item, level, since <= visit.inspected_on <= as_of))
    return out
