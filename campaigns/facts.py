"""Rating facts the campaigns app contributes to the star rating (see ``core.ratingfacts``).

``commended_3y``: commendation entries published in the 3 years up to ``as_of``.
``psa_noncompliant``: 1 for a large venue whose current-year PSA deadline (that of
the quota in force for its city, else the national default) has passed without a
verified compliant report, else 0.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.workdays import add_years

from .models import AdQuota, AdReport, AdReportStatus, CommendationEntry
from .selectors import ad_quota_venue_filter

# The columns this provider gives the rating engine, each with the label the public breakdown shows.
FACT_LABELS = {"commended_3y": _("近三年获文明诚信表彰"), "psa_noncompliant": _("公益广告未达标")}
FACT_COLUMNS = tuple(FACT_LABELS)


def campaign_rating_facts(*, as_of: date, merchant_ids_qs=None, **_ignored):
    from merchants.models import Merchant

    since = add_years(as_of, -3)
    entries = CommendationEntry.objects.filter(
        merchant=OuterRef("pk"),
        commendation_list__published_at__date__gt=since,
        commendation_list__published_at__date__lte=as_of,
    )
    commended = Subquery(
        entries.order_by().values("merchant").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )
    # Each quota row of the year governs its own venues (a city's row its city, the national row
    # the rest, ``ad_quota_venue_filter``); a venue is late once *its* quota's deadline has passed.
    quotas = list(AdQuota.objects.filter(year=as_of.year))
    overdue = [q for q in quotas if q.deadline < as_of]
    if not overdue:
        psa = Value(0, output_field=IntegerField())
    else:
        governed = Q()
        for quota in overdue:
            governed |= ad_quota_venue_filter(quota)
        compliant = AdReport.objects.filter(
            quota_id__in=[q.pk for q in quotas],
            merchant=OuterRef("pk"),
            status=AdReportStatus.VERIFIED,
            is_compliant=True,
        )
        psa = Case(
            When(Q(is_large_venue=True) & governed & ~Exists(compliant), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    # ``IN`` rather than ``EXISTS`` beside the OR: PostgreSQL hashes the commended ids once instead of
    # probing the entries for every merchant of the table (0.4 s at 140k, the fixed cost of every
    # district's recompute).
    commended_ids = CommendationEntry.objects.filter(
        commendation_list__published_at__date__gt=since,
        commendation_list__published_at__date__lte=as_of,
    ).values("merchant_id")
    qs = Merchant.objects.filter(Q(is_large_venue=True) | Q(pk__in=commended_ids))
    if merchant_ids_qs is not None:
        qs = qs.filter(pk__in=merchant_ids_qs)
    return (
        qs.order_by()
        .values(merchant_id=F("pk"))
        .annotate(
            commended_3y=Coalesce(commended, Value(0), output_field=IntegerField()), psa_noncompliant=psa
        )
    )
