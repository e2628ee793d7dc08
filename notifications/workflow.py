"""The notice's status map (registered in NotificationsConfig.ready, hard-coded in test_workflow_maps).

queued → sending is the claim (only one worker wins the conditional update); sending → queued is a
retry after a provider error, or the sweep's rescue of a claim a killed worker left behind; a queued
notice whose address was erased (a person's erasure request) becomes undeliverable; failed → queued
is a staff member's re-send (``notice_resend``, audited). A notice without an address is created
undeliverable and never moves.
"""

from integrity_portal.core.workflow import Workflow, register_workflow

from .audit_actions import AuditAction
from .models import Notice, NoticeStatus

NOTICE_WORKFLOW = Workflow(
    "notice",
    {
        NoticeStatus.QUEUED: {NoticeStatus.SENDING, NoticeStatus.UNDELIVERABLE},
        NoticeStatus.SENDING: {NoticeStatus.SENT, NoticeStatus.QUEUED, NoticeStatus.FAILED},
        NoticeStatus.FAILED: {NoticeStatus.QUEUED},
    },
    labels=dict(NoticeStatus.choices),
    # Only these moves are audited (audit_actions.py says why); the others are conditional updates.
    actions={NoticeStatus.FAILED: AuditAction.NOTICE_FAILED, NoticeStatus.UNDELIVERABLE: AuditAction.NOTICE_UNDELIVERABLE},
    # A re-send (failed → queued) is audited with its own action; a retry (sending → queued) is not.
    extra_actions=[AuditAction.NOTICE_RESENT],
)


def register_workflows() -> None:
    register_workflow(Notice, NOTICE_WORKFLOW)
