"""Applications (申报): the eligibility check at submission, district review (初审), city review (复审)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed

from ..audit_actions import AuditAction
from ..models import (
    AdReportStatus,
    Application,
    ApplicationReview,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Category,
    ReviewDecision,
    ReviewLevel,
)
from ..notices import notify_application_reviewed
from ..workflow import APPLICATION_WORKFLOW
from ._access import require_city_reviewer, require_district_reviewer

REVIEW_OPEN_STATUSES = {CampaignStatus.OPEN, CampaignStatus.REVIEWING}


def _credit():
    """The ratings work's selectors, imported late: ``merchants`` must not be needed at import time."""
    from merchants.selectors import credit

    return credit


def _psa_compliant(merchant, campaign: Campaign) -> tuple[bool, str]:
    from ..models import AdReport
    from ..selectors import ad_quota_for, ad_quota_ids_of_year

    # The last quota issued up to the campaign's year for the venue's city (or the national default).
    quota = ad_quota_for(region=merchant.region_id, year=campaign.year, or_earlier=True)
    if quota is None:
        return True, _("尚未下达公益广告刊播任务，不作要求。")
    ok = AdReport.objects.filter(
        quota_id__in=ad_quota_ids_of_year(quota.year),
        merchant=merchant,
        status=AdReportStatus.VERIFIED,
        is_compliant=True,
    ).exists()
    if ok:
        return True, _("%(year)d年度公益广告刊播经核查达标。") % {"year": quota.year}
    return False, _(
        "%(year)d年度公益广告刊播尚未经核查达标（公益广告占比不低于%(p)d%%且入口处有公益广告）。"
    ) % {
        "year": quota.year,
        "p": quota.min_share_percent,
    }


def application_check_eligibility(*, campaign: Campaign, merchant, as_of: date | None = None) -> list[dict]:
    """Every threshold of the campaign as ``{"code", "label", "ok", "detail"}``, failures and passes alike."""
    as_of = as_of or timezone.localdate()
    credit = _credit()
    checks: list[dict] = []

    def add(code: str, label: str, ok: bool, detail: str) -> None:
        checks.append({"code": code, "label": label, "ok": bool(ok), "detail": str(detail)})

    if campaign.require_no_black_entry:
        black = credit.merchant_has_black_entry_in_force(merchant=merchant, as_of=as_of)
        add(
            "black_list",
            _("无生效的黑名单记录"),
            not black,
            _("存在生效的黑名单（严重违法失信、经营异常等）记录。") if black else _("无生效的黑名单记录。"),
        )
    if campaign.require_no_serious_penalty:
        serious = credit.merchant_has_serious_penalty_in_publicity(merchant=merchant, as_of=as_of)
        add(
            "serious_penalty",
            _("无公示期内的严重行政处罚"),
            not serious,
            _("有一项严重行政处罚仍在公示期内。") if serious else _("无公示期内的严重行政处罚。"),
        )
    stars = merchant.stars
    stars_ok = stars is not None and stars >= campaign.min_stars
    if stars is None:
        stars_detail = _("尚未评定星级，要求不低于%(n)d星。") % {"n": campaign.min_stars}
    else:
        stars_detail = _("当前%(s)d星，要求不低于%(n)d星。") % {"s": stars, "n": campaign.min_stars}
    add("stars", _("信用星级达标"), stars_ok, stars_detail)
    if campaign.require_commitment:
        has = credit.merchant_has_commitment_in_force(merchant=merchant, as_of=as_of)
        add(
            "commitment",
            _("信用承诺在有效期内"),
            has,
            _("已签署有效期内的信用承诺书。") if has else _("没有有效期内的信用承诺书，请先在门户签署。"),
        )
    if campaign.require_psa_compliance and merchant.is_large_venue:
        ok, detail = _psa_compliant(merchant, campaign)
        add("psa", _("公益广告刊播达标"), ok, detail)
    return checks


def application_submit(
    *,
    campaign: Campaign,
    merchant,
    actor: User | None,
    statement: str = "",
    category: str | None = None,
    today: date | None = None,
) -> Application:
    """Apply once per campaign, in the category of the merchant's kind, inside the window, if eligible."""
    today = today or timezone.localdate()
    if campaign.status != CampaignStatus.OPEN or not (
        campaign.application_start <= today <= campaign.application_end
    ):
        raise ValidationFailed(
            _("不在申报期内：本活动申报时间为 %(a)s 至 %(b)s。")
            % {"a": campaign.application_start.isoformat(), "b": campaign.application_end.isoformat()},
            code="outside_window",
        )
    from integrity_portal.core.scoping import region_and_descendants

    if merchant.region_id not in region_and_descendants(campaign.region_id):
        raise ValidationFailed(
            _("%(name)s 不在本活动的范围（%(scope)s）内。")
            % {"name": merchant.name, "scope": campaign.region.name},
            code="out_of_scope",
        )
    if merchant.status != "operating":
        raise ValidationFailed(
            _("%(name)s 当前状态为“%(s)s”，只有存续经营的主体可以申报。")
            % {"name": merchant.name, "s": merchant.get_status_display()},
            code="not_operating",
        )
    own_category = merchant.kind
    if category and category != own_category:
        raise ValidationFailed(
            _("类别不符：%(name)s 只能申报“%(cat)s”。")
            % {"name": merchant.name, "cat": Category(own_category).label},
            code="wrong_category",
        )
    if not campaign.categories.filter(category=own_category).exists():
        raise ValidationFailed(
            _("本活动不评选“%(cat)s”。") % {"cat": Category(own_category).label}, code="wrong_category"
        )
    if Application.objects.filter(campaign=campaign, merchant=merchant).exists():
        raise ValidationFailed(
            _("%(name)s 已申报过本活动，每个主体只能申报一次。") % {"name": merchant.name}, code="duplicate"
        )
    checks = application_check_eligibility(campaign=campaign, merchant=merchant, as_of=today)
    failures = [c["detail"] for c in checks if not c["ok"]]
    if failures:
        raise ValidationFailed(
            _("不符合申报条件：%(reasons)s") % {"reasons": " ".join(failures)},
            code="ineligible",
            details={"eligibility": checks},
        )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                campaign=campaign,
                merchant=merchant,
                category=own_category,
                statement=statement.strip(),
                eligibility=checks,
                submitted_by=acting_user(actor),
            )
            audit_log(
                actor=actor,
                action=AuditAction.APPLICATION_SUBMIT,
                target=application,
                to_status=application.status,
                data={"eligibility": checks},
            )
    except IntegrityError:
        raise ValidationFailed(
            _("%(name)s 已申报过本活动，每个主体只能申报一次。") % {"name": merchant.name}, code="duplicate"
        ) from None
    return application


