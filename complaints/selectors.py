"""Reads scoped to the viewer: staff (their region), merchant members (own complaints, no personal data),
the complainant (tracking), and the public (aggregates only)."""

from __future__ import annotations

import hmac
from datetime import date, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core import workdays
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound
from integrity_portal.core.scoping import scope_to_user_region

from .models import (
    CLOSED_STATUSES,
    MERCHANT_VISIBLE_STATUSES,
    Attachment,
    Category,
    Channel,
    Complaint,
    ComplaintKind,
    Status,
)
from .workflow import workflow_for

PERSONAL_FIELDS = (
    "complainant_name",
    "complainant_phone",
    "complainant_address",
    "complainant_id_number",
    "complainant_email",
)
MERCHANT_OPEN_STATUSES = [Status.ODR, Status.ASSIGNED, Status.MEDIATING]


# --- the complainant: proven by tracking code + phone, then remembered in the session ---------------


def complaint_for_tracking(*, tracking_code: str, phone: str) -> Complaint:
    """The complaint matching both code and phone; any mismatch is the same NotFound (no enumeration)."""
    from integrity_portal.core.phones import normalize_phone

    from .services.intake import normalize_tracking_code

    not_found = NotFound(_("未找到与该查询码和手机号码匹配的记录，请核对后重试。"))
    code, phone = normalize_tracking_code(tracking_code), normalize_phone(phone)
    if not code or not phone:
        raise not_found
    complaint = Complaint.objects.select_related("region", "merchant").filter(tracking_code=code).first()
    stored = complaint.complainant_phone if complaint else "0" * 11
    matches = hmac.compare_digest(stored.encode(), phone.encode())
    if complaint is None or not matches or complaint.anonymous or complaint.anonymised_at:
        raise not_found  # an anonymised complaint has no phone left: tracking ends with the retention
    return complaint


def complaint_tracked_in_session(pk) -> Complaint | None:
    """The complaint this browser proved access to (``complaint_for_tracking``, pk kept in the session).

    The same conditions as the proof itself: an anonymous item or one whose personal data the
    retention job has erased is no longer shown, even to a session that tracked it before."""
    if not pk:
        return None
    return (
        Complaint.objects.select_related("region", "merchant")
        .filter(pk=pk, anonymous=False, anonymised_at__isnull=True)
        .first()
    )


def complaints_submitted_in_session(pks) -> list[Complaint]:
    """The items this browser has just filed (their pks kept in the session), e.g. to re-send the codes."""
    return list(Complaint.objects.filter(pk__in=list(pks or [])))


def days_left(complaint: Complaint) -> int | None:
    """Working days until the current deadline (negative when overdue); None when nothing is due."""
    if complaint.due_on is None:
        return None
    return workdays.working_days_between(workdays.today(), complaint.due_on)


# --- staff -----------------------------------------------------------------------------------------


def complaints_for_staff(user):
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return Complaint.objects.none()
    qs = Complaint.objects.select_related("region", "merchant")
    return scope_to_user_region(qs, user, field="region")


