"""The outbox's audit actions: only the outcomes staff must act on (a notice that will not arrive).

A sent notice is not audited: one audit row per SMS would swamp the complaint's timeline and the
append-only table; the Notice row itself (status, sent_at) is the record, shown beside the timeline.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    NOTICE_FAILED = "notice.failed", _("通知发送失败")
    NOTICE_UNDELIVERABLE = "notice.undeliverable", _("通知无法送达")
