"""The two transition maps: every allowed move of a complaint and of a report, in one place."""

from __future__ import annotations

from integrity_portal.core.workflow import Workflow

from .models import ComplaintKind, Status

S = Status

COMPLAINT_TRANSITIONS = {
    S.ODR: [S.SETTLED, S.RECEIVED],
    S.RECEIVED: [S.ACCEPTED, S.REJECTED],
    S.ACCEPTED: [S.ASSIGNED],
    S.ASSIGNED: [S.ASSIGNED, S.MEDIATING, S.TERMINATED, S.TRANSFERRED],
    S.MEDIATING: [S.MEDIATED, S.TERMINATED, S.TRANSFERRED],
    # The enforcement side confirmed the transferred complaint as a violation (a finding of fault).
    S.TRANSFERRED: [S.CONFIRMED],
}

REPORT_TRANSITIONS = {
    S.RECEIVED: [S.VERIFYING],
    S.VERIFYING: [S.CASE_OPENED, S.NOT_OPENED],
}

_labels = {value: label for value, label in Status.choices}

COMPLAINT_WORKFLOW = Workflow("complaint", COMPLAINT_TRANSITIONS, labels=_labels)
REPORT_WORKFLOW = Workflow("report", REPORT_TRANSITIONS, labels=_labels)


def workflow_for(complaint) -> Workflow:
    return REPORT_WORKFLOW if complaint.kind == ComplaintKind.REPORT else COMPLAINT_WORKFLOW
