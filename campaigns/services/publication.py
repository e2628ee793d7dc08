"""Publication of the commendation lists: exactly once, however many workers or clicks ask for it.

Three guards, all in one transaction: the conditional campaign transition
(``UPDATE … WHERE status='publicity'``: a concurrent caller blocks on the row
and then updates nothing), the UNIQUE (campaign, category) constraint on
``CommendationList``, and the idempotent red-list service (one entry per
merchant and decision number). A loser rolls back completely and reports a no-op.
"""

from __future__ import annotations

import logging
from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.errors import ConcurrentUpdate, DomainError, TransitionNotAllowed
from integrity_portal.core.workdays import add_years

from ..models import (
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Category,
    CommendationEntry,
    CommendationList,
    ObjectionStatus,
)
from ..workflow import APPLICATION_WORKFLOW, CAMPAIGN_WORKFLOW
from ._access import require_campaign_manager
from .campaign import campaign_missing_for, check_campaign_move

logger = logging.getLogger(__name__)


def _list_text(campaign: Campaign, category: str, names: list[str]) -> str:
    label = Category(category).label
    window = f"{campaign.publicity_start:%Y年%m月%d日}至{campaign.publicity_end:%Y年%m月%d日}"
    if not names:
        return f"{campaign.notice_title}公示期满（{window}）。本年度“{label}”无表彰对象。"
    return (
        f"{campaign.notice_title}公示期满（{window}），无异议或异议经核查不成立。"
        f"现决定授予以下{len(names)}家单位“{campaign.year}年度{label}”称号，"
        f"并列入守信红榜{campaign.red_list_years}年：{'、'.join(names)}。"
    )


def campaign_publish(
    *, campaign: Campaign, actor: User | None, today: date | None = None, note: str = ""
) -> list[CommendationList]:
    """Freeze one list per category, commend the candidates and put them on the red list.

    ``note`` (what the staff member typed on the campaign's page) follows the standard note in the audit.

    Raises TransitionNotAllowed (not in publicity, publicity not over, objections open)
    or ConcurrentUpdate (someone else published first).
    """
    from merchants.services import merchant_mark_rating_stale
    from merchants.services.credit import list_entry_add_red

    today = today or timezone.localdate()
    require_campaign_manager(actor, campaign.region_id)
    check_campaign_move(campaign, CampaignStatus.PUBLISHED)
    now = timezone.now()
    with transaction.atomic():
        CAMPAIGN_WORKFLOW.transition(
            campaign,
            CampaignStatus.PUBLISHED,
            actor=actor,
            fields={"published_at": now},
            note=" ".join(filter(None, [_("公示期满，发布表彰名单"), (note or "").strip()])),
        )
        # Checked after the row lock the transition took, so nothing can change underneath.
        missing = campaign_missing_for(campaign, CampaignStatus.PUBLISHED, today=today)
        if missing:
            raise TransitionNotAllowed(
                _("不能发布：%(m)s") % {"m": " ".join(missing)}, details={"missing": missing}
            )
        valid_until = add_years(today, campaign.red_list_years)
        lists: list[CommendationList] = []
        commended_ids: list[int] = []
        for category in campaign.category_values():
            candidates = list(
                campaign.applications.select_related("merchant")
                .filter(category=category, status=ApplicationStatus.CANDIDATE)
                .order_by("rank", "id")
            )
            label = Category(category).label
            clist = CommendationList.objects.create(
                campaign=campaign,
                category=category,
                notice_number=campaign.notice_number,
                notice_title=f"{campaign.year}年度{label}表彰名单",
                notice_text=_list_text(campaign, category, [a.merchant.name for a in candidates]),
                published_at=now,
                published_by=acting_user(actor),
            )
            CommendationEntry.objects.bulk_create(
                [
                    CommendationEntry(
                        commendation_list=clist,
                        application=app,
                        merchant=app.merchant,
                        rank=pos,
                        total_score=app.total_score,
                        red_list_until=valid_until,
                    )
                    for pos, app in enumerate(candidates, start=1)
                ]
            )
            for app in candidates:
                APPLICATION_WORKFLOW.transition(
                    app, ApplicationStatus.COMMENDED, actor=actor, note=clist.notice_title
                )
                list_entry_add_red(
                    merchant=app.merchant,
                    kind="commended",
                    reason=f"获评{campaign.year}年度{label}",
                    legal_basis=f"《{campaign.year}年全市文明诚信经营创建活动方案》",
                    decision_number=campaign.notice_number,
                    decided_by=f"{campaign.region.name}市场监督管理局、{campaign.region.name}文明办",
                    valid_from=today,
                    valid_until=valid_until,
                    actor=actor,
                )
                commended_ids.append(app.merchant_id)
            lists.append(clist)
        merchant_mark_rating_stale(merchant_ids=commended_ids, reason="campaign commended")
    return lists


def campaign_publish_if_due(*, campaign_id: int, actor: User | None = None, today: date | None = None) -> bool:
    """The task's entry point: True if this call published, False if it was not due or someone else did."""
    campaign = Campaign.objects.select_related("region").filter(pk=campaign_id).first()
    if campaign is None:
        return False
    try:
        campaign_publish(campaign=campaign, actor=actor, today=today)
    except (ConcurrentUpdate, TransitionNotAllowed, IntegrityError) as exc:
        logger.info("campaign %s not published: %s", campaign_id, exc)
        return False
    except DomainError:
        logger.warning("campaign %s refused publication", campaign_id, exc_info=True)
        return False
    return True


def due_campaign_ids(*, today: date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(
        Campaign.objects.filter(status=CampaignStatus.PUBLICITY, publicity_end__lt=today)
        .exclude(applications__objections__status=ObjectionStatus.OPEN)
        .values_list("pk", flat=True)
        .distinct()
    )


def publish_due_commendations(*, today: date | None = None) -> list[int]:
    """Publish every campaign whose publicity has ended with no open objection; returns those published."""
    return [
        pk for pk in due_campaign_ids(today=today) if campaign_publish_if_due(campaign_id=pk, today=today)
    ]
