"""Work sources of complaints and reports on the staff workbench (core.workbench): every complaint or
report still waiting for the bureau (ODR is the merchant's turn, not the bureau's), due by ``due_on``,
decided on the case's handling page. Registered in ``ready()`` (imported there, after the models)."""

from __future__ import annotations

from integrity_portal.core.workbench import WorkSource, register_work_source

from .models import Complaint, ComplaintKind, Status

#: Statuses in which the bureau acts next, per kind.
WAITING = {
    ComplaintKind.COMPLAINT: [Status.RECEIVED, Status.ACCEPTED, Status.ASSIGNED, Status.MEDIATING],
    ComplaintKind.REPORT: [Status.RECEIVED, Status.VERIFYING],
}


def _waiting(kind: str):
    def queryset(user):
        return Complaint.objects.filter(kind=kind, status__in=WAITING[kind])

    return queryset


def _source(kind: ComplaintKind, order: int) -> WorkSource:
    return WorkSource(
        name=kind.value,
        label=kind.label,
        queryset=_waiting(kind),
        change_url="admin:complaints_complaint_change",
        list_url="admin:complaints_complaint_changelist",
        due="due_on",
        region="region",
        merchant=("merchant__name", "target_name"),
        reference="tracking_code",
        order=order,
    )


def register_work_sources() -> None:
    register_work_source(_source(ComplaintKind.COMPLAINT, 10))
    register_work_source(_source(ComplaintKind.REPORT, 20))
