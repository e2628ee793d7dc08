"""The outbox's audit actions: only the outcomes staff must act on (a notice that will not arrive).

A sent notice is not audited: one audit row per SMS would swamp the complaint's timeline and the
append-only table; the Notice row itself (status, sent_at) is the record, shown beside the timeline.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    NOTICE_FAILED = "notice.failed", _("通知发送失败")
    NOTICE_UNDELIVERABLE = "notice.undeliverable", _("通知无法送达")
    #: The per-phone daily SMS limit held it back: it stays queued until the next day (never dropped).
    NOTICE_LIMITED = "notice.limited", _("通知因每日短信限额顺延")
    #: A staff member queued a failed notice again (failed → queued).
    NOTICE_RESENT = "notice.resent", _("重新发送通知")
    #: A user changed their notice language, SMS number or channels per kind (notifications preferences).
    NOTICE_PREFERENCES_CHANGED = "notice.preferences_changed", _("修改通知设置")
    #: A person's erasure request (core.retention): their notice SMS number cleared, its notices anonymised.
    NOTICE_PROFILE_ERASED = "notice.profile_erased", _("删除通知手机号（个人信息删除申请）")
