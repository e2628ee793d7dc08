"""Anonymous, read-only open data on the register (throttled, cursor-paginated)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from integrity_portal.core.api import DefaultCursorPagination

from ..filters.register import MerchantApiFilter
from ..selectors.register import public_merchants, public_regions
from .serializers import MerchantSerializer, RegionSerializer


class MerchantCursorPagination(DefaultCursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(
        summary="市场主体列表",
        description="公开登记信息与诚信星级。`region` 含下辖区县；筛选值无效时返回 400。",
        tags=["open-data"],
    ),
    retrieve=extend_schema(summary="市场主体详情", tags=["open-data"]),
)
class MerchantViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MerchantSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = MerchantApiFilter
    pagination_class = MerchantCursorPagination

    def get_queryset(self):
        return public_merchants().order_by("-id")


@extend_schema_view(
    list=extend_schema(
        summary="行政区划列表", description="GB/T 2260 区划（城市及其区县）。", tags=["open-data"]
    ),
    retrieve=extend_schema(summary="行政区划详情", tags=["open-data"]),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = "[0-9]{6}"

    def get_queryset(self):
        return public_regions()
