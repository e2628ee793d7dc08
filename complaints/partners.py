"""The bureau's partners' reads of complaints (issue #20, docs/PARTNERS.md):

* market operators: counts and deadlines of their stalls' complaints, given to the merchants app through
  ``merchants.selectors.markets.register_stall_complaints`` (merchants never imports complaints);
* consumer-rights stations (消费维权服务站): the stations a user works at, the complaints about their stalls,
  never a complainant's personal data (a fixed list of columns, not model instances);
* the stations' figures on the district dashboard (``core.dashboard`` provider ``complaints.stations``).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, DateField, Min, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from integrity_portal.core.dashboard import (
    Chart,
    DashboardScope,
    FigureTable,
    Section,
    month_key,
    register_dashboard_provider,
)

from .models import (
    Complaint,
    ComplaintKind,
    ConsumerRightsStation,
    MerchantReply,
    ProposalStatus,
    Status,
)

#: Open complaints that wait on the merchant or on the bureau (a stall's "open complaints").
STALL_OPEN_STATUSES = [
    Status.ODR,
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.MEDIATING,
]

#: What a station sees of a complaint: no name, phone, address, ID number, e-mail or tracking code.
STATION_COLUMNS = (
    "pk",
    "merchant_id",
    "merchant__name",
    "channel",
    "category",
    "status",
    "description",
    "amount",
    "received_at",
    "odr_due_on",
    "due_on",
    "station_id",
)


# --- market operators ---------------------------------------------------------------------------------


def stall_open_counts(*, stall_ids, today: date) -> dict:
    from merchants.selectors.markets import StallComplaints

    rows = (
        Complaint.objects.filter(kind=ComplaintKind.COMPLAINT, merchant_id__in=stall_ids, status__in=STALL_OPEN_STATUSES)
        .order_by()
        .values("merchant_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)), next_due=Min("due_on"))
    )
    return {r["merchant_id"]: StallComplaints(open=r["n"], overdue=r["overdue"], next_due=r["next_due"]) for r in rows}


def stall_complaints_per_month(*, stall_ids, months: list[date]) -> dict:
    if not months:
        return {}
    from integrity_portal.core.dashboard import add_months, month_start

    start, end = month_start(months[0]), month_start(add_months(months[-1], 1))
    rows = (
        Complaint.objects.filter(
            kind=ComplaintKind.COMPLAINT, merchant_id__in=stall_ids, received_at__gte=start, received_at__lt=end
        )
        .order_by()
        .annotate(m=TruncMonth("received_at", output_field=DateField()))
        .values_list("m")
        .annotate(n=Count("id"))
    )
    return {month_key(m): n for m, n in rows}


def register_market_figures() -> None:
    from merchants.selectors.markets import register_stall_complaints

    register_stall_complaints(open_counts=stall_open_counts, per_month=stall_complaints_per_month)


# --- consumer-rights stations -------------------------------------------------------------------------


def stations_for_user(viewer):
    """The active stations the viewer works at."""
    if not getattr(viewer, "is_authenticated", False):
        return ConsumerRightsStation.objects.none()
    return ConsumerRightsStation.objects.filter(staff=viewer, active=True).select_related("venue")


def station_for_user_or_404(viewer, pk) -> ConsumerRightsStation:
    try:
        return stations_for_user(viewer).get(pk=pk)
    except (ConsumerRightsStation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def q_station_stalls(station: ConsumerRightsStation) -> Q:
    return Q(merchant_id=station.venue_id) | Q(merchant__parent_market_id=station.venue_id)


def station_complaints(*, viewer, station: ConsumerRightsStation):
    """Complaints (never reports) about the station's stalls, newest first, as dicts of ``STATION_COLUMNS``:
    nothing when the viewer does not work at the station."""
    if not stations_for_user(viewer).filter(pk=station.pk).exists():
        return Complaint.objects.none().values(*STATION_COLUMNS)
    return (
        Complaint.objects.filter(q_station_stalls(station), kind=ComplaintKind.COMPLAINT)
        .order_by("-received_at", "-id")
        .values(*STATION_COLUMNS)
    )


# --- the district dashboard ---------------------------------------------------------------------------

STATION_KEYS = ("stations", "taken", "mediated", "settled")


def register_dashboard() -> None:
    register_dashboard_provider("complaints.stations", figures=stations_section, order=15)


def stations_section(scope: DashboardScope) -> Section | None:
    """Table ``stations``: per column (and total) the active stations (by their venue's district), the
    complaints taken at a station in the window (channel ``station``), the settlement proposals stations made
    in the window, and the complaints settled at source in the window (closed ``settled`` on a station's
    accepted proposal). ``data``: ``{column name: {stations, taken, mediated, settled}}``. Four grouped queries."""
    start, end = scope.window_start, scope.window_end
    per_region: dict = {}

    def add(rows, key):
        for code, n in rows:
            per_region.setdefault(code, {})[key] = n

    add(
        ConsumerRightsStation.objects.filter(active=True, venue__region_id__in=scope.region_codes)
        .order_by()
        .values_list("venue__region_id")
        .annotate(n=Count("id")),
        "stations",
    )
    in_scope = Complaint.objects.filter(region_id__in=scope.region_codes).order_by()
    add(
        in_scope.filter(channel="station", received_at__gte=start, received_at__lt=end)
        .values_list("region_id")
        .annotate(n=Count("*")),  # COUNT(*): an index-only scan of complaint_dash_received_idx (COUNT(id) reads the table)
        "taken",
    )
    mediations = MerchantReply.objects.filter(
        station__isnull=False, complaint__region_id__in=scope.region_codes
    ).order_by()
    add(
        mediations.filter(created_at__gte=start, created_at__lt=end)
        .values_list("complaint__region_id")
        .annotate(n=Count("id")),
        "mediated",
    )
    add(
        mediations.filter(
            proposal_status=ProposalStatus.ACCEPTED,
            complaint__status=Status.SETTLED,
            complaint__closed_at__gte=start,
            complaint__closed_at__lt=end,
        )
        .values_list("complaint__region_id")
        .annotate(n=Count("complaint_id", distinct=True)),
        "settled",
    )
    rows, data = [], {}
    for name, values in scope.per_column(per_region, STATION_KEYS):
        data[name] = values
        rows.append([name, *(values[k] for k in STATION_KEYS)])
    names = scope.column_headers()
    shown = len(scope.columns)
    n = len(scope.months)
    table = FigureTable(
        key="stations",
        title=_("消费维权服务站"),
        header=[
            _("辖区"),
            _("服务站数"),
            _("近%(n)s个月服务站受理") % {"n": n},
            _("近%(n)s个月服务站调解") % {"n": n},
            _("近%(n)s个月源头和解") % {"n": n},
        ],
        rows=rows,
        chart=Chart(
            kind="bar",
            categories=names[:shown],
            series=[
                (_("服务站受理"), [r[2] for r in rows[:shown]]),
                (_("源头和解"), [r[4] for r in rows[:shown]]),
            ],
        ),
        note=_("服务站数为当前启用的服务站（按所属市场或场所的辖区）；受理、调解、和解按投诉的辖区统计。"),
        data=data,
    )
    return Section(key="stations", title=_("消费维权服务站"), tables=[table])


def station_todos(*, viewer, today: date) -> list:
    """The portal home's to-do items (``core.panels``): one line per station the viewer works at, with the
    complaints about its stalls still in the settlement period (the station may mediate) and the earliest end."""
    from django.urls import reverse

    from integrity_portal.core.panels import PortalTodo

    items = []
    for station in stations_for_user(viewer):
        waiting = Complaint.objects.filter(q_station_stalls(station), kind=ComplaintKind.COMPLAINT, status=Status.ODR)
        figures = waiting.aggregate(n=Count("id"), due=Min("odr_due_on"))
        items.append(
            PortalTodo(
                kind="complaint",
                label=_("消费维权服务站：和解期内的投诉 %(n)d 件") % {"n": figures["n"]},
                merchant_name=station.name,
                url=reverse("portal_complaints:station", args=[station.pk]),
                due=figures["due"],
            )
        )
    return items
