"""Public-service-ad (公益广告) reports of large venues, their verification and the deadline reminders.

A venue complies when its *verified* figures give a PSA share of at least the
quota's minimum and at least one PSA is shown at an entrance.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.uploads import IMAGE_TYPES, CheckedUpload, check_upload
from notifications.models import NoticeStatus

from .. import selectors
from ..audit_actions import AuditAction
from ..models import (
    MAX_ADS_PER_PLACEMENT,
    MAX_PLACEMENTS,
    AdLocation,
    AdMedium,
    AdPlacement,
    AdQuota,
    AdReport,
    AdReportStatus,
    ReminderLog,
)
from ..workflow import AD_REPORT_WORKFLOW
from ._access import require_region_staff

logger = logging.getLogger(__name__)

REMINDER_THRESHOLDS = (14, 7, 1)


def psa_is_compliant(*, total_ads: int, psa_ads: int, psa_at_entrance: int, min_share_percent: int) -> bool:
    """Integer arithmetic, so 30 of 100 is exactly 30 % (no float rounding at the boundary)."""
    return total_ads > 0 and psa_ads * 100 >= min_share_percent * total_ads and psa_at_entrance >= 1


def validate_photo(photo) -> CheckedUpload | None:
    """A PSA photo is an image only (JPEG or PNG, checked by content by the one upload checker)."""
    if not photo:
        return None
    return check_upload(photo, allowed=IMAGE_TYPES, field="photo")


def _int(value, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("%(label)s必须是整数。") % {"label": label}) from None
    if number < 0:
        raise ValidationFailed(_("%(label)s不能为负数。") % {"label": label})
    if number > MAX_ADS_PER_PLACEMENT:
        raise ValidationFailed(
            _("%(label)s不能超过%(max)d。") % {"label": label, "max": MAX_ADS_PER_PLACEMENT}
        )
    return number


def _clean_placement(raw: dict, index: int) -> dict:
    prefix = _("第%(n)d个点位：") % {"n": index}
    if raw.get("medium") not in AdMedium.values:
        raise ValidationFailed(prefix + _("请选择媒介。"))
    if raw.get("location") not in AdLocation.values:
        raise ValidationFailed(prefix + _("请选择位置。"))
    total = _int(raw.get("total_ads"), prefix + _("广告总数"))
    psa = _int(raw.get("psa_ads"), prefix + _("公益广告数"))
    if psa > total:
        raise ValidationFailed(
            prefix + _("公益广告数（%(p)d）不能大于广告总数（%(t)d）。") % {"p": psa, "t": total}
        )
    photo = raw.get("photo")
    try:
        checked = validate_photo(photo)
    except ValidationFailed as exc:
        raise ValidationFailed(prefix + exc.message, details=exc.details) from None
    return {
        "medium": raw["medium"],
        "location": raw["location"],
        "total_ads": total,
        "psa_ads": psa,
        "theme": (raw.get("theme") or "").strip()[:60],
        "photo": photo,
        "photo_original_name": checked.original_name if checked else "",
    }


def ad_report_submit(*, quota: AdQuota, merchant, period: str, placements: list[dict], actor: User | None) -> AdReport:
    """Record a venue's report; totals are summed from the placements in the same transaction."""
    if not merchant.is_large_venue:
        raise NotPermitted(_("%(name)s 不是大型场所，无须报告公益广告刊播。") % {"name": merchant.name})
    in_force = selectors.ad_quota_for(region=merchant.region_id, year=quota.year)
    if in_force is None or in_force.pk != quota.pk:
        raise ValidationFailed(_("该公益广告刊播任务不适用于本场所所在的市，请刷新页面后重新填报。"))
    period = (period or "").strip()
    if not period:
        raise ValidationFailed(_("请填写报告期（例如“2026年5月”）。"))
    if len(placements) > MAX_PLACEMENTS:
        raise ValidationFailed(_("一次最多填写%(n)d个刊播点位。") % {"n": MAX_PLACEMENTS})
    rows = [_clean_placement(p, i) for i, p in enumerate(placements, start=1)]
    if not rows:
        raise ValidationFailed(_("请至少填写一个刊播点位。"))
    total = sum(r["total_ads"] for r in rows)
    psa = sum(r["psa_ads"] for r in rows)
    entrance = sum(r["psa_ads"] for r in rows if r["location"] == AdLocation.ENTRANCE)
    if total == 0:
        raise ValidationFailed(_("广告总数为0，请填写实际刊播的广告数量。"))
    with transaction.atomic():
        report = AdReport.objects.create(
            quota=quota,
            merchant=merchant,
            period=period,
            total_ads=total,
            psa_ads=psa,
            psa_at_entrance=entrance,
            submitted_by=acting_user(actor),
        )
        for row in rows:
            photo = row.pop("photo")
            placement = AdPlacement(report=report, **row)
            if photo:
                placement.photo.save(photo.name, photo, save=False)  # upload<detected ext>, from check_upload
            placement.save()
        audit_log(
            actor=actor,
            action=AuditAction.AD_REPORT_SUBMIT,
            target=report,
            to_status=report.status,
            data={"total": total, "psa": psa, "entrance": entrance},
        )
    return report