def _score(value, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("%(label)s必须是0到100之间的数字。") % {"label": label}) from None
    if not (Decimal(0) <= score <= Decimal(100)):
        raise ValidationFailed(_("%(label)s必须是0到100之间的数字。") % {"label": label})
    return score


def _check_decision(decision: str, reason: str) -> str:
    if decision not in ReviewDecision.values:
        raise ValidationFailed(_("请选择审核结论（通过或不通过）。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写审核理由。"))
    return reason


_REVIEW_ACTIONS = {
    ReviewLevel.DISTRICT: AuditAction.APPLICATION_REVIEW_DISTRICT,
    ReviewLevel.CITY: AuditAction.APPLICATION_REVIEW_CITY,
}


def _record(
    application: Application,
    *,
    level: str,
    decision: str,
    reason: str,
    actor: User | None,
    target: str,
    fields: dict | None = None,
    scores: dict | None = None,
) -> Application:
    with transaction.atomic():
        APPLICATION_WORKFLOW.transition(
            application,
            target,
            actor=actor,
            note=reason,
            action=_REVIEW_ACTIONS[level],
            fields=fields,
            data={"decision": decision, **{k: str(v) for k, v in (scores or {}).items() if v is not None}},
        )
        try:
            with transaction.atomic():
                ApplicationReview.objects.create(
                    application=application,
                    level=level,
                    decision=decision,
                    reason=reason,
                    reviewer=acting_user(actor),
                    **(scores or {}),
                )
        except IntegrityError:
            raise TransitionNotAllowed(_("该层级已审核过，不能重复审核。")) from None
        notify_application_reviewed(application=application, level=level, decision=decision, reason=reason, actor=actor)
    return application


def application_review_district(
    *, application: Application, decision: str, reason: str, actor: User | None
) -> Application:
    """District review (初审) by the branch of the merchant's district."""
    require_district_reviewer(actor, application.merchant.region_id)
    reason = _check_decision(decision, reason)
    if application.campaign.status not in REVIEW_OPEN_STATUSES:
        raise TransitionNotAllowed(_("活动不在申报或评审阶段，不能审核。"))
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionNotAllowed(
            _("只有“已申报”的申报可以初审，当前为“%(s)s”。") % {"s": application.get_status_display()}
        )
    target = (
        ApplicationStatus.DISTRICT_PASSED if decision == ReviewDecision.PASS else ApplicationStatus.REJECTED
    )
    fields = {"rejection_reason": reason} if target == ApplicationStatus.REJECTED else None
    return _record(
        application,
        level=ReviewLevel.DISTRICT,
        decision=decision,
        reason=reason,
        actor=actor,
        target=target,
        fields=fields,
    )


def weighted_total(campaign: Campaign, inspection: Decimal, survey: Decimal) -> Decimal:
    total = (inspection * campaign.weight_inspection + survey * campaign.weight_survey) / Decimal(100)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def application_review_city(
    *, application: Application, decision: str, reason: str, actor: User | None, inspection_score=None, survey_score=None
) -> Application:
    """City review (复审): a passing decision needs both scores; the weighted total ranks candidates."""
    campaign = application.campaign
    require_city_reviewer(actor, campaign.region_id)
    reason = _check_decision(decision, reason)
    inspection = _score(inspection_score, _("实地考察得分"))
    survey = _score(survey_score, _("问卷调查满意度"))
    if decision == ReviewDecision.PASS and (inspection is None or survey is None):
        raise ValidationFailed(_("复审通过须录入实地考察得分和问卷调查满意度（0–100）。"))
    if campaign.status not in REVIEW_OPEN_STATUSES:
        raise TransitionNotAllowed(_("活动不在申报或评审阶段，不能审核。"))
    if application.status != ApplicationStatus.DISTRICT_PASSED:
        raise TransitionNotAllowed(
            _("只有初审通过的申报可以复审，当前为“%(s)s”。") % {"s": application.get_status_display()}
        )
    total = (
        weighted_total(campaign, inspection, survey)
        if inspection is not None and survey is not None
        else None
    )
    fields = {"inspection_score": inspection, "survey_score": survey, "total_score": total}
    if decision == ReviewDecision.PASS:
        target = ApplicationStatus.CITY_PASSED
    else:
        target = ApplicationStatus.REJECTED
        fields["rejection_reason"] = reason
    return _record(
        application,
        level=ReviewLevel.CITY,
        decision=decision,
        reason=reason,
        actor=actor,
        target=target,
        fields=fields,
        scores={"inspection_score": inspection, "survey_score": survey},
    )
