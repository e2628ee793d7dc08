"""The transition maps of the app, in one place: every allowed move of a complaint, of a report
and of a merchant's settlement proposal (和解方案). ``apps.py`` registers them with
``core.workflow``; services move these records only through ``<MAP>.transition()``."""

from __future__ import annotations

from integrity_portal.core.workflow import Workflow

from .audit_actions import AuditAction as A
from .models import ComplaintKind, ProposalStatus, Status

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

COMPLAINT_WORKFLOW = Workflow(
    "complaint",
    COMPLAINT_TRANSITIONS,
    labels=_labels,
    actions={
        S.SETTLED: A.COMPLAINT_SETTLED,
        S.RECEIVED: A.COMPLAINT_RECEIVED,
        S.ACCEPTED: A.COMPLAINT_ACCEPTED,
        S.REJECTED: A.COMPLAINT_REJECTED,
        S.ASSIGNED: A.COMPLAINT_ASSIGNED,
        S.MEDIATING: A.COMPLAINT_MEDIATING,
        S.MEDIATED: A.COMPLAINT_MEDIATED,
        S.TERMINATED: A.COMPLAINT_TERMINATED,
        S.TRANSFERRED: A.COMPLAINT_TRANSFERRED,
        S.CONFIRMED: A.COMPLAINT_CONFIRMED,
    },
)
REPORT_WORKFLOW = Workflow(
    "report",
    REPORT_TRANSITIONS,
    labels=_labels,
    actions={
        S.VERIFYING: A.REPORT_VERIFYING,
        S.CASE_OPENED: A.REPORT_CASE_OPENED,
        S.NOT_OPENED: A.REPORT_NOT_OPENED,
    },
)


#: A proposal waits for the complainant, who accepts (the complaint closes settled or mediated) or
#: rejects it; the end of direct settlement rejects a pending one. "No proposal" never moves.
SETTLEMENT_TRANSITIONS = {
    ProposalStatus.PENDING: [ProposalStatus.ACCEPTED, ProposalStatus.REJECTED],
}

SETTLEMENT_WORKFLOW = Workflow(
    "settlement",
    SETTLEMENT_TRANSITIONS,
    field="proposal_status",
    labels=dict(ProposalStatus.choices),
    # Filed in the complaint's history (audit_target): the complainant's answer, or its lapse.
    actions={
        ProposalStatus.ACCEPTED: A.COMPLAINT_PROPOSAL_ACCEPTED,
        ProposalStatus.REJECTED: A.COMPLAINT_PROPOSAL_REJECTED,
    },
    extra_actions=[A.COMPLAINT_PROPOSAL_LAPSED],
)


def workflow_for(complaint) -> Workflow:
    """Complaint and report share ``Complaint.status``; the kind picks the map."""
    return REPORT_WORKFLOW if complaint.kind == ComplaintKind.REPORT else COMPLAINT_WORKFLOW


def register_workflows() -> None:
    from integrity_portal.core.workflow import register_workflow

    from .models import Complaint, MerchantReply

    register_workflow(Complaint, COMPLAINT_WORKFLOW, REPORT_WORKFLOW, select=workflow_for)
    register_workflow(MerchantReply, SETTLEMENT_WORKFLOW)
