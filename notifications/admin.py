"""Read-only outbox list for staff: addresses masked, region-scoped, nothing editable (a notice is
sent by the outbox, never by hand). The one thing staff do is queue a ``failed`` notice again
(``notice_resend``: a list action and a button on its page, for holders of ``resend_notice``)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.admin_actions import service_action
from integrity_portal.core.admin_decisions import Decision, DecisionAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.phones import mask_phone

from .models import Notice, NoticeStatus
from .services import notice_resend


def _resend(notice: Notice, *, actor, reason: str = "") -> Notice:
    """The list action and the page's button (which passes the reason box, unused here)."""
    return notice_resend(notice_id=notice.pk, actor=actor)


@admin.register(Notice)
class NoticeAdmin(DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region_code"
    actions = ["resend_selected"]
    resend_selected = service_action(
        _resend,
        _("重新发送所选的发送失败通知"),
        _("已重新排队发送 %(n)d 条通知。"),
        target="notice",
        permissions=("resend",),
    )
    decisions = (
        Decision(
            name="resend",
            label=_("重新发送"),
            run=_resend,
            allowed=lambda notice: notice.status == NoticeStatus.FAILED,
            done=_("该通知已重新排队发送。"),
            permission="resend",
            style="default",
        ),
    )
    list_display = ("key", "channel", "masked_address", "status", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("key",)
    date_hierarchy = "created_at"
    fields = (
        "key", "channel", "masked_address", "language", "sms_template", "status", "attempts", "next_attempt_at",
        "last_error", "created_at", "claimed_at", "sent_at", "content_type", "object_id", "region_code",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("地址"))
    def masked_address(self, obj: Notice) -> str:
        return mask_phone(obj.address)

    def has_resend_permission(self, request, obj=None):
        return request.user.has_perm("notifications.resend_notice")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
