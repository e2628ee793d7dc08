"""Portal forms for credit: input shape only; every rule lives in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.uploads import MultipleFileField

from ..models import CommitmentKind
from ..services.repair import EVIDENCE_TYPES


class CommitmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("承诺类型"), choices=CommitmentKind.choices)
    agree = forms.BooleanField(label=_("本单位已阅读并自愿作出上述承诺"), required=True)


class RepairForm(forms.Form):
    target = forms.ChoiceField(label=_("申请修复的记录"))
    application = forms.CharField(label=_("修复申请书（整改情况）"), widget=forms.Textarea(attrs={"rows": 5}))
    pledge_text = forms.CharField(label=_("信用修复承诺书"), widget=forms.Textarea(attrs={"rows": 4}))
    pledge_signed = forms.BooleanField(label=_("本单位确认签署上述信用修复承诺"), required=True)
    evidence = MultipleFileField(
        label=_("证明材料（PDF/JPG/PNG，可多选）"), allowed=EVIDENCE_TYPES, check_as="evidence"
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 6}), max_length=3000)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("回应内容（审核后公开，标注为商户自述）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=500,
    )


class ReinspectionForm(forms.Form):
    improvements = forms.CharField(
        label=_("已完成的整改"), widget=forms.Textarea(attrs={"rows": 5}), max_length=3000
    )
