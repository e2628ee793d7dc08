"""Daily reminders (beat): merchants two working days before their answer deadline, staff the items due
the next working day. Both are idempotent: the notices' event keys name the deadline (merchant) or the
staff member and day (digest), so a second run on a day, or two workers at once, sends nothing twice."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from integrity_portal.core import workdays
from integrity_portal.core.scoping import region_and_descendants

from ..models import Complaint, ComplaintKind, Status
from .common import HANDLING_ROLES, today

#: How many working days before the merchant's answer deadline the reminder goes out.
REMINDER_WORKING_DAYS = 2
#: Statuses in which a merchant still owes its first answer.
AWAITING_MERCHANT = (Status.ODR, Status.ASSIGNED, Status.MEDIATING)


def complaints_remind_merchant_replies(*, on: date | None = None) -> int:
    """Remind the members of every merchant whose first answer is due within the next
    ``REMINDER_WORKING_DAYS`` working days (a day the beat missed is caught up the next day; an item
    whose deadline has passed is the escalation sweep's). Returns how many complaints were reminded
    (the fan-out's own key makes a repeat a no-op)."""
    from ..notices import notify_merchant_reply_due_soon

    day = on or today()
    horizon = workdays.add_working_days(day, REMINDER_WORKING_DAYS)
    due = Complaint.objects.select_related("merchant").filter(
        kind=ComplaintKind.COMPLAINT,
        status__in=AWAITING_MERCHANT,
        merchant__isnull=False,
        merchant_replied_at__isnull=True,
        merchant_reply_due_on__gte=day,
        merchant_reply_due_on__lte=horizon,
    )
    reminded = 0
    for complaint in due.order_by("pk").iterator():
        with transaction.atomic():
            notify_merchant_reply_due_soon(complaint=complaint)
        reminded += 1
    return reminded


def _items_due(codes: list[str], due: date):
    """Open items in ``codes`` whose handling deadline, or a real-name reporter's feedback, is ``due``."""
    return (
        Complaint.objects.filter(region_id__in=codes)
        .filter(
            (Q(due_on=due, closed_at__isnull=True) & ~Q(status=Status.ODR))  # ODR time is the merchant's
            | Q(
                kind=ComplaintKind.REPORT,
                anonymous=False,
                feedback_due_on=due,
                feedback_sent_at__isnull=True,
                decided_at__isnull=False,
            )
        )
        .order_by("due_on", "pk")
    )


def staff_digest_items_due(*, on: date | None = None) -> int:
    """One inbox notice per handling staff member with items due on the next working day in their
    region (none when nothing is due). Returns how many staff members were sent a digest."""
    from ..notices import notify_staff_due_tomorrow

    day = on or today()
    due = workdays.add_working_days(day, 1)
    staff = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, staff_profile__role__in=HANDLING_ROLES)
        .select_related("staff_profile__region")
        .order_by("pk")
    )
    sent = 0
    for user in staff.iterator():
        region = user.staff_profile.region
        items = list(_items_due(region_and_descendants(region.code), due))
        if not items:
            continue
        with transaction.atomic():
            notify_staff_due_tomorrow(user=user, due=due, items=items, region=region)
        sent += 1
    return sent
