"""Admin for the register: regions, merchants (import/export, claim codes), memberships, staff.

Every class is region-scoped through ``RegionScopedAdminMixin``: lists, object
pages, FK choices and saves stay within the staff member's region. Writes with
rules (claim codes, memberships, staff roles) go through the services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from integrity_portal.core.admin_actions import ReadOnlyAdminMixin, SuperuserEditsAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.exports import ExportAdminMixin
from integrity_portal.core.scoping import region_and_descendants, visible_region_codes

from ..forms import MembershipAddForm, MerchantAdminForm
from ..models import (
    ClaimCode,
    Industry,
    Membership,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Region,
    StaffProfile,
)
from ..resources import MerchantResource, short_label
from ..services import (
    claim_code_issue,
    format_claim_code,
    membership_grant,
    merchant_delete,
    merchant_save,
    region_delete,
    region_save,
    staff_assign_role,
)


class RegionListFilter(admin.SimpleListFilter):
    """Regions as filter choices, but only those the staff member may see."""

    title = gettext_lazy("辖区")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        codes = visible_region_codes(request.user)
        qs = Region.objects.select_related("parent")
        if codes is not None:
            qs = qs.filter(pk__in=codes)
        return [(r.code, f"{r.full_name}（{r.code}）") for r in qs.order_by("code")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        codes = set(region_and_descendants(value))
        visible = visible_region_codes(request.user)
        if visible is not None:
            codes &= set(visible)
        return queryset.filter(region__in=sorted(codes))


def choices_filter(field: str, title, choices):
    """A list filter over a TextChoices field with a Chinese title and the Chinese term of each label."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return [(value, short_label(label)) for value, label in choices.choices]

        def queryset(self, request, queryset):
            value = self.value()
            if value in choices.values:
                return queryset.filter(**{field: value})
            return queryset

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"{field.title()}ChoicesFilter"
    return ChoicesFilter


