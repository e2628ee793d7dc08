"""The notice's status map (registered in NotificationsConfig.ready, hard-coded in test_workflow_maps).

queued → sending is the claim (only one worker wins the conditional update); sending → queued is a
retry after a provider error, or the sweep's rescue of a claim a killed worker left behind; a queued
notice whose address was erased (a person's erasure request) becomes undeliverable. A notice without
an address is created undeliverable and never moves.
"""

from integrity_portal.core.workflow import Workflow, register_workflow

from .audit_actions import AuditAction
from .models import Notice, NoticeStatus

NOTICE_WORKFLOW = Workflow(
    "notice",
    {
        NoticeStatus.QUEUED: {NoticeStatus.SENDING, NoticeStatus.UNDELIVERABLE},
        NoticeStatus.SENDING: {NoticeStatus.SENT, NoticeStatus.QUEUED, NoticeStatus.FAILED},
    },
    labels=dict(NoticeStatus.choices),
    # Only these moves are audited (audit_actions.py says why); the others are conditional updates.
    actions={NoticeStatus.FAILED: AuditAction.NOTICE_FAILED, NoticeStatus.UNDELIVERABLE: AuditAction.NOTICE_UNDELIVERABLE},
)


def register_workflows() -> None:
    register_workflow(Notice, NOTICE_WORKFLOW)
