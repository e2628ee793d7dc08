"""Forms: input shapes only. The rules (windows, eligibility, counts, photos) live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MAX_ADS_PER_PLACEMENT, MAX_PLACEMENTS, AdLocation, AdMedium, ReviewDecision


class ApplyForm(forms.Form):
    statement = forms.CharField(
        label=_("创建事迹（申报材料）"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        help_text=_("简述文明诚信经营的做法和成效，例如明码标价、公平计量、优质服务、参与公益。"),
    )
    pledge = forms.BooleanField(label=_("我承诺所填报内容真实、准确，愿意接受核查和社会监督。"))


class ObjectionForm(forms.Form):
    application = forms.TypedChoiceField(label=_("异议对象"), coerce=int)
    name = forms.CharField(label=_("您的姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, help_text=_("仅用于核实，不会公开。"))
    content = forms.CharField(
        label=_("异议事实和理由"),
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=10,
        max_length=2000,
        help_text=_("请写明具体事实，可注明时间、地点；不少于10个字。"),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", _("请选择候选对象"))] + [
            (a.pk, f"{a.get_category_display()} · {a.merchant.name}") for a in candidates
        ]

    def clean(self):
        """The service's field rules run with the form's: every error in one pass (a field the form
        already refused keeps its own message)."""
        from .services.objection import objection_field_errors

        data = super().clean()
        errors = objection_field_errors(
            name=data.get("name") or "", phone=data.get("phone") or "", content=data.get("content") or ""
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


class AdReportForm(forms.Form):
    """The report's month (a month picker, stored as ``YYYY-MM``) and, when the placements' share of
    public-service ads is below the quota, the reporter's confirmation that it is sent as it is."""

    period = forms.RegexField(
        label=_("报告期（月份）"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        widget=forms.DateInput(attrs={"type": "month"}),
        error_messages={"invalid": _("请选择月份（格式“年-月”，例如 2026-05）。")},
    )
    confirm_below_quota = forms.BooleanField(label=_("我已知悉公益广告占比低于任务要求，仍然提交本报告。"), required=False)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_period(self):
        year, month = (int(part) for part in self.cleaned_data["period"].split("-"))
        if not 1 <= month <= 12 or year < 2000:
            raise forms.ValidationError(_("月份无效，请用月份选择器选择。"))
        if (year, month) > (self.today.year, self.today.month):
            raise forms.ValidationError(_("不能报告尚未到来的月份。"))
        return f"{year:04d}-{month:02d}"


class PlacementForm(forms.Form):
    medium = forms.ChoiceField(label=_("媒介"), choices=[("", "—")] + list(AdMedium.choices))
    location = forms.ChoiceField(label=_("位置"), choices=[("", "—")] + list(AdLocation.choices))
    total_ads = forms.IntegerField(label=_("广告总数"), min_value=0, max_value=MAX_ADS_PER_PLACEMENT)
    psa_ads = forms.IntegerField(label=_("其中公益广告"), min_value=0, max_value=MAX_ADS_PER_PLACEMENT)
    theme = forms.CharField(label=_("主题"), max_length=60, required=False)
    photo = forms.FileField(label=_("现场照片"), required=False, help_text=_("图片，不超过5 MB。"))

    def clean(self):
        data = super().clean()
        total, psa = data.get("total_ads"), data.get("psa_ads")
        if total is not None and psa is not None and psa > total:
            self.add_error("psa_ads", _("公益广告数不能大于广告总数。"))
        return data


#: One row shown to start with; more are added by "添加点位" (a submit button without JavaScript, a cloned
#: row with it), up to MAX_PLACEMENTS.
PlacementFormSet = forms.formset_factory(
    PlacementForm, extra=0, min_num=1, validate_min=True, max_num=MAX_PLACEMENTS, validate_max=True
)


def placement_totals(formset) -> tuple[int, int]:
    """(all ads, public-service ads) over the formset's valid filled rows."""
    rows = [f.cleaned_data for f in formset.forms if getattr(f, "cleaned_data", None) and f.has_changed()]
    return sum(r.get("total_ads") or 0 for r in rows), sum(r.get("psa_ads") or 0 for r in rows)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("结论"), choices=ReviewDecision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))
    inspection_score = forms.DecimalField(
        label=_("实地考察得分（0–100）"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    survey_score = forms.DecimalField(
        label=_("问卷调查满意度（0–100）"), min_value=0, max_value=100, decimal_places=2, required=False
    )


class ObjectionResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[("upheld", _("异议成立（取消候选资格）")), ("dismissed", _("异议不成立（保留候选）"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("处理理由"), widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    result = forms.ChoiceField(
        label=_("核查结果"),
        choices=[("confirmed", _("核查属实")), ("refuted", _("核查不符"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("核查说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