class StarsListFilter(admin.SimpleListFilter):
    title = gettext_lazy("星级")
    parameter_name = "stars"

    def lookups(self, request, model_admin):
        return [("none", _("未评级"))] + [(str(n), _("%(n)d星") % {"n": n}) for n in range(5, -1, -1)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(stars__isnull=True)
        if value in {str(n) for n in range(6)}:
            return queryset.filter(stars=int(value))
        return queryset


@admin.register(Region)
class RegionAdmin(SuperuserEditsAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    """Read-mostly: the division tree comes from GB/T 2260; only system administrators edit it."""

    region_field = "pk"
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    ordering = ("code",)

    def get_readonly_fields(self, request, obj=None):
        # The code is the key every merchant, profile and complaint points at: a new code is a new region.
        return ("code",) if obj is not None else ()

    def get_actions(self, request):
        # Regions are deleted one at a time on their own page, where a refusal can say why.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Writes go through the services (audit, region tree and public pages dropped once committed).
    def save_model(self, request, obj, form, change):
        region_save(region=obj, actor=request.user, changed_fields=list(form.changed_data) if change else None)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # raised inside the admin's transaction, which it rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        """GET is Django's confirmation page; the POST goes to ``region_delete``, whose refusal (merchants,
        regions below or staff still in it) comes back as a message on the region's page."""
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        region = self.get_object(request, unquote(object_id))
        if not self.has_delete_permission(request, region):
            raise PermissionDenied
        try:
            region_delete(region=region, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:merchants_region_change", args=[region.pk]))
        self.message_user(request, _("已删除区划“%(name)s”。") % {"name": region.name}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:merchants_region_changelist"))


@admin.register(Merchant)
class MerchantAdmin(RegionScopedAdminMixin, ExportAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [MerchantResource]
    import_template_name = "admin/merchants/merchant/import.html"
    form = MerchantAdminForm
    list_display = (
        "name",
        "registration_display",
        "kind_display",
        "region_display",
        "stars_display",
        "status_display",
    )
    list_display_links = ("name",)
    list_filter = (
        RegionListFilter,
        choices_filter("kind", gettext_lazy("类型"), MerchantKind),
        choices_filter("industry", gettext_lazy("行业"), Industry),
        choices_filter("status", gettext_lazy("经营状态"), MerchantStatus),
        StarsListFilter,
    )
    search_fields = ("name", "uscc", "licence_number")
    search_help_text = gettext_lazy("按名称、统一社会信用代码或登记号搜索")
    list_select_related = ("region", "region__parent")
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ("parent_market",)
    readonly_fields = (
        "stars_display",
        "credit_class_display",
        "rating_stale_display",
        "created_display",
        "updated_display",
    )
    fieldsets = (
        (None, {"fields": ("name", "former_names", "kind", "industry", "status")}),
        (
            gettext_lazy("登记信息"),
            {"fields": ("uscc", "licence_number", "legal_representative", "registered_on")},
        ),
        (gettext_lazy("属地"), {"fields": ("region", "address", "parent_market")}),
        (gettext_lazy("特别标识"), {"fields": ("is_large_venue", "is_time_honored", "odr_enrolled")}),
        (
            gettext_lazy("信用（由评级引擎计算）"),
            {"fields": ("stars_display", "credit_class_display", "rating_stale_display")},
        ),
        (gettext_lazy("记录"), {"fields": ("created_display", "updated_display")}),
    )
    actions = ["issue_claim_codes"]

    @admin.display(description=gettext_lazy("登记入库时间"))
    def created_display(self, obj):
        return date_format(timezone.localtime(obj.created_at), "Y-m-d H:i") if obj.created_at else "—"

    @admin.display(description=gettext_lazy("最后修改时间"))
    def updated_display(self, obj):
        return date_format(timezone.localtime(obj.updated_at), "Y-m-d H:i") if obj.updated_at else "—"

    @admin.display(description=gettext_lazy("信用风险分类"))
    def credit_class_display(self, obj):
        return obj.credit_class or _("未分类")

    @admin.display(description=gettext_lazy("待重新评级"), boolean=True)
    def rating_stale_display(self, obj):
        return obj.rating_stale

    @admin.display(description=gettext_lazy("类型"), ordering="kind")
    def kind_display(self, obj):
        return short_label(obj.get_kind_display())

    @admin.display(description=gettext_lazy("辖区"), ordering="region")
    def region_display(self, obj):
        return obj.region.full_name

    @admin.display(description=gettext_lazy("经营状态"), ordering="status")
    def status_display(self, obj):
        return short_label(obj.get_status_display())

    @admin.display(description=gettext_lazy("统一社会信用代码/登记号"), ordering="uscc")
    def registration_display(self, obj):
        return obj.registration_number

    @admin.display(description=gettext_lazy("星级"), ordering="stars")
    def stars_display(self, obj):
        return _("未评级") if obj.stars is None else "★" * obj.stars + "☆" * (5 - obj.stars)

    def save_model(self, request, obj, form, change):
        try:
            merchant_save(
                merchant=obj, actor=request.user, changed_fields=list(form.changed_data) if change else None
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc

    # Only system administrators may delete an entity (staff roles hold no delete permission).
    def delete_model(self, request, obj):
        try:
            merchant_delete(merchant=obj, actor=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for merchant in queryset:
                self.delete_model(request, merchant)

    def get_resource_kwargs(self, request, *args, **kwargs):
        kwargs = super().get_resource_kwargs(request, *args, **kwargs)
        kwargs["user"] = request.user
        return kwargs

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Something changed between preview and confirm: the import was rolled back as a whole.
            self.message_user(
                request, _("导入未完成：文件中有无效的行，没有导入任何数据。请重新上传。"), messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:merchants_merchant_import"))
        return super().process_result(result, request)

    @admin.action(description=gettext_lazy("发放认领码"), permissions=["change"])
    def issue_claim_codes(self, request, queryset):
        limit = 50
        if queryset.count() > limit:
            self.message_user(
                request,
                _("一次最多为 %(n)d 个市场主体发放认领码，其余请分批操作。") % {"n": limit},
                messages.WARNING,
            )
        for merchant in queryset.select_related("region")[:limit]:
            try:
                claim, plain = claim_code_issue(merchant=merchant, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{merchant.name}：{exc.message}", messages.ERROR)
                continue
            expires = date_format(timezone.localtime(claim.expires_at), "Y-m-d H:i")
            self.message_user(
                request,
                _(
                    "“%(name)s”的认领码：%(code)s（有效期至 %(expires)s）。请当面交给经营者本人；此码只显示这一次。"
                )
                % {"name": merchant.name, "code": format_claim_code(plain), "expires": expires},
                messages.SUCCESS,
            )


@admin.register(Membership)
class MembershipAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    list_display = ("user", "merchant", "role", "approved_by", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "merchant__name", "merchant__uscc")
    list_select_related = ("user", "merchant", "approved_by")
    autocomplete_fields = ("merchant",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("username", "merchant", "role")
        return ("user", "merchant", "role", "approved_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "merchant", "approved_by", "created_at")

    def save_model(self, request, obj, form, change):
        user = form.cleaned_data.get("user") or obj.user
        merchant = form.cleaned_data.get("merchant") or obj.merchant
        try:
            membership = membership_grant(user=user, merchant=merchant, role=obj.role, actor=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = membership.pk
        obj.user, obj.merchant, obj.approved_by = membership.user, membership.merchant, membership.approved_by
        obj.created_at = membership.created_at


@admin.register(ClaimCode)
class ClaimCodeAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    """Who issued which code when, and whether it was used; the code itself is never stored or shown."""

    region_field = "merchant__region"
    list_display = ("merchant", "issued_by", "issued_at", "expires_at", "used_at", "used_by", "state")
    list_select_related = ("merchant", "issued_by", "used_by")
    search_fields = ("merchant__name", "merchant__uscc")
    fields = ("merchant", "issued_by", "issued_at", "expires_at", "used_at", "used_by")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("状态"))
    def state(self, obj):
        if obj.used_at:
            return _("已使用")
        if obj.expires_at <= timezone.now():
            return _("已失效")
        return _("有效")


@admin.register(StaffProfile)
class StaffProfileAdmin(SuperuserEditsAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    """City staff may look; only system administrators appoint staff (through ``staff_assign_role``)."""

    list_display = ("user", "region", "role", "unit", "roster_active")
    list_filter = ("role", "roster_active")
    search_fields = ("user__username", "unit")
    list_select_related = ("user", "region")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        try:
            profile = staff_assign_role(
                user=obj.user,
                region_code=obj.region_id,
                role=obj.role,
                actor=request.user,
                unit=obj.unit,
                roster_active=obj.roster_active,
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = profile.pk