def complaint_for_staff_or_404(user, pk) -> Complaint:
    try:
        return complaints_for_staff(user).get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def attachment_for_staff_or_404(user, pk) -> Attachment:
    """An evidence file, for staff who may see complaints and cover the item's region; else 404."""
    if not (getattr(user, "is_authenticated", False) and user.has_perm("complaints.view_complaint")):
        raise Http404
    found = (
        Attachment.objects.filter(pk=pk, complaint__in=complaints_for_staff(user).values("pk"))
        .select_related("complaint")
        .first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404
    return found


ACTION_TARGETS = {
    "accept": Status.ACCEPTED,
    "reject": Status.REJECTED,
    "assign": Status.ASSIGNED,
    "mediate": Status.MEDIATING,
    "close_mediated": Status.MEDIATED,
    "terminate": Status.TERMINATED,
    "transfer": Status.TRANSFERRED,
    "confirm_violation": Status.CONFIRMED,
    "verify": Status.VERIFYING,
    "open_case": Status.CASE_OPENED,
    "no_case": Status.NOT_OPENED,
}


def available_actions(complaint: Complaint) -> list[str]:
    """The handling actions the workflow map allows from the item's current status (for menus)."""
    workflow = workflow_for(complaint)
    actions = [a for a, target in ACTION_TARGETS.items() if workflow.can(complaint.status, target)]
    report_open = complaint.kind == ComplaintKind.REPORT and complaint.status in (
        Status.RECEIVED,
        Status.VERIFYING,
    )
    if report_open and not complaint.extended:
        actions.append("extend")
    if complaint.merchant_id is None:
        actions.append("link_merchant")
    return actions


# --- merchant members --------------------------------------------------------------------------------


def complaints_for_merchant_user(user):
    """Complaints (never reports) against the user's own merchants, without the complainant's contact data."""
    from merchants.selectors import merchants_for_user

    return (
        Complaint.objects.filter(
            kind=ComplaintKind.COMPLAINT,
            status__in=MERCHANT_VISIBLE_STATUSES,
            merchant__in=merchants_for_user(user).values("pk"),
        )
        .select_related("merchant", "region")
        .defer(*PERSONAL_FIELDS[1:])
    )


def complaint_for_merchant_user_or_404(user, pk) -> Complaint:
    try:
        return complaints_for_merchant_user(user).get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_complaint_count(merchant) -> int:
    return Complaint.objects.filter(
        merchant=merchant, kind=ComplaintKind.COMPLAINT, status__in=MERCHANT_OPEN_STATUSES
    ).count()


def portal_merchant_panel(*, viewer, merchant) -> dict:
    """The complaints panel on the portal's merchant page (``core.panels``); ``viewer`` is a member."""
    return {"open_count": open_complaint_count(merchant)}


def portal_todos(*, viewer, today: date) -> list:
    """The portal home's to-do items (``core.panels``): complaints against the viewer's businesses that
    wait for the merchant's answer (not answered yet), with the answer's deadline."""
    from django.urls import reverse

    from integrity_portal.core.panels import PortalTodo

    from .services.merchant import REPLY_STATUSES

    qs = complaints_for_merchant_user(viewer).filter(status__in=REPLY_STATUSES, replies__isnull=True)
    return [
        PortalTodo(
            kind="complaint",
            label=_("答复投诉 %(code)s（%(category)s）") % {"code": c.tracking_code, "category": c.get_category_display()},
            merchant_name=c.merchant.name,
            url=reverse("portal_complaints:detail", args=[c.pk]),
            due=c.merchant_reply_due_on or c.due_on,
        )
        for c in qs.order_by("merchant_reply_due_on", "id")[:50]
    ]


_PUBLIC_ACTIONS = {
    "submit",
    "accepted",
    "rejected",
    "assigned",
    "mediating",
    "mediated",
    "settled",
    "terminated",
    "transferred",
    "confirmed",
    "received",
    "verifying",
    "case_opened",
    "not_opened",
    "merchant_reply",
    "proposal_accepted",
    "proposal_rejected",
    "extend",
    "rate",
}


def complaint_timeline(complaint: Complaint) -> list[dict]:
    """Status changes for the complainant: what happened and when, never who on the staff side."""
    rows = []
    for entry in reversed(list(audit_entries_for(complaint))):
        action = entry.action.split(".", 1)[-1]
        if action not in _PUBLIC_ACTIONS:
            continue
        rows.append(
            {
                "at": entry.created_at,
                "action": action,
                "to_status": entry.to_status,
                "label": Status(entry.to_status).label if entry.to_status in Status.values else "",
                "note": entry.note if action in {"rejected", "terminated", "extend"} else "",
            }
        )
    return rows


def _aggregate(qs) -> dict:
    closed = Q(status__in=CLOSED_STATUSES)
    return qs.aggregate(
        total=Count("id"),
        closed=Count("id", filter=closed),
        on_time=Count("id", filter=closed & Q(closed_late=False)),
        mediated=Count("id", filter=Q(status__in=[Status.MEDIATED, Status.SETTLED])),
        satisfaction_avg=Avg("satisfaction"),
        rated=Count("satisfaction"),
    )


def statistics(*, start: date, end: date, region_codes: list[str] | None = None) -> dict:
    """Aggregate counts for [start, end]: by kind, category, channel, outcome and district. No single item."""
    qs = Complaint.objects.filter(received_at__date__gte=start, received_at__date__lte=end).order_by()
    if region_codes is not None:
        qs = qs.filter(region_id__in=region_codes)
    totals = _aggregate(qs)
    totals["on_time_rate"] = (
        round(100 * totals["on_time"] / totals["closed"], 1) if totals["closed"] else None
    )

    def counted(field, choices):
        found = dict(qs.values_list(field).annotate(n=Count("id")).values_list(field, "n"))
        return [{"key": k, "label": str(label), "count": found.get(k, 0)} for k, label in choices]

    districts = []
    for row in (
        qs.values("region_id", "region__name")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status__in=CLOSED_STATUSES)),
            on_time=Count("id", filter=Q(status__in=CLOSED_STATUSES, closed_late=False)),
        )
        .order_by("region_id")
    ):
        row["on_time_rate"] = round(100 * row["on_time"] / row["closed"], 1) if row["closed"] else None
        districts.append(row)
    return {
        "start": start,
        "end": end,
        "totals": totals,
        "by_kind": counted("kind", ComplaintKind.choices),
        "by_category": counted("category", Category.choices),
        "by_channel": counted("channel", Channel.choices),
        "by_status": counted("status", Status.choices),
        "by_district": districts,
    }


