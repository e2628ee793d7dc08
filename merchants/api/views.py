"""Anonymous, read-only open data on the register (throttled, cursor-paginated)."""

from __future__ import annotations

from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from integrity_portal.core.api import DefaultCursorPagination
from integrity_portal.core.api_conditional import ConditionalGetMixin
from integrity_portal.core.cache import reduce_query
from integrity_portal.core.public_cache import public_cache_get, public_cache_key, public_cache_set

from ..filters.register import MerchantApiFilter
from ..selectors.register import (
    public_merchant_keys,
    public_merchants_open_data,
    public_merchants_open_data_rows,
    public_regions,
)
from ..selectors.search import serial_plan
from .serializers import MerchantSerializer, RegionSerializer


class MerchantCursorPagination(DefaultCursorPagination):
    ordering = "-id"


API_PARAMS = (*MerchantApiFilter.base_filters, "cursor", MerchantCursorPagination.page_size_query_param, "format")


@extend_schema_view(
    list=extend_schema(
        summary="市场主体列表",
        description="公开登记信息与诚信星级。`region_code` 含下辖区县；`updated_since` 只返回此后有变化的记录"
        "（增量同步）；筛选值无效时返回 400。答复带 `ETag` 与 `Last-Modified`，条件请求未变化时返回 304。",
        tags=["open-data"],
    ),
    retrieve=extend_schema(summary="市场主体详情", tags=["open-data"]),
)
class MerchantViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MerchantSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = MerchantApiFilter
    pagination_class = MerchantCursorPagination
    lookup_url_kwarg = "merchant_id"

    def _keys_first(self) -> bool:
        """A search can match thousands of entities: filter and page their keys, then read the page's rows
        (one more query). Without one, the id order walks the primary key and joins one page's rows only."""
        request = getattr(self, "request", None)
        return self.action == "list" and request is not None and bool(request.query_params.get("search"))

    def get_queryset(self):
        if self._keys_first():
            return public_merchant_keys().order_by("-id")
        return public_merchants_open_data().order_by("-id")

    def paginate_queryset(self, queryset):
        if not self._keys_first():
            return super().paginate_queryset(queryset)
        with serial_plan(queryset.db):
            page = super().paginate_queryset(queryset)
        if page is None:
            return page
        # The cursor pagination keeps its own (key-only) rows for the next/previous links.
        return public_merchants_open_data_rows(row["id"] for row in page)

    def _cached(self, request, action, *args, **kwargs):
        """Answers are cached under the public pages version; throttling and 400s still run on every call.

        JSON (the open-data format) is stored rendered, so a hit costs one cache read; other formats (the
        browsable API) store the data and render it per request."""
        as_json = getattr(request.accepted_renderer, "format", None) == "json"
        # Keyed on the parameters the answer depends on only (as the HTML pages): the view reads the same
        # reduced query, so ``?r=<random>`` neither misses the cache nor adds an entry.
        reduce_query(request._request, API_PARAMS)
        key = public_cache_key(
            "api:merchants", request.get_host(), request.path, request.query_params.urlencode(), str(as_json)
        )
        version, hit = public_cache_get(key)
        if hit is not None:
            return HttpResponse(hit, content_type="application/json") if as_json else Response(hit)
        response = action(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        if not as_json:
            public_cache_set(key, version, response.data)
            return response
        body = request.accepted_renderer.render(
            response.data, request.accepted_media_type, self.get_renderer_context()
        )
        public_cache_set(key, version, body)
        return HttpResponse(body, content_type="application/json")

    def list(self, request, *args, **kwargs):
        return self._cached(request, super().list, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._cached(request, super().retrieve, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="行政区划列表", description="GB/T 2260 区划（城市及其区县）。", tags=["open-data"]
    ),
    retrieve=extend_schema(summary="行政区划详情", tags=["open-data"]),
)
class RegionViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    pagination_class = None
    lookup_field = "code"
    lookup_url_kwarg = "region_code"
    lookup_value_regex = "[0-9]{6}"

    def get_queryset(self):
        return public_regions()
