"""Market operators (市场开办方, issue #20 item 1): a market's invitations to its stalls to sign a commitment.

A market is a ``Merchant`` of kind ``market``; its stalls are the merchants whose ``parent_market`` is it;
its operators are the market's members (``Membership``). Each stall still signs its own commitment
(``Commitment``): an invitation only asks, and the operator sees who signed since (docs/PARTNERS.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk

from .credit import CommitmentKind
from .register import Merchant


class CommitmentInvitation(models.Model):
    """A market operator asked one of its stalls to sign a commitment of ``kind`` by ``due_on``."""

    market = models.ForeignKey(
        Merchant, verbose_name=_("市场"), on_delete=models.CASCADE, related_name="commitment_invitations_sent"
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("摊位经营者"), on_delete=models.CASCADE, related_name="commitment_invitations"
    )
    kind = models.CharField(_("承诺类型"), max_length=16, choices=CommitmentKind.choices)
    due_on = models.DateField(_("签署期限"))
    invited_by = actor_fk(_("邀请人"), blank=False)
    invited_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信用承诺签署邀请")
        verbose_name_plural = _("信用承诺签署邀请")
        ordering = ["-invited_at", "-id"]
        indexes = [models.Index(fields=["market", "invited_at"], name="commit_invite_market_idx")]

    def __str__(self) -> str:
        return f"{self.market} → {self.merchant} · {self.get_kind_display()}"
