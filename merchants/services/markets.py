"""Writes of market operators (市场开办方, issue #20 item 1): claim letters for their stalls, and invitations
to sign commitments. The operator acts only for stalls of a market it is a member of (docs/PARTNERS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, NotPermitted, ValidationFailed

from ..audit_actions import AuditAction
from ..models import (
    CommitmentInvitation,
    CommitmentKind,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    MerchantStatus,
)
from .register import claim_code_create, format_claim_code

#: At most this many letters (or invitations) in one go: a PDF of 50 pages at 4 letters a page.
MARKET_BATCH_LIMIT = 200
INVITATION_DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ClaimLetter:
    """What one printed letter says: the stall, its registration number, the code (plain, formatted)."""

    stall_name: str
    registration_number: str
    code: str
    expires_at: datetime


def _require_operator(actor: User | None, market: Merchant, *, owner: bool = False) -> None:
    """The actor is a member (an owner where ``owner``) of ``market``, which is a market."""
    roles = [MembershipRole.OWNER] if owner else MembershipRole.values
    if (
        market.kind != MerchantKind.MARKET
        or actor is None
        or not Membership.objects.filter(user=actor, merchant=market, role__in=roles).exists()
    ):
        raise NotPermitted(
            _("只有市场开办方的负责人可以为摊位发放认领函。") if owner else _("只有市场开办方的成员可以进行此操作。")
        )


def _own_stalls(market: Merchant, stall_ids) -> list[Merchant]:
    """The stalls named, locked, all of ``market``; any other id refuses the whole batch (no partial write)."""
    try:
        ids = sorted({int(i) for i in stall_ids})
    except (TypeError, ValueError):
        raise ValidationFailed(_("摊位编号无效。")) from None
    if not ids:
        raise ValidationFailed(_("请至少选择一个摊位。"))
    if len(ids) > MARKET_BATCH_LIMIT:
        raise ValidationFailed(_("一次最多选择 %(n)d 个摊位，其余请分批操作。") % {"n": MARKET_BATCH_LIMIT})
    stalls = list(Merchant.objects.select_for_update().filter(pk__in=ids, parent_market=market).order_by("name", "id"))
    if len(stalls) != len(ids):
        raise NotFound(_("所选摊位中有不属于本市场的经营者。"))
    return stalls


def market_claim_letters_issue(*, market: Merchant, stall_ids, actor: User | None) -> list[ClaimLetter]:
    """Issue a new claim code to each stall named and return the letters to print (the only time the plain
    codes exist: only their keyed hash is stored). All or nothing: a stall of another market, a deregistered
    stall or one that already has an owner in the portal refuses the whole batch, and no code changes.

    Each new code revokes the stall's earlier unused one (``claim_code_create``), so printing again means
    new codes and the first printout stops working."""
    _require_operator(actor, market, owner=True)
    with transaction.atomic():
        stalls = _own_stalls(market, stall_ids)
        owned = set(
            Membership.objects.filter(merchant__in=stalls, role=MembershipRole.OWNER).values_list(
                "merchant__name", flat=True
            )
        )
        if owned:
            raise ValidationFailed(
                _("以下摊位已有负责人认领，不能再发放认领码（如需变更请联系市场监管部门）：%(names)s")
                % {"names": "、".join(sorted(owned))}
            )
        gone = [s.name for s in stalls if s.status == MerchantStatus.DEREGISTERED]
        if gone:
            raise ValidationFailed(_("已注销的摊位不能发放认领码：%(names)s") % {"names": "、".join(gone)})
        letters = []
        for stall in stalls:
            claim, plain = claim_code_create(merchant=stall, actor=actor, data={"market_id": market.pk})
            letters.append(
                ClaimLetter(
                    stall_name=stall.name,
                    registration_number=stall.uscc or stall.licence_number or "",
                    code=format_claim_code(plain),
                    expires_at=claim.expires_at,
                )
            )
        audit_log(
            actor=actor,
            action=AuditAction.MARKET_CLAIM_LETTERS,
            target=market,
            data={"stalls": [s.pk for s in stalls], "count": len(stalls)},
        )
    return letters


def market_commitments_invite(
    *, market: Merchant, stall_ids, kind: str, actor: User | None, due_on: date | None = None
) -> list[CommitmentInvitation]:
    """Invite the stalls named to sign a commitment of ``kind`` by ``due_on`` (default: in 30 days). Each stall
    signs its own in the portal (``commitment_sign``); the operator sees who signed since. A stall with an
    invitation of that kind still unanswered is not invited twice. Returns the invitations created."""
    _require_operator(actor, market)
    if kind not in CommitmentKind.values:
        raise ValidationFailed(_("未知的承诺类型。"))
    today = timezone.localdate()
    due_on = due_on or today + timedelta(days=INVITATION_DEFAULT_DAYS)
    if due_on <= today or due_on > today + relativedelta(years=1):
        raise ValidationFailed(_("签署期限须在今天之后、一年以内。"))
    with transaction.atomic():
        stalls = _own_stalls(market, stall_ids)
        gone = [s.name for s in stalls if s.status == MerchantStatus.DEREGISTERED]
        if gone:
            raise ValidationFailed(_("已注销的摊位不能邀请签署：%(names)s") % {"names": "、".join(gone)})
        waiting = {
            inv.merchant_id
            for inv in CommitmentInvitation.objects.filter(market=market, merchant__in=stalls, kind=kind)
            if not inv.merchant.commitments.filter(kind=kind, signed_at__gte=inv.invited_at).exists()
        }
        inviter = acting_user(actor)
        created = [
            CommitmentInvitation.objects.create(market=market, merchant=s, kind=kind, due_on=due_on, invited_by=inviter)
            for s in stalls
            if s.pk not in waiting
        ]
        audit_log(
            actor=actor,
            action=AuditAction.MARKET_COMMITMENT_INVITE,
            target=market,
            data={
                "kind": kind,
                "due_on": due_on.isoformat(),
                "invited": [i.merchant_id for i in created],
                "already_waiting": sorted(waiting),
            },
        )
    return created
