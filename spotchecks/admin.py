"""Admin for 双随机、一公开: plans (decision buttons approve → draw → publish), tasks ("my spot-check
tasks" with due dates, recording a result, a closed merchant) and declared conflicts of interest.

Every write goes through ``spotchecks.services``; a refusal is a form error or an error message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_decisions import Decision, DecisionAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError
from merchants.admin.credit_facts import InspectorChoiceField
from merchants.models import (
    INSPECTION_ITEMS,
    FindingLevel,
    Industry,
    InspectionOutcome,
    MerchantKind,
    RegionLevel,
)
from merchants.selectors.staff import inspector_roster_for_viewer

from . import services
from .models import SHARE_FIELDS, InspectorConflict, PlanStatus, SpotCheckPlan, SpotCheckTask, TaskStatus
from .selectors import plan_progress
from .workflow import PLAN_WORKFLOW, TASK_WORKFLOW


class _DryRun(Exception):
    pass


class ServiceForm(forms.ModelForm):
    """Runs the admin's service in a rolled-back savepoint in ``clean()``, so every refusal is a form error."""

    service_check = None

    def clean(self):
        data = super().clean()
        if self.errors or self.service_check is None:
            return data
        try:
            with transaction.atomic():
                self.service_check(self, data)
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            field = (exc.details or {}).get("field")
            if field in self.fields:
                self.add_error(field, exc.message)
            else:
                raise forms.ValidationError(exc.message) from None
        return data


# --- plans ---------------------------------------------------------------------------------------


