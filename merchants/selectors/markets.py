"""Reads for market operators (市场开办方, issue #20 item 1): a market's stalls, their figures, the summary.

A market operator is a member (``Membership``, any role) of a merchant of kind ``market``; the market's
stalls are the merchants whose ``parent_market`` is that market. Every selector takes the viewer and keeps
only stalls of a market the viewer is a member of, so a page that skipped the check still shows nothing of
another market's stalls. Complaint figures come from the complaints app through ``register_stall_complaints``
(merchants never imports complaints): counts and deadlines only, never a complainant's personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import Http404

from ..models import (
    Commitment,
    CommitmentInvitation,
    Merchant,
    MerchantKind,
    MerchantStatus,
)
from .credit import q_commitment_in_force
from .register import merchants_for_user

#: A commitment ending within this many days (with no later one of its kind) is "due" for renewal.
COMMITMENT_DUE_DAYS = 30


@dataclass(frozen=True)
class StallComplaints:
    """A stall's open complaints: how many, how many past their deadline, the earliest deadline."""

    open: int = 0
    overdue: int = 0
    next_due: date | None = None


@dataclass(frozen=True)
class StallComplaintSource:
    """``open_counts(stall_ids, today) -> {stall id: StallComplaints}``;
    ``per_month(stall_ids, months) -> {first day of month: n received}``."""

    open_counts: Callable[..., dict]
    per_month: Callable[..., dict]


_complaint_source: list[StallComplaintSource] = []


def register_stall_complaints(*, open_counts, per_month) -> None:
    """The complaints app tells the market pages its figures (called in its ``AppConfig.ready()``)."""
    _complaint_source[:] = [StallComplaintSource(open_counts=open_counts, per_month=per_month)]


def markets_for_user(viewer) -> QuerySet[Merchant]:
    """The markets the viewer operates (is a member of)."""
    return merchants_for_user(viewer).filter(kind=MerchantKind.MARKET)


