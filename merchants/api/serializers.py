"""Open-data serializers: public register facts and stars only, never the staff-only credit class."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Merchant, Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent_id", read_only=True, allow_null=True, help_text="上级区划代码"
    )

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class MerchantSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True, help_text="GB/T 2260 区划代码")
    region_name = serializers.CharField(source="region.full_name", read_only=True, help_text="所属辖区名称")
    parent_market = serializers.IntegerField(
        source="parent_market_id", read_only=True, allow_null=True, help_text="所在市场的主体编号"
    )
    parent_market_name = serializers.CharField(
        source="parent_market.name", read_only=True, allow_null=True, default=None, help_text="所在市场名称"
    )
    stars = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="诚信星级 0–5；null 表示尚未评级"
    )

    rating_under_appeal = serializers.BooleanField(
        read_only=True, help_text="评定正在申诉处理中（公开页面显示“申诉处理中”）"
    )

    class Meta:
        model = Merchant
        fields = [
            "id",
            "name",
            "kind",
            "industry",
            "uscc",
            "licence_number",
            "legal_representative",
            "address",
            "region",
            "region_name",
            "parent_market",
            "parent_market_name",
            "is_large_venue",
            "is_time_honored",
            "status",
            "registered_on",
            "stars",
            "rating_under_appeal",
        ]
        read_only_fields = fields
