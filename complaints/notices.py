"""The notices complaints send to merchant members and staff (issue #16 item 3), through the
notifications fan-out (docs/NOTIFICATIONS.md, "Kinds of notice and fan-out").

The complainant's own notices (SMS and e-mail to the phone and address they gave) are in notify.py.
Every function here is called inside the transaction of its event with a stable event key, so a rolled
back event leaves no notice and a second call (or a second run of a beat job) sends nothing twice.
SMS texts name no complainant and carry no tracking code (that and a phone number open the tracking page).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from notifications.kinds import NoticeKind, register_notice_kind, register_notice_link

from .models import Category, Complaint, ComplaintKind, DeadlineKind, Escalation

ALL_CHANNELS = ("inbox", "sms", "email")

COMPLAINT_ASSIGNED = NoticeKind(
    code="complaint_assigned",
    label=_("收到投诉（须在期限内答复）"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【投诉待答复】{merchant}：请于{due}前答复"),
    body=_(
        "{merchant}：\n市场监管部门已将一件关于贵单位的投诉（{category}）转交贵单位处理，"
        "请于{due}前（{days}个工作日内）登录诚信门户答复。逾期未答复的，将记为经营者未答复，"
        "并计入诚信星级评定。"
    ),
    sms=_("贵单位有一件投诉待答复，请于{due}前登录诚信门户答复，逾期将影响诚信星级。"),
)

COMPLAINT_REPLY_DUE_SOON = NoticeKind(
    code="complaint_reply_due_soon",
    label=_("投诉答复期限提醒"),
    audience="merchant",
    legal=True,
    default_channels=ALL_CHANNELS,
    subject=_("【答复期限提醒】{merchant}：投诉答复期限为{due}"),
    body=_(
        "{merchant}：\n贵单位尚未答复的投诉（{category}，{received}登记）答复期限为{due}，"
        "还剩2个工作日。请尽快登录诚信门户答复；逾期未答复将计入诚信星级评定。"
    ),
    sms=_("贵单位有一件投诉将于{due}到期未答复，请尽快登录诚信门户答复。"),
)

STAFF_ITEM_ASSIGNED = NoticeKind(
    code="staff_item_assigned",
    label=_("分派给您单位的投诉"),
    audience="staff",
    legal=False,
    default_channels=("inbox",),
    subject=_("【新分派】{kind} {code}（{category}）"),
    body=_("{kind} {code}（{category}，{target}）已分派给{region}办理，办理期限{due}。"),
)

STAFF_ITEMS_DUE_TOMORROW = NoticeKind(
    code="staff_items_due_tomorrow",
    label=_("明日到期事项"),
    audience="staff",
    legal=False,
    default_channels=("inbox",),
    subject=_("【明日到期】{count}件投诉举报于{due}到期"),
    body=_("您辖区有{count}件投诉举报的办理或反馈期限为{due}：\n{items}"),
)

STAFF_ESCALATION = NoticeKind(
    code="staff_escalation",
    label=_("逾期督办"),
    audience="staff",
    legal=False,
    default_channels=("inbox",),
    subject=_("【逾期督办】{kind} {code}：{deadline}已过"),
    body=_("{kind} {code}（{category}，{target}）的{deadline}为{due}，已逾期，已督办至{region}。"),
)

KINDS = (
    COMPLAINT_ASSIGNED,
    COMPLAINT_REPLY_DUE_SOON,
    STAFF_ITEM_ASSIGNED,
    STAFF_ITEMS_DUE_TOMORROW,
    STAFF_ESCALATION,
)


def complaint_notice_link(complaint: Complaint, audience: str) -> str:
    """A member reads the complaint in the portal; staff in the admin; a citizen has no page to link."""
    if audience == "merchant":
        return reverse("portal_complaints:detail", args=[complaint.pk])
    if audience == "staff":
        return reverse("admin:complaints_complaint_change", args=[complaint.pk])
    return ""


def register() -> None:
    """Called once from ``ComplaintsConfig.ready()``."""
    for kind in KINDS:
        register_notice_kind(kind)
    register_notice_link(Complaint, complaint_notice_link)


# --- who --------------------------------------------------------------------------------------------


def region_handlers(region_code: str):
    """The active staff who handle complaints in ``region_code`` itself (city bureau and district branch
    roles posted there): the unit an item is assigned or escalated to."""
    from .services.common import HANDLING_ROLES

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            is_staff=True,
            staff_profile__region_id=region_code,
            staff_profile__role__in=HANDLING_ROLES,
        )
        .order_by("pk")
    )


def _item_params(c: Complaint) -> dict:
    """The item as its reader names it; the labels lazy, so each reads them in their own language."""
    return {
        "kind": ComplaintKind(c.kind).label,
        "code": c.tracking_code,
        "category": Category(c.category).label,
        "target": c.target_display,
    }


# --- to the merchant's members ----------------------------------------------------------------------


def notify_merchant_assigned(*, complaint: Complaint, days: int, actor: User | None) -> list:
    """The complaint reached the merchant with an answer deadline (assignment, or direct settlement)."""
    from notifications.services import notify_merchant

    c = complaint
    return notify_merchant(
        merchant=c.merchant,
        kind=COMPLAINT_ASSIGNED.code,
        event_key=f"complaint:{c.pk}:merchant_assigned:{c.merchant_reply_due_on.isoformat()}",
        params={
            "merchant": c.merchant.name,
            "category": Category(c.category).label,
            "due": c.merchant_reply_due_on,
            "days": days,
        },
        about=c,
        actor=actor,
    )


def notify_merchant_reply_due_soon(*, complaint: Complaint) -> list:
    """Two working days before the merchant's answer deadline (beat; once per deadline)."""
    from notifications.services import notify_merchant

    c = complaint
    return notify_merchant(
        merchant=c.merchant,
        kind=COMPLAINT_REPLY_DUE_SOON.code,
        event_key=f"complaint:{c.pk}:merchant_reply_due_soon:{c.merchant_reply_due_on.isoformat()}",
        params={
            "merchant": c.merchant.name,
            "category": Category(c.category).label,
            "received": c.received_at.date() if c.received_at else "",
            "due": c.merchant_reply_due_on,
        },
        about=c,
    )