def operator_market_or_404(viewer, pk) -> Merchant:
    try:
        return markets_for_user(viewer).get(pk=pk)
    except (Merchant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def market_stalls(*, viewer, market) -> QuerySet[Merchant]:
    """The stalls of ``market``, only when the viewer operates it (else none)."""
    return (
        Merchant.objects.filter(parent_market=market, parent_market__in=markets_for_user(viewer).values("pk"))
        .select_related("region")
        .order_by("name", "id")
    )


def market_stall_or_none(*, viewer, market, pk) -> Merchant | None:
    try:
        return market_stalls(viewer=viewer, market=market).filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


@dataclass
class InvitationRow:
    invitation: CommitmentInvitation
    signed: Commitment | None = None


@dataclass
class StallRow:
    stall: Merchant
    complaints: StallComplaints
    commitments_in_force: list[str] = field(default_factory=list)  # kind labels
    commitment_due: date | None = None  # earliest end of an in-force commitment not renewed
    invitations_pending: list[InvitationRow] = field(default_factory=list)


def _open_complaints(stall_ids: list[int], today: date) -> dict:
    if not _complaint_source or not stall_ids:
        return {}
    return _complaint_source[0].open_counts(stall_ids=stall_ids, today=today)


def market_invitations(*, viewer, market) -> list[InvitationRow]:
    """Every invitation the market sent, newest first, each with the commitment the stall signed since (a
    commitment of the invited kind signed at or after the invitation), or None."""
    stalls = market_stalls(viewer=viewer, market=market).values("pk")
    invitations = list(
        CommitmentInvitation.objects.filter(market=market, merchant__in=stalls).select_related("merchant")
    )
    if not invitations:
        return []
    earliest = min(i.invited_at for i in invitations)
    signed: dict[tuple[int, str], list[Commitment]] = {}
    for c in Commitment.objects.filter(
        merchant__in={i.merchant_id for i in invitations}, signed_at__gte=earliest
    ).order_by("signed_at", "id"):
        signed.setdefault((c.merchant_id, c.kind), []).append(c)
    rows = []
    for inv in invitations:
        match = next((c for c in signed.get((inv.merchant_id, inv.kind), []) if c.signed_at >= inv.invited_at), None)
        rows.append(InvitationRow(invitation=inv, signed=match))
    return rows


def market_stall_rows(*, viewer, market, today: date) -> list[StallRow]:
    """One row per stall: stars, open complaints (counts and deadlines), commitments in force and due,
    invitations not signed yet. A fixed number of queries whatever the number of stalls."""
    stalls = list(market_stalls(viewer=viewer, market=market))
    ids = [s.pk for s in stalls]
    complaints = _open_complaints(ids, today)
    in_force: dict[int, dict[str, Commitment]] = {}
    for c in Commitment.objects.filter(q_commitment_in_force(today), merchant__in=ids).order_by("valid_until"):
        in_force.setdefault(c.merchant_id, {})[c.kind] = c  # the latest-ending one of each kind wins
    pending: dict[int, list[InvitationRow]] = {}
    for row in market_invitations(viewer=viewer, market=market):
        if row.signed is None:
            pending.setdefault(row.invitation.merchant_id, []).append(row)
    until = today + timedelta(days=COMMITMENT_DUE_DAYS)
    rows = []
    for stall in stalls:
        kinds = in_force.get(stall.pk, {})
        ending = [c.valid_until for c in kinds.values() if c.valid_until <= until]
        rows.append(
            StallRow(
                stall=stall,
                complaints=complaints.get(stall.pk, StallComplaints()),
                commitments_in_force=[c.get_kind_display() for c in kinds.values()],
                commitment_due=min(ending) if ending else None,
                invitations_pending=pending.get(stall.pk, []),
            )
        )
    return rows


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _i in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def market_summary(*, viewer, market, today: date, months: int = 12) -> dict:
    """The market as a whole: how many stalls (deregistered ones left out), the number and share (%) of
    stalls at each star level (5…0, then unrated), and complaints received about its stalls per month
    (the last ``months`` calendar months, oldest first)."""
    stalls = market_stalls(viewer=viewer, market=market).exclude(status=MerchantStatus.DEREGISTERED)
    counts = Counter(stalls.values_list("stars", flat=True))
    total = sum(counts.values())
    levels = []
    for level in (5, 4, 3, 2, 1, 0, None):
        n = counts.get(level, 0)
        share = round(n * 100 / total, 1) if total else None
        levels.append({"stars": level, "count": n, "share": share})
    month_list = _month_starts(today, months)
    per_month = {}
    if _complaint_source and total:
        per_month = _complaint_source[0].per_month(stall_ids=list(stalls.values_list("pk", flat=True)), months=month_list)
    return {
        "stalls": total,
        "levels": levels,
        "complaints_per_month": [(m, per_month.get(m, 0)) for m in month_list],
    }


def invitation_todos(*, viewer, today: date) -> list:
    """The portal home's to-do items (``core.panels``): a market's invitations to the viewer's stalls to sign a
    commitment, not signed yet, with their deadline."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from integrity_portal.core.panels import PortalTodo

    own = merchants_for_user(viewer).values("pk")
    invitations = list(
        CommitmentInvitation.objects.filter(merchant__in=own).select_related("merchant", "market").order_by("due_on")
    )
    if not invitations:
        return []
    signed = {
        (c.merchant_id, c.kind): c.signed_at
        for c in Commitment.objects.filter(merchant__in={i.merchant_id for i in invitations}).order_by("signed_at")
    }
    items, seen = [], set()
    for inv in invitations:
        key = (inv.merchant_id, inv.kind)
        if key in seen or (signed.get(key) is not None and signed[key] >= inv.invited_at):
            continue
        seen.add(key)
        items.append(
            PortalTodo(
                kind="commitment",
                label=_("%(market)s邀请您签署%(kind)s") % {"market": inv.market.name, "kind": inv.get_kind_display()},
                merchant_name=inv.merchant.name,
                url=reverse("portal_credit:commitment", args=[inv.merchant_id]),
                due=inv.due_on,
            )
        )
    return items
