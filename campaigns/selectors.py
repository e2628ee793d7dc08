"""Reads of the campaigns app, scoped to the viewer: the public, a merchant member, or staff by region."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from integrity_portal.core.scoping import scope_to_user_region

from .models import (
    AdQuota,
    AdReport,
    AdReportStatus,
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    CommendationEntry,
    CommendationList,
    Objection,
)

PUBLIC_STATUSES = (CampaignStatus.PUBLICITY, CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED)


# --- public -----------------------------------------------------------------------------------------


def public_campaigns() -> QuerySet[Campaign]:
    """Campaigns whose notice is public: in publicity, or published (and later archived)."""
    return (
        Campaign.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("region")
        .order_by("-year", "region_id")
    )


def public_campaign_or_404(key: int) -> Campaign:
    """``key`` is a year (e.g. 2016, the city-wide notice of that year) or a campaign id."""
    qs = public_campaigns()
    if 1990 <= key <= 2100:
        found = qs.filter(year=key).first()
        if found:
            return found
    found = qs.filter(pk=key).first()
    if not found:
        raise Http404
    return found


#: Campaigns shown on the public campaign pages (/campaigns/): every stage after the draft.
ANNOUNCED_STATUSES = (CampaignStatus.OPEN, CampaignStatus.REVIEWING, *PUBLIC_STATUSES)


def public_announced_campaigns() -> QuerySet[Campaign]:
    """Campaigns the public may read about (scheme, categories, rules, timetable): open ones first."""
    return (
        Campaign.objects.filter(status__in=ANNOUNCED_STATUSES)
        .select_related("region")
        .prefetch_related("categories")
        .order_by("-year", "region_id")
    )


def public_announced_campaign_or_404(pk: int) -> Campaign:
    found = public_announced_campaigns().filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def public_objection_outcome(reference: str) -> Objection | None:
    """The objection filed under ``reference`` (受理编号), for its outcome page: status, the candidate
    and the campaign only. The caller never shows the objector's name, phone or text."""
    reference = (reference or "").strip().upper()
    if not reference or len(reference) > 20:
        return None
    return (
        Objection.objects.select_related("application__merchant", "application__campaign__region")
        .only(
            "reference", "status", "resolution_reason", "resolved_at", "created_at",
            "application__category", "application__merchant__name", "application__campaign__title",
            "application__campaign__notice_title", "application__campaign__year",
            "application__campaign__status", "application__campaign__region__name",
        )
        .filter(reference=reference)
        .first()
    )


def public_candidates(campaign: Campaign) -> QuerySet[Application]:
    """Candidates under publicity (names, category, rank, scores) — never objectors' data."""
    return (
        campaign.applications.filter(status=ApplicationStatus.CANDIDATE)
        .select_related("merchant", "merchant__region")
        .order_by("category", "rank", "id")
    )


def public_candidate(pk) -> Application | None:
    """One candidate under publicity, by id (the objection API); None for anything else, so an id of
    another stage's application or of a campaign not in publicity tells the caller nothing."""
    if not str(pk).isdigit():
        return None
    return (
        Application.objects.select_related("campaign")
        .filter(pk=pk, status=ApplicationStatus.CANDIDATE, campaign__status=CampaignStatus.PUBLICITY)
        .first()
    )


def public_commendation_lists(campaign: Campaign | None = None) -> QuerySet[CommendationList]:
    qs = CommendationList.objects.select_related("campaign", "campaign__region").filter(
        campaign__status__in=(CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED)
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by("-campaign__year", "campaign_id", "category")


def public_commendation_entries() -> QuerySet[CommendationEntry]:
    return CommendationEntry.objects.select_related(
        "merchant", "merchant__region", "commendation_list", "commendation_list__campaign"
    ).filter(commendation_list__campaign__status__in=(CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED))


# --- merchant portal --------------------------------------------------------------------------------


def open_campaigns_for_merchant(merchant, *, today: date | None = None) -> QuerySet[Campaign]:
    """Open campaigns in the merchant's territory that award its category and it has not applied to."""
    from integrity_portal.core.scoping import region_and_descendants

    today = today or timezone.localdate()
    covering = [
        c.pk
        for c in Campaign.objects.filter(status=CampaignStatus.OPEN).only("pk", "region_id")
        if merchant.region_id in region_and_descendants(c.region_id)
    ]
    return (
        Campaign.objects.filter(
            pk__in=covering, categories__category=merchant.kind, application_end__gte=today
        )
        .exclude(applications__merchant=merchant)
        .distinct()
        .order_by("application_end")
    )


def campaign_announced(pk) -> Campaign | None:
    """A campaign a merchant member may apply to or read about on the apply page: any but a draft (a
    draft is staff-only). Whether a merchant may apply (window, territory, category) is the service's check
    (``application_submit``), shown as its message. None for a draft or an unknown id."""
    if not str(pk).isdigit():
        return None
    return Campaign.objects.exclude(status=CampaignStatus.DRAFT).filter(pk=pk).first()


def applications_for_merchant(merchant) -> QuerySet[Application]:
    return (
        Application.objects.filter(merchant=merchant)
        .select_related("campaign")
        .prefetch_related("reviews")
        .order_by("-campaign__year", "-id")
    )


def applications_for_user(user) -> QuerySet[Application]:
    """Portal users: applications of merchants they are members of. Staff: their region's."""
    if getattr(user, "is_staff", False):
        return scope_to_user_region(Application.objects.all(), user, field="merchant__region").select_related(
            "campaign", "merchant"
        )
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(merchant__memberships__user=user)
        .select_related("campaign", "merchant")
        .distinct()
    )


