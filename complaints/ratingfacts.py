"""The per-merchant facts the rating engine reads from complaints: one GROUP BY, one row per merchant."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CLOSED_STATUSES, SUBSTANTIATED, TRADING_CATEGORIES, Complaint, ComplaintKind, Status

# The columns this provider gives the rating engine, each with the label the public breakdown shows.
FACT_LABELS = {
    # Exactly what ``q_substantiated`` counts: a report that led to a case, or a transferred complaint
    # confirmed as a violation; never a settlement.
    "trading_recent": _("近一年经立案查处或核实为违法的投诉举报（价格、计量、宣传、质量、食品安全）"),
    "trading_older": _("一至两年前经立案查处或核实为违法的投诉举报（价格、计量、宣传、质量、食品安全）"),
    "complaints_closed": _("已办结投诉"),
    "complaints_mediated": _("调解成功"),
    "complaints_unanswered": _("未答复的投诉"),
    "complaints_late": _("逾期答复的投诉"),
    "satisfaction_sum": _("满意度评价总分"),
    "satisfaction_count": _("满意度评价次数"),
    "complaints_settled_fast": _("按时和解或调解成功的投诉（抵减服务扣分）"),
}
FACT_COLUMNS = tuple(FACT_LABELS)


def q_substantiated() -> Q:
    """A finding of fault on a trading matter: a report that led to a case (立案), or a transferred complaint
    that the enforcement side confirmed as a violation. Settled, mediated and merely transferred complaints
    are not: they are counted (at most) under service."""
    return Q(category__in=TRADING_CATEGORIES) & (
        Q(kind=ComplaintKind.COMPLAINT, status__in=SUBSTANTIATED[ComplaintKind.COMPLAINT])
        | Q(kind=ComplaintKind.REPORT, status__in=SUBSTANTIATED[ComplaintKind.REPORT])
    )


def q_settled_fast() -> Q:
    """A settlement the complainant accepted in time: settled directly (ODR) by its deadline, or mediated
    with an agreement before the mediation deadline."""
    return Q(kind=ComplaintKind.COMPLAINT) & (
        Q(status=Status.SETTLED, odr_due_on__isnull=False, closed_at__date__lte=F("odr_due_on"))
        | Q(status=Status.MEDIATED, closed_late=False)
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def complaint_facts(*, as_of: date, merchant_ids_qs=None, **_ignored):
    """Windows end at the start of the day after ``as_of``; "recent" is the last 12 months, "older" 12–24."""
    end = _start_of(as_of + timedelta(days=1))
    mid = _start_of(as_of - timedelta(days=365) + timedelta(days=1))
    start = _start_of(as_of - timedelta(days=730) + timedelta(days=1))
    closed_in_window = Q(closed_at__gte=start, closed_at__lt=end)
    substantiated = q_substantiated()
    # One matter counts once: a complaint and the report it was transferred to (or split into) point at
    # each other through ``related``, so the smaller id of the pair names the matter.
    matter = Least("id", Coalesce("related_id", "id"))
    is_complaint = Q(kind=ComplaintKind.COMPLAINT)
    qs = Complaint.objects.filter(merchant__isnull=False).filter(
        Q(closed_at__gte=start, closed_at__lt=end) | Q(received_at__gte=start, received_at__lt=end)
    )
    if merchant_ids_qs is not None:
        qs = qs.filter(merchant_id__in=merchant_ids_qs)
    zero = Value(0, output_field=IntegerField())
    return (
        qs.order_by()
        .values("merchant_id")
        .annotate(
            trading_recent=Count(
                matter, distinct=True, filter=substantiated & Q(closed_at__gte=mid, closed_at__lt=end)
            ),
            trading_older=Count(
                matter, distinct=True, filter=substantiated & Q(closed_at__gte=start, closed_at__lt=mid)
            ),
            complaints_closed=Count(
                "id", filter=is_complaint & closed_in_window & Q(status__in=CLOSED_STATUSES)
            ),
            complaints_mediated=Count(
                "id", filter=is_complaint & closed_in_window & Q(status__in=[Status.MEDIATED, Status.SETTLED])
            ),
            complaints_unanswered=Count(
                "id",
                filter=is_complaint
                & Q(merchant_unanswered=True, received_at__gte=start, received_at__lt=end),
            ),
            complaints_late=Count("id", filter=closed_in_window & Q(closed_late=True)),
            satisfaction_sum=Coalesce(
                Sum("satisfaction", filter=closed_in_window & Q(satisfaction__isnull=False)), zero
            ),
            satisfaction_count=Count("id", filter=closed_in_window & Q(satisfaction__isnull=False)),
            complaints_settled_fast=Count("id", filter=closed_in_window & q_settled_fast()),
        )
    )
