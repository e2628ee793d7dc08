"""Objections (异议) filed by anyone during publicity, and their resolution by staff."""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed
from integrity_portal.core.phones import is_valid_phone, normalize_phone

from ..audit_actions import AuditAction
from ..models import ApplicationStatus, Campaign, CampaignStatus, Objection, ObjectionStatus
from ..workflow import APPLICATION_WORKFLOW, OBJECTION_WORKFLOW
from ._access import require_campaign_manager

MAX_CONTENT = 2000


def _reference(today: date) -> str:
    return f"YY{today:%Y%m%d}{secrets.token_hex(3).upper()}"


def _not_candidate() -> ValidationFailed:
    return ValidationFailed(_("该主体不是本次公示的候选对象，不能对其提出异议。"), code="not_candidate")


def objection_field_errors(*, name: str, phone: str, content: str) -> dict[str, str]:
    """Every field rule an objection breaks, at once (the public form shows them in one pass)."""
    name, phone, content = (name or "").strip(), normalize_phone(phone or ""), (content or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写姓名。")
    if not is_valid_phone(phone):
        errors["phone"] = _("请填写有效的手机号或座机号码。")
    if len(content) < 10:
        errors["content"] = _("请具体说明异议的事实（不少于10个字）。")
    elif len(content) > MAX_CONTENT:
        errors["content"] = _("异议内容不超过%(n)d字。") % {"n": MAX_CONTENT}
    return errors


def objection_file(
    *, application, name: str, phone: str, content: str, actor: User | None = None, today: date | None = None
) -> Objection:
    """File an objection against a candidate while the campaign is in its publicity window.

    ``application`` is what the page or API found for the objector's choice among the public
    candidates (``selectors.public_candidate``); None (nothing found) is refused like a non-candidate.
    """
    today = today or timezone.localdate()
    if application is None:
        raise _not_candidate()
    campaign = application.campaign
    name, phone, content = (name or "").strip(), normalize_phone(phone), (content or "").strip()
    errors = objection_field_errors(name=name, phone=phone, content=content)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), details=errors)
    if campaign.status != CampaignStatus.PUBLICITY or not (
        campaign.publicity_start <= today <= campaign.publicity_end
    ):
        raise ValidationFailed(
            _("不在公示期内：公示期为 %(a)s 至 %(b)s，期外不受理异议。")
            % {"a": campaign.publicity_start.isoformat(), "b": campaign.publicity_end.isoformat()},
            code="outside_window",
        )
    if application.status != ApplicationStatus.CANDIDATE:
        raise _not_candidate()
    with transaction.atomic():
        objection = Objection.objects.create(
            application=application,
            reference=_reference(today),
            objector_name=name,
            objector_phone=phone,
            content=content,
        )
        audit_log(
            actor=actor,
            action=AuditAction.OBJECTION_FILE,
            target=objection,
            to_status=objection.status,
            data={"application": application.pk},
        )
    return objection


def objection_resolve(*, objection: Objection, upheld: bool, reason: str, actor: User | None) -> Objection:
    """Upheld removes the candidate (rejected with the reason); dismissed keeps it. Both are final."""
    application = objection.application
    campaign = application.campaign
    require_campaign_manager(actor, campaign.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写处理理由。"))
    target = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    with transaction.atomic():
        # Checked on the locked campaign row, not the caller's copy: publication takes the same row
        # (its conditional UPDATE), so a campaign that moved on is seen here and nothing is resolved.
        locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked_campaign.status != CampaignStatus.PUBLICITY:
            raise TransitionNotAllowed(
                _("活动已不在公示阶段，异议不能再处理。"),
                details={"campaign_status": locked_campaign.status},
            )
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        if not OBJECTION_WORKFLOW.can(locked.status, target):
            raise TransitionNotAllowed(_("该异议已处理过。"))
        OBJECTION_WORKFLOW.transition(
            locked,
            target,
            actor=actor,
            note=reason,
            fields={"resolution_reason": reason, "resolved_by": actor, "resolved_at": timezone.now()},
        )
        objection.refresh_from_db()
        if upheld:
            application.refresh_from_db()
            if application.status == ApplicationStatus.CANDIDATE:
                removal = _("公示异议成立（%(ref)s）：%(reason)s") % {
                    "ref": objection.reference,
                    "reason": reason,
                }
                APPLICATION_WORKFLOW.transition(
                    application,
                    ApplicationStatus.REJECTED,
                    actor=actor,
                    note=removal,
                    fields={"rejection_reason": removal},
                )
    return objection