def ad_report_verify(*, report: AdReport, confirmed: bool, note: str, actor: User | None) -> AdReport:
    """Staff verification (核查): confirmed reports get their compliance computed; refuted ones need a note."""
    require_region_staff(actor, report.merchant.region_id)
    note = (note or "").strip()
    if not confirmed and not note:
        raise ValidationFailed(_("核查不符时请填写核查说明。"))
    if report.status != AdReportStatus.SUBMITTED:
        raise TransitionNotAllowed(_("该报告已核查，不能重复核查。"))
    target = AdReportStatus.VERIFIED if confirmed else AdReportStatus.REJECTED
    # Judged against the quota in force for the venue when verified: a city that set its own
    # quota after the venue reported against the national default has its own minimum apply.
    quota = selectors.ad_quota_for(region=report.merchant.region_id, year=report.quota.year) or report.quota
    compliant = (
        psa_is_compliant(
            total_ads=report.total_ads,
            psa_ads=report.psa_ads,
            psa_at_entrance=report.psa_at_entrance,
            min_share_percent=quota.min_share_percent,
        )
        if confirmed
        else False
    )
    AD_REPORT_WORKFLOW.transition(
        report,
        target,
        actor=actor,
        note=note,
        fields={
            "quota": quota,
            "is_compliant": compliant,
            "verification_note": note,
            "verified_by": actor,
            "verified_at": timezone.now(),
        },
        data={"compliant": compliant, "min_share_percent": quota.min_share_percent},
    )
    if compliant:
        from merchants.services import merchant_mark_rating_stale

        merchant_mark_rating_stale(merchant_ids=[report.merchant_id], reason="psa verified")
    return report


def _threshold(days_left: int) -> int | None:
    """The tightest reminder threshold reached (14, 7 or 1 days before); None before 14 or after the deadline."""
    if days_left < 0:
        return None
    reached = [t for t in REMINDER_THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


@dataclass
class ReminderSummary:
    """What one run of the reminders did: venues reminded, of which told (at least one member has a
    notice that can reach them) and undeliverable (no account, or no member reachable)."""

    reminded: int = 0
    sent: int = 0
    undeliverable: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def ad_reminders_send(*, today: date | None = None) -> ReminderSummary:
    """Remind every large venue not yet compliant at 14, 7 and 1 days before the deadline; once per threshold.

    Each reminder is a ``ReminderLog`` row and, in the same transaction, the notices to the venue's
    members (campaigns/notices.py). A venue without an account gets one undeliverable notice and is
    counted ``undeliverable``, never ``sent``; the log's ``recipients`` is the number of members told."""
    from merchants.models import Merchant, MerchantStatus

    from ..notices import notify_psa_reminder

    today = today or timezone.localdate()
    summary = ReminderSummary()
    for quota in AdQuota.objects.filter(deadline__gte=today):
        days_left = (quota.deadline - today).days
        threshold = _threshold(days_left)
        if threshold is None:
            continue
        # Only the venues this row governs (a city's own quota, or the national one elsewhere);
        # a compliant report of the year counts whichever row it was filed against.
        compliant = AdReport.objects.filter(
            quota_id__in=selectors.ad_quota_ids_of_year(quota.year),
            merchant=OuterRef("pk"),
            status=AdReportStatus.VERIFIED,
            is_compliant=True,
        )
        reminded = ReminderLog.objects.filter(quota=quota, merchant=OuterRef("pk"), days_before=threshold)
        venues = (
            Merchant.objects.filter(
                selectors.ad_quota_venue_filter(quota), is_large_venue=True, status=MerchantStatus.OPERATING
            )
            .exclude(Exists(compliant))
            .exclude(Exists(reminded))
        )
        for merchant in list(venues):
            try:
                with transaction.atomic():
                    log = ReminderLog.objects.create(quota=quota, merchant=merchant, days_before=threshold)
                    notices = notify_psa_reminder(log=log, merchant=merchant, quota=quota, days_left=days_left)
                    told = {
                        n.recipient_id for n in notices if n.recipient_id and n.status != NoticeStatus.UNDELIVERABLE
                    }
                    log.recipients = len(told)
                    log.save(update_fields=["recipients"])
                    audit_log(
                        actor=None,
                        action=AuditAction.AD_QUOTA_REMINDER,
                        target=log,
                        data={"days_left": days_left, "recipients": len(told)},
                    )
            except IntegrityError:  # another run recorded it first
                continue
            summary.reminded += 1
            if told:
                summary.sent += 1
            else:
                summary.undeliverable += 1
    if summary.reminded:
        logger.info(
            "PSA reminders: %d venue(s), %d sent, %d undeliverable (no account or no member reachable)",
            summary.reminded,
            summary.sent,
            summary.undeliverable,
        )
    return summary
