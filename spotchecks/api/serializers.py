"""The documented shapes of the public spot-check API (the views build plain dicts from ``selectors``).

Names follow docs/API.md v1.1: ``plan_id``, ``region_code``, ``merchant_id``, ``uscc``. No credit class of
any merchant, no inspector: only what ``/spot-checks/`` shows."""

from __future__ import annotations

from rest_framework import serializers

from merchants.models import INSPECTION_ITEMS, FindingLevel, InspectionOutcome

from ..models import PlanStatus, TaskStatus

ITEM_CHOICES = [(name, str(label)) for name, label in INSPECTION_ITEMS]


class DistrictSerializer(serializers.Serializer):
    region_code = serializers.CharField()
    region_name = serializers.CharField()


class SharesSerializer(serializers.Serializer):
    """Sampling share per credit class, in percent (the plan's shares are public; a merchant's class is not)."""

    A = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    B = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True, help_text="未评级主体按 B 类抽查")
    C = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    D = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)


class SpotCheckPlanSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField()
    title = serializers.CharField()
    year = serializers.IntegerField()
    period = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=PlanStatus.choices, help_text="草稿不公开：approved 起可见")
    status_label = serializers.CharField()
    region_code = serializers.CharField(help_text="制定单位辖区（GB/T 2260）")
    region_name = serializers.CharField()
    districts = DistrictSerializer(many=True, help_text="抽查区县；为空表示制定单位的全部辖区")
    # Codes of the merchants' own ``kind`` and ``industry`` (see /api/v1/merchants/); plain strings here, so
    # the schema keeps one enum per concept (MerchantKindEnum on the merchant).
    merchant_kinds = serializers.ListField(
        child=serializers.CharField(), help_text="主体类型代码（同市场主体的 kind）；为空表示全部类型"
    )
    industries = serializers.ListField(
        child=serializers.CharField(), help_text="行业代码（同市场主体的 industry）；为空表示全部行业"
    )
    items = serializers.ListField(child=serializers.ChoiceField(choices=ITEM_CHOICES))
    shares = SharesSerializer()
    min_count = serializers.IntegerField()
    max_count = serializers.IntegerField(allow_null=True)
    exclude_inspected_months = serializers.IntegerField()
    due_on = serializers.DateField()
    seed_commitment = serializers.CharField(help_text="SHA-256(种子)，批准时公布（64 位十六进制）")
    frozen_digest = serializers.CharField(help_text="冻结名单的 SHA-256")
    seed = serializers.CharField(allow_null=True, help_text="随机种子，抽取后公布；抽取前为 null")
    drawn_count = serializers.IntegerField(allow_null=True)
    done_count = serializers.IntegerField()
    closed_count = serializers.IntegerField()
    approved_at = serializers.DateTimeField(allow_null=True)
    drawn_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    page_url = serializers.URLField()
    draw_record_url = serializers.URLField(help_text="核验记录（JSON），用 draw.py 重算抽取")
    results_url = serializers.URLField(allow_null=True, help_text="公示后的检查结果；公示前为 null")


class ResultItemSerializer(serializers.Serializer):
    item = serializers.ChoiceField(choices=ITEM_CHOICES)
    label = serializers.CharField()
    finding = serializers.ChoiceField(choices=FindingLevel.choices, allow_null=True)


class SpotCheckResultSerializer(serializers.Serializer):
    merchant_id = serializers.IntegerField()
    merchant_name = serializers.CharField()
    uscc = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, help_text="done 已检查；merchant_closed 主体已停业／注销")
    status_label = serializers.CharField()
    inspected_on = serializers.DateField(allow_null=True)
    items = ResultItemSerializer(many=True)
    outcome = serializers.ChoiceField(choices=InspectionOutcome.choices, allow_null=True)
    outcome_label = serializers.CharField(allow_blank=True)