class PlanForm(ServiceForm):
    merchant_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("主体类型"), choices=MerchantKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy("不选表示全部类型。"),
    )
    industries = forms.MultipleChoiceField(
        label=gettext_lazy("行业"), choices=Industry.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy("不选表示全部行业。"),
    )
    items = forms.MultipleChoiceField(
        label=gettext_lazy("检查事项"), choices=INSPECTION_ITEMS, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SpotCheckPlan
        fields = (
            "region", "title", "year", "period", "districts", "merchant_kinds", "industries", "items",
            *SHARE_FIELDS.values(), "min_count", "max_count", "exclude_inspected_months", "due_on",
        )


def _plan_values(form, data) -> dict:
    return {name: data[name] for name in form.Meta.fields if name in data and name in form.fields}


def _plan_save(request, form, data, instance):
    values = _plan_values(form, data)
    if instance is None or instance.pk is None:
        shares = {c: values.pop(f) for c, f in SHARE_FIELDS.items() if f in values}
        return services.spot_check_plan_create(actor=request.user, shares=shares, **values)
    changes = {k: v for k, v in values.items() if k in form.changed_data}
    return services.spot_check_plan_update(plan_id=instance.pk, actor=request.user, changes=changes)


def _plan_step(name: str, label, service, target: str, done) -> Decision:
    return Decision(
        name=name,
        label=label,
        done=done,
        run=lambda obj, *, actor, reason: service(plan_id=obj.pk, actor=actor),
        allowed=lambda obj: PLAN_WORKFLOW.can(obj.status, target),
        style="default",
    )


@admin.register(SpotCheckPlan)
class SpotCheckPlanAdmin(DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    form = PlanForm
    region_field = "region"
    list_display = ("title", "year", "period", "region", "status", "due_on", "drawn_count", "progress")
    list_filter = ("status", "year")
    search_fields = ("title",)
    list_select_related = ("region",)
    filter_horizontal = ("districts",)
    decisions = (
        _plan_step(
            "approve", gettext_lazy("批准并公布种子承诺值（冻结名单）"), services.spot_check_plan_approve,
            PlanStatus.APPROVED, gettext_lazy("计划已批准，随机种子承诺值和冻结名单已公布。"),
        ),
        _plan_step(
            "draw", gettext_lazy("抽取检查对象和检查人员（公布种子）"), services.spot_check_plan_draw,
            PlanStatus.DRAWN, gettext_lazy("已抽取，检查任务已分派，随机种子已公布。"),
        ),
        _plan_step(
            "publish", gettext_lazy("公示抽查结果"), services.spot_check_plan_publish,
            PlanStatus.PUBLISHED, gettext_lazy("抽查结果已公示。"),
        ),
    )
    published_fields = (
        "status", "seed_commitment", "frozen_digest", "seed", "drawn_count", "progress", "tasks_link",
        "approved_at", "drawn_at", "completed_at", "publish_due_on", "published_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status == PlanStatus.DRAFT:
            return self.published_fields
        locked = [f for f in PlanForm.Meta.fields if f not in ("title", "period", "due_on")]
        if obj.status != PlanStatus.APPROVED:
            locked = list(PlanForm.Meta.fields)
        return (*self.published_fields, *locked)

    def get_fields(self, request, obj=None):
        fields = list(PlanForm.Meta.fields)
        return fields if obj is None else [*fields, *self.published_fields]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.service_check = staticmethod(lambda f, data: _plan_save(request, f, data, obj))
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "districts" and formfield is not None:
            formfield.queryset = formfield.queryset.filter(level=RegionLevel.DISTRICT)
        return formfield

    def save_model(self, request, obj, form, change):
        try:
            saved = _plan_save(request, form, form.cleaned_data, obj if change else None)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """The districts were set by the service with the plan (and checked against the planner's region)."""

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("完成情况"))
    def progress(self, obj):
        if obj is None or obj.pk is None or obj.status in (PlanStatus.DRAFT, PlanStatus.APPROVED):
            return "—"
        counts = plan_progress(obj)
        finished = counts[TaskStatus.DONE] + counts[TaskStatus.MERCHANT_CLOSED]
        return _("%(done)d／%(total)d（督办 %(escalated)d）") % {
            "done": finished, "total": counts["total"], "escalated": counts[TaskStatus.ESCALATED],
        }

    @admin.display(description=gettext_lazy("检查任务"))
    def tasks_link(self, obj):
        if obj is None or obj.pk is None or not obj.drawn_count:
            return "—"
        url = reverse("admin:spotchecks_spotchecktask_changelist") + f"?plan__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("查看 %(n)d 项任务") % {"n": obj.drawn_count})


# --- tasks ---------------------------------------------------------------------------------------


class MineFilter(admin.SimpleListFilter):
    """"My spot-check tasks": the tasks naming the signed-in inspector."""

    title = gettext_lazy("检查人员")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return (("1", _("我的抽查任务")),)

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(Q(inspector_1=request.user) | Q(inspector_2=request.user))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("是否超期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("1", _("已超期")),)

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(
                status__in=(TaskStatus.OPEN, TaskStatus.ESCALATED), due_on__lt=timezone.localdate()
            )
        return queryset


class RecordForm(forms.Form):
    inspected_on = forms.DateField(label=gettext_lazy("检查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=gettext_lazy("检查结论"), choices=InspectionOutcome.choices)
    notes = forms.CharField(label=gettext_lazy("检查情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in INSPECTION_ITEMS:
            if name in items:
                self.fields[f"item_{name}"] = forms.ChoiceField(
                    label=label, choices=FindingLevel.choices, initial=FindingLevel.PASS
                )


@admin.register(SpotCheckTask)
class SpotCheckTaskAdmin(DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region"
    list_display = ("merchant", "plan", "region", "inspectors", "due_on", "status", "record_link")
    list_filter = (MineFilter, OverdueFilter, "status", "plan")
    search_fields = ("merchant__name", "merchant__uscc", "plan__title")
    list_select_related = ("merchant", "plan", "region", "inspector_1__staff_profile", "inspector_2__staff_profile")
    ordering = ("due_on", "plan_id", "draw_rank")
    # The stratum (credit class) a merchant was drawn in is internal and not needed to do the visit.
    readonly_fields = (
        "plan", "merchant", "region", "inspectors", "due_on", "status", "inspection", "closed_note",
        "escalated_to", "escalated_at", "finished_at",
    )
    fields = readonly_fields
    decisions = (
        Decision(
            name="merchant_closed",
            label=gettext_lazy("记录为已停业／注销（不替换）"),
            done=gettext_lazy("已记录该市场主体停业／注销。"),
            run=lambda obj, *, actor, reason: services.spot_check_task_mark_closed(
                task_id=obj.pk, actor=actor, note=reason
            ),
            allowed=lambda obj: TASK_WORKFLOW.can(obj.status, TaskStatus.MERCHANT_CLOSED),
            style="deletelink",
        ),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("检查人员"))
    def inspectors(self, obj):
        return "、".join(
            u.staff_profile.roster_label if hasattr(u, "staff_profile") else u.get_username()
            for u in (obj.inspector_1, obj.inspector_2)
        )

    @admin.display(description=gettext_lazy("录入结果"))
    def record_link(self, obj):
        if not TASK_WORKFLOW.can(obj.status, TaskStatus.DONE):
            return "—"
        url = reverse("admin:spotchecks_spotchecktask_record", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("录入检查结果"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.record_view)
        return [path("<int:task_id>/record/", view, name="spotchecks_spotchecktask_record"), *super().get_urls()]

    def record_view(self, request, task_id):
        task = self.get_object(request, str(task_id))
        if not self.has_change_permission(request, task):
            raise PermissionDenied
        back = reverse("admin:spotchecks_spotchecktask_change", args=[task.pk])
        form = RecordForm(request.POST or None, items=task.plan.items or ())
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.spot_check_task_record(
                    task_id=task.pk,
                    actor=request.user,
                    inspected_on=data["inspected_on"],
                    findings={name: data[f"item_{name}"] for name, _l in INSPECTION_ITEMS if f"item_{name}" in data},
                    outcome=data["outcome"],
                    notes=data.get("notes", ""),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("检查结果已录入。"), messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": _("录入抽查结果：%(merchant)s") % {"merchant": task.merchant},
            "opts": self.model._meta,
            "task": task,
            "form": form,
            "back": back,
        }
        return render(request, "admin/spotchecks/record_result.html", context)


# --- conflicts of interest -----------------------------------------------------------------------


class ConflictForm(ServiceForm):
    class Meta:
        model = InspectorConflict
        fields = ("inspector", "merchant", "reason")


@admin.register(InspectorConflict)
class InspectorConflictAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    form = ConflictForm
    region_field = "merchant__region"
    list_display = ("inspector_label", "merchant", "reason", "declared_at", "withdrawn_at")
    list_filter = ("withdrawn_at",)
    search_fields = ("merchant__name", "inspector__staff_profile__full_name", "reason")
    raw_id_fields = ("merchant",)
    list_select_related = ("merchant", "inspector__staff_profile")
    actions = ["withdraw"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("inspector", "merchant", "reason", "declared_at", "declared_by", "withdrawn_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.service_check = staticmethod(
                lambda f, data: services.inspector_conflict_declare(
                    inspector=data["inspector"], merchant=data["merchant"], reason=data["reason"], actor=request.user
                )
            )
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "inspector":
            roster = inspector_roster_for_viewer(request.user)
            return InspectorChoiceField(
                queryset=get_user_model().objects.filter(staff_profile__in=roster).select_related("staff_profile"),
                label=db_field.verbose_name,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            saved = services.inspector_conflict_declare(
                inspector=form.cleaned_data["inspector"],
                merchant=form.cleaned_data["merchant"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("检查人员"))
    def inspector_label(self, obj):
        profile = getattr(obj.inspector, "staff_profile", None)
        return profile.roster_label if profile else obj.inspector.get_username()

    @admin.action(description=gettext_lazy("撤销所选回避申报"), permissions=["change"])
    def withdraw(self, request, queryset):
        n = 0
        for conflict in queryset.filter(withdrawn_at__isnull=True):
            try:
                services.inspector_conflict_withdraw(conflict_id=conflict.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{conflict}: {exc.message}", messages.ERROR)
                continue
            n += 1
        self.message_user(request, _("已撤销 %(n)d 项回避申报。") % {"n": n}, messages.SUCCESS)