# --- to staff -------------------------------------------------------------------------------------


def notify_staff_assigned(*, complaint: Complaint, region, actor: User | None) -> list:
    """The item was assigned to ``region``'s unit: its handlers are told (not the one who assigned it).
    Called after the assignment's audit entry is written: its id makes the event key, so a later
    assignment back to the same unit is a new notice and a repeated call is not."""
    from integrity_portal.core.audit import audit_entries_for
    from notifications.services import notify_users

    from .audit_actions import AuditAction

    c = complaint
    entry = audit_entries_for(c).filter(action=AuditAction.COMPLAINT_ASSIGNED).order_by("-pk").first()
    users = [u for u in region_handlers(region.code) if actor is None or u.pk != actor.pk]
    return notify_users(
        users=users,
        kind=STAFF_ITEM_ASSIGNED.code,
        event_key=f"complaint:{c.pk}:assigned:{entry.pk if entry else region.code}",
        params={**_item_params(c), "region": region.name, "due": c.due_on or "—"},
        about=c,
        region_code=region.code,
        actor=actor,
    )


def notify_staff_escalation(*, escalation: Escalation) -> list:
    """An overdue deadline was escalated (督办) to a unit: its handlers are told, once per escalation."""
    from notifications.services import notify_users

    c, region = escalation.complaint, escalation.escalated_to
    return notify_users(
        users=region_handlers(region.code),
        kind=STAFF_ESCALATION.code,
        event_key=f"complaint:{c.pk}:escalation:{escalation.pk}",
        params={
            **_item_params(c),
            "deadline": DeadlineKind(escalation.deadline).label,
            "due": escalation.due_on,
            "region": region.name,
        },
        about=c,
        region_code=region.code,
    )


def _item_line(c: Complaint):
    return format_lazy(
        _("{kind} {code}（{category}）"),
        kind=ComplaintKind(c.kind).label,
        code=c.tracking_code,
        category=Category(c.category).label,
    )


def _lines(items: list) -> str:
    return "\n".join(str(item) for item in items)


lazy_lines = lazy(_lines, str)

#: At most this many items are listed in one digest (the count says how many there are).
DIGEST_ITEMS = 50


def notify_staff_due_tomorrow(*, user: User, due: date, items: list[Complaint], region) -> list:
    """One digest per staff member and day: the items in their region whose deadline is ``due``."""
    from notifications.services import notify_users

    lines = [_item_line(c) for c in items[:DIGEST_ITEMS]] + (["…"] if len(items) > DIGEST_ITEMS else [])
    return notify_users(
        users=[user],
        kind=STAFF_ITEMS_DUE_TOMORROW.code,
        event_key=f"staff:{user.pk}:due:{due.isoformat()}",
        params={"count": len(items), "due": due, "items": lazy_lines(lines)},
        about=region,
        region_code=region.code,
    )
