"""The figures of a monthly analysis report: aggregates over one region (and its descendants) and
one reporting period, frozen into ``MonthlyReport.figures`` when the draft is made.

The reporting period of month M runs from the 21st of M-1 to the 20th of M (the draft is made on
the 20th, due on the 25th); "previous" is the period before, "last year" the same period a year
earlier. Only codes and numbers are stored; labels are looked up when the report is shown, in
the reader's language (``analysis.documents``). The risk rules are ``RISK_RULES`` below
(docs/ANALYSIS.md §Risk rules).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from integrity_portal.core.scoping import region_and_descendants

#: Risk thresholds (docs/ANALYSIS.md). An industry's complaints in the period ≥ SPIKE_FACTOR × its
#: average over the three periods before, and at least SPIKE_MIN of them.
SPIKE_FACTOR = 2
SPIKE_MIN = 3
#: A merchant named in at least this many complaints and reports in one period.
REPEAT_MIN = 3
#: Complaints and reports received rising by at least this share over the previous period, from at least
#: RISE_MIN items.
RISE_SHARE = 0.5
RISE_MIN = 10
TOP = 5
OVERDUE_LISTED = 10


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def period_of(month: dt.date, *, shift: int = 0) -> tuple[dt.date, dt.date]:
    """The reporting period of ``month`` (first day), ``shift`` periods later (negative: earlier)."""
    first = _shift_month(month, shift)
    start = _shift_month(first, -1).replace(day=21)
    return start, first.replace(day=20)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def _change(now: int, before: int) -> float | None:
    """Relative change in per cent, one decimal; None when there is nothing to compare with."""
    return None if not before else round((now - before) * 100 / before, 1)


@dataclass(frozen=True)
class Scope:
    codes: list[str]

    @classmethod
    def of(cls, region_code: str) -> Scope:
        return cls(region_and_descendants(region_code))


def _complaints(scope: Scope):
    from complaints.models import Complaint

    return Complaint.objects.filter(region_id__in=scope.codes)


def _volume(scope: Scope, start: dt.date, end: dt.date) -> dict:
    from complaints.models import ComplaintKind

    lo, hi = _bounds(start, end)
    received = _complaints(scope).filter(received_at__gte=lo, received_at__lt=hi).aggregate(
        received=Count("id"),
        complaints=Count("id", filter=Q(kind=ComplaintKind.COMPLAINT)),
        reports=Count("id", filter=Q(kind=ComplaintKind.REPORT)),
    )
    closed = _complaints(scope).filter(closed_at__gte=lo, closed_at__lt=hi).aggregate(
        closed=Count("id"), closed_on_time=Count("id", filter=Q(closed_late=False))
    )
    out = {**received, **closed}
    out["on_time_rate"] = round(out["closed_on_time"] * 100 / out["closed"], 1) if out["closed"] else None
    return out


def _by_industry(scope: Scope, start: dt.date, end: dt.date) -> Counter:
    lo, hi = _bounds(start, end)
    rows = (
        _complaints(scope)
        .filter(received_at__gte=lo, received_at__lt=hi, merchant__isnull=False)
        .values_list("merchant__industry")
        .annotate(n=Count("id"))
    )
    return Counter(dict(rows))


def _overdue(scope: Scope, as_of: dt.date) -> dict:
    from complaints.models import OPEN_STATUSES

    qs = _complaints(scope).filter(status__in=OPEN_STATUSES, due_on__lt=as_of).order_by("due_on", "id")
    listed = [
        {"tracking_code": code, "due_on": due.isoformat(), "status": status, "days": (as_of - due).days}
        for code, due, status in qs.values_list("tracking_code", "due_on", "status")[:OVERDUE_LISTED]
    ]
    return {"count": qs.count(), "items": listed}


def _ratings(scope: Scope, start: dt.date, end: dt.date) -> dict:
    from merchants.models import Merchant, Rating

    lo, hi = _bounds(start, end)
    distribution = dict(
        Merchant.objects.filter(region_id__in=scope.codes, stars__isnull=False)
        .values_list("stars")
        .annotate(n=Count("id"))
    )
    last = Rating.objects.filter(merchant=OuterRef("pk"), computed_at__lt=hi).order_by("-computed_at", "-id")
    before = Rating.objects.filter(merchant=OuterRef("pk"), computed_at__lt=lo).order_by("-computed_at", "-id")
    rated = (
        Merchant.objects.filter(region_id__in=scope.codes, ratings__computed_at__gte=lo, ratings__computed_at__lt=hi)
        .distinct()
        .annotate(now=Subquery(last.values("stars")[:1]), before=Subquery(before.values("stars")[:1]))
        .values_list("now", "before")
    )
    up = down = 0
    for now, prior in rated:
        if now is None or prior is None or now == prior:
            continue
        up, down = (up + 1, down) if now > prior else (up, down + 1)
    return {"distribution": {str(k): v for k, v in sorted(distribution.items())}, "up": up, "down": down}


def _credit(scope: Scope, start: dt.date, end: dt.date) -> dict:
    from merchants.models import ListEntry, ListName, Penalty

    return {
        "penalties": Penalty.objects.filter(merchant__region_id__in=scope.codes, decided_on__range=(start, end)).count(),
        "black_listed": ListEntry.objects.filter(
            merchant__region_id__in=scope.codes, list_name=ListName.BLACK, valid_from__range=(start, end)
        ).count(),
    }


def _psa(scope: Scope, start: dt.date, end: dt.date) -> dict:
    from campaigns.models import AdReport, AdReportStatus

    lo, hi = _bounds(start, end)
    return AdReport.objects.filter(
        merchant__region_id__in=scope.codes, submitted_at__gte=lo, submitted_at__lt=hi
    ).aggregate(
        reports=Count("id"),
        compliant=Count("id", filter=Q(is_compliant=True)),
        non_compliant=Count("id", filter=Q(is_compliant=False)),
        verified=Count("id", filter=Q(status=AdReportStatus.VERIFIED)),
        rejected=Count("id", filter=Q(status=AdReportStatus.REJECTED)),
    )


def _risks(figures: dict, industries: list[dict]) -> list[dict]:
    """Each rule that fires gives one risk line: its rule code and the numbers it rests on."""
    risks = []
    for row in industries:
        if row["count"] >= SPIKE_MIN and row["count"] >= SPIKE_FACTOR * row["average"]:
            risks.append({"rule": "industry_spike", **row})
    now, before = figures["volume"]["received"], figures["previous"]["received"]
    if now >= RISE_MIN and now >= before * (1 + RISE_SHARE):
        risks.append({"rule": "complaints_rise", "count": now, "previous": before})
    for row in figures["top_merchants"]:
        if row["count"] >= REPEAT_MIN:
            risks.append({"rule": "repeat_merchant", **row})
    if figures["overdue"]["count"]:
        risks.append({"rule": "overdue", "count": figures["overdue"]["count"]})
    if figures["ratings"]["down"]:
        risks.append({"rule": "rating_down", "count": figures["ratings"]["down"]})
    if figures["psa"]["non_compliant"]:
        risks.append({"rule": "psa_non_compliant", "count": figures["psa"]["non_compliant"]})
    return risks


#: The rules, in the order their lines appear (docs/ANALYSIS.md).
RISK_RULES = ("industry_spike", "complaints_rise", "repeat_merchant", "overdue", "rating_down", "psa_non_compliant")


def report_figures(*, region_code: str, month: dt.date, as_of: dt.date) -> dict:
    """Every figure of one region's report for ``month`` (first day), overdue counted on ``as_of``."""
    scope = Scope.of(region_code)
    start, end = period_of(month)
    lo, hi = _bounds(start, end)
    in_period = _complaints(scope).filter(received_at__gte=lo, received_at__lt=hi)
    categories = in_period.values_list("category").annotate(n=Count("id")).order_by("-n", "category")[:TOP]
    merchants = (
        in_period.filter(merchant__isnull=False)
        .values_list("merchant_id", "merchant__name")
        .annotate(n=Count("id"))
        .order_by("-n", "merchant__name")[:TOP]
    )
    now_by_industry = _by_industry(scope, start, end)
    history = Counter()
    for shift in (-1, -2, -3):
        history.update(_by_industry(scope, *period_of(month, shift=shift)))
    industries = [
        {"industry": code, "count": n, "average": round(history.get(code, 0) / 3, 2)}
        for code, n in sorted(now_by_industry.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    figures = {
        "region": region_code,
        "period": {"start": start.isoformat(), "end": end.isoformat(), "as_of": as_of.isoformat()},
        "volume": _volume(scope, start, end),
        "previous": _volume(scope, *period_of(month, shift=-1)),
        "last_year": _volume(scope, *period_of(month, shift=-12)),
        "by_category": [{"category": c, "count": n} for c, n in categories],
        "by_industry": industries,
        "top_merchants": [{"merchant": pk, "name": name, "count": n} for pk, name, n in merchants],
        "overdue": _overdue(scope, as_of),
        "ratings": _ratings(scope, start, end),
        "credit": _credit(scope, start, end),
        "psa": _psa(scope, start, end),
    }
    received = figures["volume"]["received"]
    figures["change"] = {
        "previous": _change(received, figures["previous"]["received"]),
        "last_year": _change(received, figures["last_year"]["received"]),
    }
    figures["risks"] = _risks(figures, industries)
    return figures