# --- PSA quota in force -----------------------------------------------------------------------------


def ad_quota_for(*, region, year: int, or_earlier: bool = False) -> AdQuota | None:
    """The PSA quota in force for a venue in ``region`` (a Region or its code) in ``year``.

    Walks up from the region (district → city → province) and takes the nearest region's row; a
    city's row thus overrides the national default for the city and its districts, and never for
    another city. Without a regional row, the national default (region NULL, superuser-only);
    None when neither exists (no quota issued). ``or_earlier`` takes the latest year up to
    ``year`` that has a quota here (the campaign eligibility check reads the last one issued).
    """
    from merchants.regions import region_and_ancestor_codes

    code = getattr(region, "pk", region)
    chain = region_and_ancestor_codes(code) if code else []
    qs = AdQuota.objects.filter(Q(region__isnull=True) | Q(region_id__in=chain)).select_related("region")
    rows = list(qs.filter(year__lte=year) if or_earlier else qs.filter(year=year))
    if not rows:
        return None
    depth = {c: i for i, c in enumerate(chain)}
    return min(rows, key=lambda q: (-q.year, depth.get(q.region_id, len(chain))))


def ad_quota_ids_of_year(year: int) -> list[int]:
    """Every quota row of ``year`` (national and regional): a venue's reports of the year count
    whichever row they were filed against (a city may set its own quota after venues reported)."""
    return list(AdQuota.objects.filter(year=year).values_list("pk", flat=True))


def ad_quota_venue_filter(quota: AdQuota, *, field: str = "region") -> Q:
    """A filter on ``field`` (a Region FK path) matching the venues for which ``quota`` is in force:
    its region's subtree (all regions for the national row) minus subregions with a row of their own."""
    from integrity_portal.core.scoping import region_and_descendants

    inside = set(region_and_descendants(quota.region_id)) if quota.region_id else None
    carved: set[str] = set()
    others = (
        AdQuota.objects.filter(year=quota.year, region__isnull=False)
        .exclude(pk=quota.pk)
        .values_list("region_id", flat=True)
    )
    for code in others:
        if inside is None or (code in inside and code != quota.region_id):
            carved.update(region_and_descendants(code))
    if inside is not None:
        return Q(**{f"{field}__in": sorted(inside - carved)})
    return ~Q(**{f"{field}__in": sorted(carved)}) if carved else Q()


def ad_quotas_for_staff(user) -> QuerySet[AdQuota]:
    """Quotas staff may see: their own region's (and its districts'), the rows above it that apply
    to them (their province's, the national default) — never another city's."""
    from integrity_portal.core.scoping import staff_region_code, visible_region_codes
    from merchants.regions import region_and_ancestor_codes

    codes = visible_region_codes(user)
    qs = AdQuota.objects.select_related("region", "campaign")
    if codes is None:
        return qs
    own = staff_region_code(user)
    above = region_and_ancestor_codes(own) if own else []
    return qs.filter(Q(region__isnull=True) | Q(region_id__in=[*codes, *above]))


def portal_merchant_panel(*, viewer, merchant) -> dict:
    """The campaigns panel on the portal's merchant page and the portal overview (``core.panels``): open
    campaigns it may apply to, its latest applications and its PSA standing. ``viewer`` is a member (the
    page checked)."""
    return {
        "open_campaigns": list(open_campaigns_for_merchant(merchant)),
        "applications": list(applications_for_merchant(merchant)[:5]),
        "psa": psa_status_for_merchant(merchant),
    }


