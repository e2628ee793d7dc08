"""The per-merchant facts the rating engine reads from complaints: one GROUP BY, one row per merchant."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import CLOSED_STATUSES, TRADING_CATEGORIES, Complaint, ComplaintKind, Status

FACT_COLUMNS = (
    "trading_recent",
    "trading_older",
    "complaints_closed",
    "complaints_mediated",
    "complaints_unanswered",
    "complaints_late",
    "satisfaction_sum",
    "satisfaction_count",
)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def complaint_facts(*, as_of: date, merchant_ids_qs=None, **_ignored):
    """Windows end at the start of the day after ``as_of``; "recent" is the last 12 months, "older" 12–24."""
    end = _start_of(as_of + timedelta(days=1))
    mid = _start_of(as_of - timedelta(days=365) + timedelta(days=1))
    start = _start_of(as_of - timedelta(days=730) + timedelta(days=1))
    closed_in_window = Q(closed_at__gte=start, closed_at__lt=end)
    substantiated = Q(category__in=TRADING_CATEGORIES) & (
        Q(kind=ComplaintKind.COMPLAINT, status__in=[Status.MEDIATED, Status.SETTLED, Status.TRANSFERRED])
        | Q(kind=ComplaintKind.REPORT, status=Status.CASE_OPENED)
    )
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
            trading_recent=Count("id", filter=substantiated & Q(closed_at__gte=mid, closed_at__lt=end)),
            trading_older=Count("id", filter=substantiated & Q(closed_at__gte=start, closed_at__lt=mid)),
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
        )
    )
