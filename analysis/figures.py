"""The figures of a monthly analysis report, frozen into ``MonthlyReport.figures`` when the draft is made.

The report of month M (drafted on the 20th of M, due on the 25th) analyses the last complete calendar
month, M-1 (the *data month*), against the month before it and the same month a year earlier. Most figures
are the district dashboard's (``core.dashboard.dashboard_figures``, 13 months ending with the data month,
docs/DASHBOARD.md): received / closed / on-time, categories, stars, penalties and black list, PSA. This
module adds only what the dashboard does not hold — complaints per industry (for the spike rule), the
most-complained merchants, the list of overdue items as of the draft date and the merchants whose stars
went up or down — and the risk lines (``RISK_RULES``, docs/ANALYSIS.md §Risk rules).

Only codes and numbers are stored; labels are looked up when the report is shown, in the reader's
language (``analysis.documents``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, OuterRef, Subquery

from integrity_portal.core.dashboard import add_months, dashboard_figures, month_start
from integrity_portal.core.scoping import region_and_descendants

#: Risk thresholds (docs/ANALYSIS.md). An industry's complaints and reports in the data month ≥
#: SPIKE_FACTOR × its average over the three months before, and at least SPIKE_MIN of them.
SPIKE_FACTOR = 2
SPIKE_MIN = 3
#: A merchant named in at least this many complaints and reports in one month.
REPEAT_MIN = 3
#: Received rising by at least this share over the month before, from at least RISE_MIN items.
RISE_SHARE = 0.5
RISE_MIN = 10
TOP = 5
OVERDUE_LISTED = 10
#: The rules, in the order their lines appear.
RISK_RULES = (
    "industry_spike",
    "complaints_rise",
    "repeat_merchant",
    "overdue",
    "rating_down",
    "psa_unreported",
)


class _SystemReader:
    """The daily job reads as the system: every region (``core.scoping`` treats it as unrestricted)."""

    is_authenticated = True
    is_active = True
    is_staff = True
    is_superuser = True
    pk = None

    def has_perm(self, *_args) -> bool:
        return True


SYSTEM_READER = _SystemReader()


def data_month_of(month: dt.date) -> dt.date:
    """The calendar month a report of ``month`` analyses: the one before."""
    return add_months(month.replace(day=1), -1)


def period_of(month: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the data month of ``month``'s report."""
    start = data_month_of(month)
    return start, add_months(start, 1) - dt.timedelta(days=1)


def _change(now: int, before: int) -> float | None:
    """Relative change in per cent, one decimal; None when there is nothing to compare with."""
    return None if not before else round((now - before) * 100 / before, 1)


def _complaints(codes):
    from complaints.models import Complaint

    return Complaint.objects.filter(region_id__in=codes)


def _received_in(codes, first: dt.date, months: int = 1):
    return _complaints(codes).filter(
        received_at__gte=month_start(first), received_at__lt=month_start(add_months(first, months))
    )


