"""Forms for the public intake, tracking, the portal reply and the staff intake/handling pages.

Forms only shape input; every rule is checked by the services, whose errors are
put back on the matching field. The intake form asks the service for all its errors in ``clean()``
(``services.submission_errors``), so an empty submit shows every problem at once, not in two rounds.
"""

from __future__ import annotations

import calendar
import secrets
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.uploads import MultipleFileField

from .models import STAFF_INTAKE_CHANNELS, Category, Channel, RejectReason, TerminationReason
from .services import BOTH, Submission, submission_errors

CATEGORY_HELP = {
    Category.PRICE: _("不明码标价、标价外加价、价格欺诈等"),
    Category.SHORT_WEIGHT: _("缺斤短两、计量器具作弊"),
    Category.FALSE_ADVERTISING: _("夸大或虚构商品功效、虚假促销"),
    Category.QUALITY: _("商品质量不合格、假冒伪劣、拒绝三包"),
    Category.FOOD_SAFETY: _("过期变质食品、无证经营食品、餐饮卫生"),
    Category.SERVICE: _("服务质量、预付卡、合同纠纷"),
    Category.OTHER: _("以上都不是"),
}
KIND_CHOICES = [
    ("complaint", _("投诉 —— 我自己的消费纠纷，请求调解（须实名）")),
    ("report", _("举报 —— 反映经营者违法行为，请求查处（可匿名）")),
    (BOTH, _("既投诉又举报 —— 将拆分为一件投诉和一件举报")),
]
#: Fields required only for some choices of "kind": a complaint (or both) needs them all; a real-name
#: report needs the phone and the consent; an anonymous report none. complaint-form.js switches the
#: marks and ``aria-required`` with the same table (data-required-when on each field).
CONDITIONAL_REQUIRED = {
    "name": ("complaint", BOTH),
    "phone": ("complaint", BOTH, "report"),
    "address": ("complaint", BOTH),
    "harm_known_on": ("complaint", BOTH),
    "consent": ("complaint", BOTH, "report"),
}
#: Of those, the ones an anonymous report drops.
NOT_FOR_ANONYMOUS = ("phone", "consent")


def required_now(kind: str, anonymous: bool) -> set[str]:
    """The conditionally required fields for this kind (and anonymity of a report)."""
    names = {name for name, kinds in CONDITIONAL_REQUIRED.items() if kind in kinds}
    if kind == "report" and anonymous:
        names -= set(NOT_FOR_ANONYMOUS)
    return names


class CategoryRadio(forms.RadioSelect):
    """Radio buttons that show a short explanation under each category."""

    template_name = "complaints/widgets/category_radio.html"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["help"] = CATEGORY_HELP.get(value, "")
        return option


class SubmissionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("您要"), choices=KIND_CHOICES, widget=forms.RadioSelect, initial="complaint"
    )
    anonymous = forms.BooleanField(
        label=_("匿名举报（不留姓名和联系方式，将无法收到处理结果）"), required=False
    )
    name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(label=_("联系地址"), max_length=200, required=False)
    email = forms.EmailField(label=_("电子邮箱（选填）"), required=False)
    harm_known_on = forms.DateField(
        label=_("知道权益受损的日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    merchant = forms.IntegerField(required=False, widget=forms.HiddenInput)
    merchant_query = forms.CharField(
        label=_("查找被投诉经营者"),
        required=False,
        max_length=120,
        help_text=_("输入名称关键字或18位统一社会信用代码"),
    )
    target_name = forms.CharField(label=_("找不到时：经营者名称"), max_length=120, required=False)
    target_address = forms.CharField(label=_("经营地址"), max_length=200, required=False)
    region = forms.ChoiceField(label=_("所在区县"), required=False)
    category = forms.ChoiceField(label=_("问题类别"), choices=Category.choices, widget=CategoryRadio)
    description = forms.CharField(
        label=_("问题描述"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明时间、地点、经过和您的诉求，至少10个字。"),
        max_length=5000,
    )
    amount = forms.DecimalField(
        label=_("涉及金额（元，选填）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    use_odr = forms.BooleanField(
        label=_("先由经营者在线和解（仅限已加入 ODR 的经营者，10个工作日内未和解自动转市场监管部门）"),
        required=False,
    )
    attachments = MultipleFileField(
        label=_("证据材料（选填）"),
        required=False,
        help_text=_("JPEG、PNG 图片或 PDF，每个不超过 5 MB，最多 5 个。"),
    )
    consent = forms.BooleanField(
        label=_("我同意市场监管部门为办理本件收集、使用我的个人信息；个人信息不会公开，也不会提供给经营者。"),
        required=False,
    )
    conditional_required = CONDITIONAL_REQUIRED
    #: One-time token of this form copy: a double click posts it twice and files once (services.intake).
    submission_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        from merchants.models import Region, RegionLevel

        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["submission_token"].initial = secrets.token_urlsafe(32)
        districts = Region.objects.filter(level=RegionLevel.DISTRICT).select_related("parent")
        self.fields["region"].choices = [("", "—")] + [(r.code, r.full_name) for r in districts]
        kind = (self.data.get(self.add_prefix("kind")) if self.is_bound else None) or self["kind"].initial
        anonymous = bool(self.data.get(self.add_prefix("anonymous"))) if self.is_bound else False
        #: The conditionally required fields for the kind shown (the template marks them).
        self.required_now = required_now(kind, anonymous)
        for name, kinds in CONDITIONAL_REQUIRED.items():
            attrs = self.fields[name].widget.attrs
            attrs["data-required-when"] = " ".join(kinds)
            if name in NOT_FOR_ANONYMOUS:
                attrs["data-required-unless-anonymous"] = "1"
            if name in self.required_now:
                attrs["aria-required"] = "true"
        for field in self.fields.values():
            # Not on radio buttons (ARIA allows aria-required on the group, not on a radio).
            if field.required and not field.widget.is_hidden and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-required"] = "true"

    def clean(self):
        data = super().clean()
        if not data.get("merchant") and data.get("merchant_query"):
            from merchants.models import Merchant

            match = Merchant.objects.filter(uscc=data["merchant_query"].strip().upper()).first()
            if match:
                data["merchant"] = match.pk
        # The service's rules run now, with the form's: every error in one pass. A field the form already
        # refused keeps its own message.
        add_field_errors(self, submission_errors(self.submission(data)))
        return data

    channel = Channel.PORTAL

    def submission(self, data: dict | None = None) -> Submission:
        d = self.cleaned_data if data is None else data
        return Submission(
            kind=d.get("kind") or "",
            category=d.get("category") or "",
            description=d.get("description") or "",
            channel=self.channel,
            anonymous=bool(d.get("anonymous")),
            name=d.get("name") or "",
            phone=d.get("phone") or "",
            address=d.get("address") or "",
            email=d.get("email") or "",
            harm_known_on=d.get("harm_known_on"),
            merchant_id=d.get("merchant") or None,
            target_name=d.get("target_name") or "",
            target_address=d.get("target_address") or "",
            region_code=d.get("region") or "",
            amount=d.get("amount"),
            use_odr=bool(d.get("use_odr")),
            consent=bool(d.get("consent")),
            attachments=d.get("attachments") or [],
        )


class StaffIntakeForm(SubmissionForm):
    """Hotline, window and mailbox intake by a clerk: same rules, the channel is chosen."""

    intake_channel = forms.ChoiceField(
        label=_("受理渠道"), choices=[(c.value, c.label) for c in STAFF_INTAKE_CHANNELS]
    )
    id_number = forms.CharField(label=_("身份证号（选填）"), max_length=18, required=False)
    merchant = forms.IntegerField(label=_("经营者编号（登记库 ID，选填）"), required=False)

    field_order = ["intake_channel", "kind"]

    def submission(self, data: dict | None = None) -> Submission:
        d = self.cleaned_data if data is None else data
        sub = super().submission(d)
        sub.channel = d.get("intake_channel") or ""
        sub.id_number = d.get("id_number") or ""
        return sub


FIELD_ALIASES = {"merchant": "merchant_query", "reason": "note", "channel": "intake_channel"}


def add_field_errors(form: forms.Form, errors: dict) -> None:
    """Put a service's field errors on the form's fields (a field already in error keeps its own);
    errors naming no field of the form go to the form."""
    for field, text in errors.items():
        name = field if field in form.fields else FIELD_ALIASES.get(field)
        if name not in form.fields:
            form.add_error(None, str(text))
        elif name not in form.errors:
            form.add_error(name, str(text))


def apply_domain_error(form: forms.Form, error) -> None:
    """Put a service's ValidationFailed back on the fields it names; the rest go to the form."""
    placed = False
    for field, detail in (error.details or {}).items():
        name = field if field in form.fields else FIELD_ALIASES.get(field)
        if name in form.fields:
            text = str(detail)
            form.add_error(name, text if not text.isascii() else error.message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class TrackingForm(forms.Form):
    tracking_code = forms.CharField(label=_("查询码"), max_length=40)
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(i, f"{i} ★") for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("评价意见（选填）"), max_length=300, required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 5}), max_length=3000)
    proposal = forms.CharField(
        label=_("和解方案（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("例如：退还货款200元并赔礼道歉。投诉人接受后即按调解成功办结。"),
    )


ACTION_CHOICES = [
    ("accept", _("受理")),
    ("reject", _("不予受理")),
    ("assign", _("分派承办单位")),
    ("mediate", _("开始调解")),
    ("close_mediated", _("调解成功办结")),
    ("terminate", _("终止调解")),
    ("transfer", _("转为违法线索（举报）")),
    ("confirm_violation", _("转出的投诉：经核实违法（在“说明”中写明依据）")),
    ("verify", _("举报：开始核查")),
    ("extend", _("举报：延长决定期限15个工作日")),
    ("open_case", _("举报：立案")),
    ("no_case", _("举报：不予立案")),
    ("link_merchant", _("关联登记库经营者")),
]


class HandlingForm(forms.Form):
    action = forms.ChoiceField(label=_("办理操作"), choices=ACTION_CHOICES)
    reject_reason = forms.ChoiceField(
        label=_("不予受理理由"), choices=[("", "—")] + RejectReason.choices, required=False
    )
    termination_reason = forms.ChoiceField(
        label=_("终止调解理由"), choices=[("", "—")] + TerminationReason.choices, required=False
    )
    region = forms.ChoiceField(label=_("承办区县"), required=False)
    merchant_id = forms.IntegerField(label=_("经营者编号"), required=False)
    agreement = forms.CharField(label=_("调解协议"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label=_("说明/延期理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    #: Which action each parameter belongs to (the page shows a field only for its action).
    FIELD_ACTIONS = {
        "reject_reason": "reject",
        "termination_reason": "terminate",
        "region": "assign",
        "merchant_id": "link_merchant",
        "agreement": "close_mediated",
    }

    def __init__(self, *args, region_choices=(), actions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—"), *region_choices]
        if actions is not None:
            self.fields["action"].choices = [c for c in ACTION_CHOICES if c[0] in actions]


class StatisticsMonthForm(forms.Form):
    """The month and format of the staff statistics export.

    ``month`` was split and fed to ``date()`` by hand: ``9999-12`` overflowed when the month's end was
    computed (a 500), ``abc`` and ``0000-00`` silently showed the form again. Years outside the portal's
    life (2000 to next year) are refused, so no date arithmetic can leave ``date``'s range."""

    month = forms.RegexField(
        label=_("月份"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        error_messages={"invalid": _("月份格式应为“年-月”，例如 2026-05。")},
    )
    format = forms.ChoiceField(label=_("格式"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")])

    def clean_month(self):
        year, mon = (int(part) for part in self.cleaned_data["month"].split("-"))
        if not (2000 <= year <= timezone.localdate().year + 1) or not 1 <= mon <= 12:
            raise forms.ValidationError(_("月份超出范围（2000 年 1 月至明年 12 月）。"))
        return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


class StationIntakeForm(SubmissionForm):
    """A consumer-rights station registers what a consumer brought in (channel ``station``, docs/PARTNERS.md)."""

    channel = Channel.STATION
    use_odr = forms.BooleanField(
        label=_("先由本服务站调解（仅限本市场摊位，10个工作日内未和解自动转市场监管部门）"), required=False
    )

    def __init__(self, *args, station=None, **kwargs):
        self.station = station
        super().__init__(*args, **kwargs)

    def submission(self, data: dict | None = None) -> Submission:
        sub = super().submission(data)
        sub.station_id = self.station.pk if self.station is not None else None
        return sub


class StationMediationForm(forms.Form):
    body = forms.CharField(label=_("调解意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000)
    proposal = forms.CharField(
        label=_("调解方案"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("投诉人接受后即按和解成功办结；拒绝或期满未和解的，转市场监管部门处理。"),
    )