def statistics_period(*, months: int, today: date) -> tuple[date, date]:
    """The last ``months`` calendar months up to ``today``: from the day after the same date ``months``
    months back (2026-12-02 → 2025-12-03 … 2026-12-02 for 12), not ``30 × months`` days."""
    from dateutil.relativedelta import relativedelta

    return today - relativedelta(months=months) + timedelta(days=1), today


def monthly_counts(*, start: date, end: date) -> list[dict]:
    """Complaints and reports received per calendar month of [start, end], every month listed (zero too)."""
    qs = Complaint.objects.filter(received_at__date__gte=start, received_at__date__lte=end).order_by()
    found: dict[tuple[int, int, str], int] = {}
    for month_start, kind, n in (
        qs.annotate(m=TruncMonth("received_at")).values("m", "kind").annotate(n=Count("id")).values_list("m", "kind", "n")
    ):
        day = timezone.localtime(month_start).date() if hasattr(month_start, "hour") else month_start
        found[(day.year, day.month, kind)] = found.get((day.year, day.month, kind), 0) + n
    rows, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        rows.append(
            {
                "month": date(year, month, 1),
                "complaints": found.get((year, month, ComplaintKind.COMPLAINT), 0),
                "reports": found.get((year, month, ComplaintKind.REPORT), 0),
            }
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def monthly_rows(*, user, start: date, end: date) -> list[dict]:
    """One row per district in the user's scope for the staff export (monthly statistics)."""
    qs = (
        complaints_for_staff(user).filter(received_at__date__gte=start, received_at__date__lte=end).order_by()
    )
    closed = Q(status__in=CLOSED_STATUSES)
    annotations = {
        "total": Count("id"),
        "complaints": Count("id", filter=Q(kind=ComplaintKind.COMPLAINT)),
        "reports": Count("id", filter=Q(kind=ComplaintKind.REPORT)),
        "closed": Count("id", filter=closed),
        "on_time": Count("id", filter=closed & Q(closed_late=False)),
        "satisfaction_avg": Avg("satisfaction"),
        "satisfaction_count": Count("satisfaction"),
    }
    for value, _label in Category.choices:
        annotations[f"category_{value}"] = Count("id", filter=Q(category=value))
    for value, _label in Channel.choices:
        annotations[f"channel_{value}"] = Count("id", filter=Q(channel=value))
    for value, _label in Status.choices:
        annotations[f"status_{value}"] = Count("id", filter=Q(status=value))
    rows = list(qs.values("region_id", "region__name").annotate(**annotations).order_by("region_id"))
    for row in rows:
        row["on_time_rate"] = round(100 * row["on_time"] / row["closed"], 1) if row["closed"] else None
        if row["satisfaction_avg"] is not None:
            row["satisfaction_avg"] = round(float(row["satisfaction_avg"]), 2)
    return rows


def monthly_columns() -> list[tuple[str, str]]:
    cols = [
        ("region_id", "区划代码"),
        ("region__name", "辖区"),
        ("total", "登记总数"),
        ("complaints", "投诉"),
        ("reports", "举报"),
    ]
    cols += [(f"category_{v}", f"类别：{label}") for v, label in Category.choices]
    cols += [(f"channel_{v}", f"渠道：{label}") for v, label in Channel.choices]
    cols += [(f"status_{v}", f"结果：{label}") for v, label in Status.choices]
    cols += [
        ("closed", "办结数"),
        ("on_time", "按期办结"),
        ("on_time_rate", "按期办结率(%)"),
        ("satisfaction_avg", "平均满意度"),
        ("satisfaction_count", "评价数"),
    ]
    return [(k, str(v)) for k, v in cols]
