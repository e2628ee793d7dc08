"""Consumer-rights stations (消费维权服务站, issue #20 item 2): intake at the station and mediation at source.

A station belongs to a market or a large venue (``ConsumerRightsStation.venue``) and acts through its staff
users. It takes complaints (channel ``station``, the station recorded on the complaint) and, within the
settlement period (status ``odr``, before the bureau's clock starts), proposes a settlement on a complaint
about one of its stalls, the way a merchant does: the same reply and proposal path
(``merchant.reply_add``), the complainant accepts or rejects (``complaint_decide_proposal``), and when the
period ends unsettled the complaint goes to the bureau as any other (``complaint_odr_expire``).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed

from ..audit_actions import AuditAction
from ..models import Channel, Complaint, ComplaintKind, ConsumerRightsStation, MerchantReply, Status
from .common import locked, today
from .intake import Submission, complaint_submit
from .merchant import reply_add


def require_station_staff(actor: User | None, station: ConsumerRightsStation) -> None:
    """The actor works at ``station``, which is active."""
    if (
        actor is None
        or not station.active
        or not ConsumerRightsStation.objects.filter(pk=station.pk, active=True, staff=actor).exists()
    ):
        raise NotPermitted(_("只有该消费维权服务站的工作人员可以进行此操作。"))


def station_complaint_intake(
    *, station: ConsumerRightsStation, submission: Submission, actor: User | None, idempotency_key: str = ""
) -> list[Complaint]:
    """Register what a consumer brought to the station: channel ``station``, the station recorded. With
    ``submission.use_odr`` a complaint about one of the station's stalls goes to settlement first (the
    station mediates within the period), whether or not the stall has joined ODR."""
    require_station_staff(actor, station)
    submission.channel = Channel.STATION
    submission.station_id = station.pk
    return complaint_submit(submission=submission, actor=actor, idempotency_key=idempotency_key)


def complaint_station_mediate(
    *, complaint: Complaint, station: ConsumerRightsStation, actor: User | None, body: str, proposal: str
) -> MerchantReply:
    """The station proposes a settlement on a complaint about one of its stalls, within the settlement period
    (before the bureau's clock starts). The complainant decides as on a merchant's proposal."""
    require_station_staff(actor, station)
    if len((body or "").strip()) < 2:
        raise ValidationFailed(_("请填写调解意见。"), details={"body": "required"})
    if not (proposal or "").strip():
        raise ValidationFailed(_("请填写调解方案。"), details={"proposal": "required"})
    with transaction.atomic():
        c = locked(complaint)
        if c.kind != ComplaintKind.COMPLAINT or not station.covers(c.merchant):
            raise NotFound(_("未找到该投诉。"))
        if c.status != Status.ODR or (c.odr_due_on is not None and today() > c.odr_due_on):
            raise TransitionNotAllowed(
                _("只有在和解期内（市场监管部门开始办理之前）服务站才能调解；该投诉当前状态：%(s)s。")
                % {"s": c.get_status_display()}
            )
        return reply_add(
            c,
            actor=actor,
            body=body,
            proposal=proposal,
            action=AuditAction.COMPLAINT_STATION_MEDIATION,
            station=station,
        )