def _industries(codes, month: dt.date) -> list[dict]:
    """Complaints and reports per merchant industry in ``month`` and the average of the three months before."""

    def per_industry(qs) -> Counter:
        return Counter(dict(qs.filter(merchant__isnull=False).values_list("merchant__industry").annotate(n=Count("id"))))

    now = per_industry(_received_in(codes, month))
    before = per_industry(_received_in(codes, add_months(month, -3), months=3))
    return [
        {"industry": code, "count": n, "average": round(before.get(code, 0) / 3, 2)}
        for code, n in sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _top_merchants(codes, month: dt.date) -> list[dict]:
    rows = (
        _received_in(codes, month)
        .filter(merchant__isnull=False)
        .values_list("merchant_id", "merchant__name")
        .annotate(n=Count("id"))
        .order_by("-n", "merchant__name")[:TOP]
    )
    return [{"merchant": pk, "name": name, "count": n} for pk, name, n in rows]


def _overdue(codes, as_of: dt.date) -> dict:
    from complaints.models import OPEN_STATUSES

    qs = _complaints(codes).filter(status__in=OPEN_STATUSES, due_on__lt=as_of).order_by("due_on", "id")
    listed = [
        {"tracking_code": code, "due_on": due.isoformat(), "status": status, "days": (as_of - due).days}
        for code, due, status in qs.values_list("tracking_code", "due_on", "status")[:OVERDUE_LISTED]
    ]
    return {"count": qs.count(), "items": listed}


def _rating_moves(codes, month: dt.date) -> dict:
    """Merchants rated in ``month`` whose stars at its end differ from those before it began."""
    from merchants.models import Merchant, Rating

    lo, hi = month_start(month), month_start(add_months(month, 1))
    last = Rating.objects.filter(merchant=OuterRef("pk"), computed_at__lt=hi).order_by("-computed_at", "-id")
    before = Rating.objects.filter(merchant=OuterRef("pk"), computed_at__lt=lo).order_by("-computed_at", "-id")
    rated = (
        Merchant.objects.filter(region_id__in=codes, ratings__computed_at__gte=lo, ratings__computed_at__lt=hi)
        .distinct()
        .annotate(now=Subquery(last.values("stars")[:1]), before=Subquery(before.values("stars")[:1]))
        .values_list("now", "before")
    )
    moves = [(now > prior) - (now < prior) for now, prior in rated if now is not None and prior is not None]
    return {"up": moves.count(1), "down": moves.count(-1)}


def _dashboard(region_code: str, month: dt.date) -> dict:
    """The dashboard's figures of the data month ``month`` (and the 12 before), reduced to what the report keeps."""
    figures = dashboard_figures(viewer=SYSTEM_READER, region=region_code, month=month, months=13)
    monthly = figures.table("complaints_monthly").data

    def volume(m):
        return dict(monthly.get(m) or {})

    categories = figures.table("complaints_by_category").data
    stars = figures.table("stars")
    penalties = figures.table("penalties_monthly")
    psa = figures.table("psa")
    return {
        "volume": volume(month),
        "previous": volume(add_months(month, -1)),
        "last_year": volume(add_months(month, -12)),
        "by_category": [
            {"category": value, "count": d["month"]}
            for value, d in sorted(categories.items(), key=lambda kv: (-kv[1]["month"], kv[0]))
            if d["month"]
        ][:TOP],
        "stars": {k: {str(level): n for level, n in v.items()} for k, v in (stars.data if stars else {}).items()},
        "credit": dict((penalties.data if penalties else {}).get(month) or {}),
        # the last column is the total when districts are shown side by side, else the one district
        "psa": list(psa.data.values())[-1] if psa and psa.data else None,
    }


def _risks(figures: dict) -> list[dict]:
    """Each rule that fires gives one risk line: its rule code and the numbers it rests on."""
    risks = [
        {"rule": "industry_spike", **row}
        for row in figures["by_industry"]
        if row["count"] >= SPIKE_MIN and row["count"] >= SPIKE_FACTOR * row["average"]
    ]
    now, before = figures["volume"].get("received", 0), figures["previous"].get("received", 0)
    if now >= RISE_MIN and now >= before * (1 + RISE_SHARE):
        risks.append({"rule": "complaints_rise", "count": now, "previous": before})
    risks += [{"rule": "repeat_merchant", **row} for row in figures["top_merchants"] if row["count"] >= REPEAT_MIN]
    if figures["overdue"]["count"]:
        risks.append({"rule": "overdue", "count": figures["overdue"]["count"]})
    if figures["rating_moves"]["down"]:
        risks.append({"rule": "rating_down", "count": figures["rating_moves"]["down"]})
    psa = figures["psa"]
    if psa and psa["required"] > psa["reported"]:
        risks.append({"rule": "psa_unreported", "count": psa["required"] - psa["reported"]})
    return risks


def report_figures(*, region_code: str, month: dt.date, as_of: dt.date) -> dict:
    """Every figure of one region's report for ``month`` (first day); overdue items counted on ``as_of``."""
    codes = region_and_descendants(region_code)
    data_month = data_month_of(month)
    start, end = period_of(month)
    figures = {
        "region": region_code,
        "period": {"start": start.isoformat(), "end": end.isoformat(), "as_of": as_of.isoformat()},
        **_dashboard(region_code, data_month),
        "by_industry": _industries(codes, data_month),
        "top_merchants": _top_merchants(codes, data_month),
        "overdue": _overdue(codes, as_of),
        "rating_moves": _rating_moves(codes, data_month),
    }
    received = figures["volume"].get("received", 0)
    figures["change"] = {
        "previous": _change(received, figures["previous"].get("received", 0)),
        "last_year": _change(received, figures["last_year"].get("received", 0)),
    }
    figures["risks"] = _risks(figures)
    # Stored as JSON: fines (Decimal) become text, dates ISO strings.
    return json.loads(json.dumps(figures, cls=DjangoJSONEncoder))
