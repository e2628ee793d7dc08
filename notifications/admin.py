"""Read-only outbox list for staff: addresses masked, region-scoped, nothing editable (a notice is
sent by the outbox, never by hand)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.phones import mask_phone

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region_code"
    list_display = ("key", "channel", "masked_address", "status", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("key",)
    date_hierarchy = "created_at"
    fields = (
        "key", "channel", "masked_address", "language", "status", "attempts", "next_attempt_at",
        "last_error", "created_at", "claimed_at", "sent_at", "content_type", "object_id", "region_code",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("地址"))
    def masked_address(self, obj: Notice) -> str:
        return mask_phone(obj.address)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