def ad_reports_for_merchant(merchant) -> QuerySet[AdReport]:
    return AdReport.objects.filter(merchant=merchant).select_related("quota").prefetch_related("placements")


def psa_status_for_merchant(merchant, *, today: date | None = None) -> dict | None:
    """The venue's standing against this year's quota, for the portal; None if it owes no PSA."""
    if not merchant.is_large_venue:
        return None
    today = today or timezone.localdate()
    quota = ad_quota_for(region=merchant.region_id, year=today.year)
    if quota is None:
        return {"quota": None}
    reports = list(
        AdReport.objects.filter(quota_id__in=ad_quota_ids_of_year(quota.year), merchant=merchant).order_by(
            "-submitted_at"
        )
    )
    compliant = any(r.status == AdReportStatus.VERIFIED and r.is_compliant for r in reports)
    return {
        "quota": quota,
        "reports": reports,
        "latest": reports[0] if reports else None,
        "compliant": compliant,
        "days_left": (quota.deadline - today).days,
    }


def portal_todos(*, viewer, today: date) -> list:
    """The portal home's to-do items (``core.panels``): a large venue of the viewer's that is not yet
    verified compliant and has not reported this month owes a PSA report (due by the quota's deadline)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from integrity_portal.core.panels import PortalTodo
    from merchants.selectors import merchants_for_user

    items = []
    for merchant in merchants_for_user(viewer).filter(is_large_venue=True).order_by("name", "id"):
        psa = psa_status_for_merchant(merchant, today=today)
        if not psa or psa["quota"] is None or psa["compliant"]:
            continue
        latest = psa["latest"]
        if latest is not None and timezone.localtime(latest.submitted_at).date() >= today.replace(day=1):
            continue
        items.append(
            PortalTodo(
                kind="psa",
                label=_("报告本月公益广告刊播情况"),
                merchant_name=merchant.name,
                url=reverse("portal_campaigns:ad_report", args=[merchant.pk]),
                due=psa["quota"].deadline,
            )
        )
    return items


# --- staff ------------------------------------------------------------------------------------------


def objections_for_staff(user) -> QuerySet[Objection]:
    return scope_to_user_region(Objection.objects.all(), user, field="application__merchant__region")


def ad_progress_board(*, quota: AdQuota, user, today: date | None = None) -> dict:
    """Per district: venues required, reported, verified, compliant — within the viewer's region,
    among the venues for which ``quota`` is in force (a city with its own quota has its own board)."""
    from merchants.models import Merchant, MerchantStatus, Region

    today = today or timezone.localdate()
    reports = AdReport.objects.filter(quota_id__in=ad_quota_ids_of_year(quota.year), merchant=OuterRef("pk"))
    venues = scope_to_user_region(
        Merchant.objects.filter(
            ad_quota_venue_filter(quota), is_large_venue=True, status=MerchantStatus.OPERATING
        ),
        user,
        field="region",
    ).annotate(
        has_report=Exists(reports),
        has_verified=Exists(reports.filter(status=AdReportStatus.VERIFIED)),
        has_compliant=Exists(reports.filter(status=AdReportStatus.VERIFIED, is_compliant=True)),
    )
    rows = list(
        venues.values("region")
        .annotate(
            required=Count("pk"),
            reported=Count("pk", filter=Q(has_report=True)),
            verified=Count("pk", filter=Q(has_verified=True)),
            compliant=Count("pk", filter=Q(has_compliant=True)),
        )
        .order_by("region")
    )
    names = {
        r.code: r.full_name
        for r in Region.objects.filter(pk__in=[row["region"] for row in rows]).select_related("parent")
    }
    totals = {"required": 0, "reported": 0, "verified": 0, "compliant": 0}
    for row in rows:
        row["region_name"] = names.get(row["region"], row["region"])
        row["compliant_percent"] = round(100 * row["compliant"] / row["required"]) if row["required"] else 0
        row["reported_percent"] = round(100 * row["reported"] / row["required"]) if row["required"] else 0
        row["verified_percent"] = round(100 * row["verified"] / row["required"]) if row["required"] else 0
        for key in totals:
            totals[key] += row[key]
    totals["compliant_percent"] = (
        round(100 * totals["compliant"] / totals["required"]) if totals["required"] else 0
    )
    days_left = (quota.deadline - today).days
    return {
        "quota": quota,
        "rows": rows,
        "totals": totals,
        "days_left": days_left,
        "overdue_days": max(0, -days_left),
    }
