"""Open-data serializers: public register facts and stars only, never the staff-only credit class."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from ..models import Merchant, MerchantStatus, Region, RegionLevel

# The representations of the declared date fields, for the fast path of ``MerchantSerializer`` (the time
# zone and format are read at each call, as the fields do).
_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent_id", read_only=True, allow_null=True, help_text="上级区划代码"
    )

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class MerchantSerializer(serializers.ModelSerializer):
    """One naming scheme across the API (docs/API.md "v1.1"): ``merchant_id``, ``uscc``, ``licence_number``,
    ``region_code``, ``rated_at``.

    The declared fields are the schema (drf-spectacular reads them) and the representation of a model
    instance. The API's lists on PostgreSQL get their rows already written as this serializer's JSON by the
    database (``selectors.open_data_json``); its detail, and every read elsewhere, pass rows of
    ``selectors.search_api.OPEN_DATA_COLUMNS`` (dicts), which ``row_representation`` turns into the same fields
    directly: through the fields, a page of 50 rows cost more CPU than the rest of an uncached search request
    (docs/SEARCH.md "The API's search path"). tests/merchants/test_api_fast_rows.py holds all three to the
    same output, byte for byte."""

    merchant_id = serializers.IntegerField(source="pk", read_only=True, help_text="市场主体编号")
    region_code = serializers.CharField(source="region_id", read_only=True, help_text="GB/T 2260 区划代码")
    region_name = serializers.CharField(source="region.full_name", read_only=True, help_text="所属辖区名称")
    parent_market_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="所在市场的主体编号"
    )
    parent_market_name = serializers.CharField(
        source="parent_market.name", read_only=True, allow_null=True, default=None, help_text="所在市场名称"
    )
    stars = serializers.SerializerMethodField(
        help_text="当前诚信星级 0–5；null 表示没有当前星级：尚未评级或已注销（见 rating_state）"
    )
    rating_state = serializers.SerializerMethodField(
        help_text="rated：已评级（含 0 星）；not_rated：尚未评级；deregistered：已注销，不再有当前星级"
    )
    black_listed = serializers.BooleanField(
        source="on_black_list",
        read_only=True,
        default=False,
        help_text="今日有黑名单记录在列（列入期间星级为 0）",
    )

    rated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="当前星级评定作出（或上次变化）的时间；尚未评定时为 null",
    )
    new_rating_pending = serializers.BooleanField(
        read_only=True,
        help_text="有影响评级的新情况（检查、处罚、投诉办结、申诉结果等），系统将很快重新评定",
    )
    rating_under_appeal = serializers.BooleanField(
        read_only=True, help_text="评定正在申诉处理中（公开页面显示“申诉处理中”）"
    )
    updated_at = serializers.SerializerMethodField(
        help_text="登记信息或星级评定最近一次变化的时间（与 updated_since 筛选一致）"
    )

    class Meta:
        model = Merchant
        fields = [
            "merchant_id",
            "name",
            "kind",
            "industry",
            "uscc",
            "licence_number",
            "legal_representative",
            "address",
            "region_code",
            "region_name",
            "parent_market_id",
            "parent_market_name",
            "is_large_venue",
            "is_time_honored",
            "status",
            "registered_on",
            "stars",
            "rating_state",
            "black_listed",
            "rated_at",
            "new_rating_pending",
            "rating_under_appeal",
            "updated_at",
        ]
        read_only_fields = fields

    # A deregistered business keeps its last rating in the history, but has no current stars anywhere
    # (profile, directory, plaque, this API): the same rule as templates/merchants/_stars.html.
    # The annotations of selectors.register.public_merchants_open_data; the recompute writes a rating row,
    # not the merchant's updated_at, hence the later of the two.
    def to_representation(self, instance):
        if isinstance(instance, dict):
            return self.row_representation(instance)
        return super().to_representation(instance)

    @staticmethod
    def row_representation(row: dict) -> dict:
        """The fields of one open-data row, in ``Meta.fields`` order, as the declared fields give them (a
        ``None`` stays ``None``; ``str``/``int``/``bool`` conversions as CharField, IntegerField and
        BooleanField make them; choices are their stored values)."""
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        deregistered = row["status"] == MerchantStatus.DEREGISTERED
        stars = row["stars"]
        rated_at, updated_at = row["rated_at"], row["updated_at"]
        region_name = row["region__name"]
        if row["region__parent"] and row["region__level"] == RegionLevel.DISTRICT:
            region_name = f"{row['region__parent__name']}{region_name}"
        market = row["parent_market_id"]
        return {
            "merchant_id": row["id"],
            "name": _text(row["name"]),
            "kind": row["kind"],
            "industry": row["industry"],
            "uscc": _text(row["uscc"]),
            "licence_number": _text(row["licence_number"]),
            "legal_representative": _text(row["legal_representative"]),
            "address": _text(row["address"]),
            "region_code": _text(row["region_id"]),
            "region_name": _text(region_name),
            "parent_market_id": None if market is None else int(market),
            "parent_market_name": _text(row["parent_market__name"]),
            "is_large_venue": bool(row["is_large_venue"]),
            "is_time_honored": bool(row["is_time_honored"]),
            "status": row["status"],
            "registered_on": _DATE.to_representation(row["registered_on"]),
            "stars": None if deregistered else stars,
            "rating_state": "deregistered" if deregistered else ("not_rated" if stars is None else "rated"),
            "black_listed": bool(row["on_black_list"]),
            "rated_at": _datetime(rated_at, tz),
            "new_rating_pending": bool(row["new_rating_pending"]),
            "rating_under_appeal": bool(row["rating_under_appeal"]),
            "updated_at": _datetime(max(updated_at, rated_at or updated_at), tz),
        }

    def get_updated_at(self, obj) -> datetime:
        rated_at = getattr(obj, "rated_at", None)
        return serializers.DateTimeField().to_representation(max(obj.updated_at, rated_at or obj.updated_at))

    def get_stars(self, obj) -> int | None:
        return None if obj.status == MerchantStatus.DEREGISTERED else obj.stars

    @extend_schema_field(serializers.ChoiceField(choices=["rated", "not_rated", "deregistered"]))
    def get_rating_state(self, obj) -> str:
        if obj.status == MerchantStatus.DEREGISTERED:
            return "deregistered"
        return "not_rated" if obj.stars is None else "rated"


def _text(value) -> str | None:
    return None if value is None else str(value)


def _datetime(value, tz) -> str | None:
    """``DateTimeField.to_representation`` for an aware value in ISO 8601 (the API's format), with the time zone
    looked up once per row instead of per field; anything else goes through the field itself."""
    if not value:
        return None
    if tz is None or api_settings.DATETIME_FORMAT != ISO_8601 or timezone.is_naive(value):
        return _DATETIME.to_representation(value)
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
