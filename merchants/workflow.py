"""Every status pipeline of the merchants app, one explicit map each (moves not listed are refused).

* the merchant's recourse against a rating: appeal, right to reply, re-inspection;
* credit repair (信用修复) requests;
* proposals to list a merchant as seriously dishonest.

Services move these records only through ``<MAP>.transition()``; ``apps.py`` registers
the maps with ``core.workflow`` so ``workflow_for()`` and the structural tests see them.
``Merchant.status`` is not a pipeline: it mirrors the official business register.
"""

from __future__ import annotations

from integrity_portal.core.workflow import Workflow

from .audit_actions import AuditAction
from .models import (
    AppealStatus,
    ProposalStatus,
    ReinspectionStatus,
    RepairStatus,
    ReplyStatus,
    RoleModelStatus,
)

#: An appeal against a rating is decided once, by someone who took no part in the facts.
APPEAL_WORKFLOW = Workflow(
    "appeal",
    {AppealStatus.OPEN: {AppealStatus.UPHELD, AppealStatus.DISMISSED}},
    labels=dict(AppealStatus.choices),
    actions={AppealStatus.UPHELD: AuditAction.APPEAL_UPHELD, AppealStatus.DISMISSED: AuditAction.APPEAL_DISMISSED},
)

#: A reply is moderated before publication; a published one is withdrawn by the merchant or a newer reply.
REPLY_WORKFLOW = Workflow(
    "reply",
    {
        ReplyStatus.PENDING: {ReplyStatus.PUBLISHED, ReplyStatus.REJECTED, ReplyStatus.WITHDRAWN},
        ReplyStatus.PUBLISHED: {ReplyStatus.WITHDRAWN},
    },
    labels=dict(ReplyStatus.choices),
    actions={
        ReplyStatus.PUBLISHED: AuditAction.REPLY_PUBLISHED,
        ReplyStatus.REJECTED: AuditAction.REPLY_REJECTED,
        ReplyStatus.WITHDRAWN: AuditAction.REPLY_WITHDRAWN,
    },
)

#: A re-inspection is scheduled (or refused) and then done with the visit's inspection.
REINSPECTION_WORKFLOW = Workflow(
    "reinspection",
    {
        ReinspectionStatus.REQUESTED: {ReinspectionStatus.SCHEDULED, ReinspectionStatus.REFUSED},
        ReinspectionStatus.SCHEDULED: {ReinspectionStatus.DONE},
    },
    labels=dict(ReinspectionStatus.choices),
    actions={
        ReinspectionStatus.SCHEDULED: AuditAction.REINSPECTION_SCHEDULED,
        ReinspectionStatus.REFUSED: AuditAction.REINSPECTION_REFUSED,
        ReinspectionStatus.DONE: AuditAction.REINSPECTION_DONE,
    },
)

#: A credit repair request is decided once, within 7 working days; both outcomes are final.
REPAIR_WORKFLOW = Workflow(
    "repair",
    {RepairStatus.SUBMITTED: {RepairStatus.APPROVED, RepairStatus.REFUSED}},
    labels=dict(RepairStatus.choices),
    actions={RepairStatus.APPROVED: AuditAction.REPAIR_APPROVED, RepairStatus.REFUSED: AuditAction.REPAIR_REFUSED},
)

#: A listing proposal is decided (listed with a decision number) or dismissed; dismissal is final.
LIST_PROPOSAL_WORKFLOW = Workflow(
    "list_proposal",
    {ProposalStatus.OPEN: {ProposalStatus.LISTED, ProposalStatus.DISMISSED}},
    labels=dict(ProposalStatus.choices),
    actions={
        ProposalStatus.LISTED: AuditAction.LIST_PROPOSAL_LISTED,
        ProposalStatus.DISMISSED: AuditAction.LIST_PROPOSAL_DISMISSED,
    },
)

#: A role-model story is approved before it is published; a withdrawn one may be reworked as a draft.
ROLE_MODEL_WORKFLOW = Workflow(
    "role_model",
    {
        RoleModelStatus.DRAFT: {RoleModelStatus.APPROVED},
        RoleModelStatus.APPROVED: {RoleModelStatus.PUBLISHED, RoleModelStatus.DRAFT},
        RoleModelStatus.PUBLISHED: {RoleModelStatus.WITHDRAWN},
        RoleModelStatus.WITHDRAWN: {RoleModelStatus.DRAFT},
    },
    labels=dict(RoleModelStatus.choices),
    actions={
        RoleModelStatus.APPROVED: AuditAction.ROLE_MODEL_APPROVED,
        RoleModelStatus.PUBLISHED: AuditAction.ROLE_MODEL_PUBLISHED,
        RoleModelStatus.WITHDRAWN: AuditAction.ROLE_MODEL_WITHDRAWN,
        RoleModelStatus.DRAFT: AuditAction.ROLE_MODEL_RETURNED,
    },
)


def register_workflows() -> None:
    from integrity_portal.core.workflow import register_workflow

    from .models import (
        CreditRepairRequest,
        ListProposal,
        RatingAppeal,
        RatingReply,
        ReinspectionRequest,
        RoleModelStory,
    )

    register_workflow(RatingAppeal, APPEAL_WORKFLOW)
    register_workflow(RatingReply, REPLY_WORKFLOW)
    register_workflow(ReinspectionRequest, REINSPECTION_WORKFLOW)
    register_workflow(CreditRepairRequest, REPAIR_WORKFLOW)
    register_workflow(ListProposal, LIST_PROPOSAL_WORKFLOW)
    register_workflow(RoleModelStory, ROLE_MODEL_WORKFLOW)
