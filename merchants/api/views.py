"""Anonymous, read-only open data on the register (throttled, cursor-paginated)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from integrity_portal.core.api import DefaultCursorPagination
from integrity_portal.core.api_conditional import ConditionalGetMixin
from integrity_portal.core.api_json import RenderedJSONRenderer, RenderedRow, RenderedRows, parsed
from integrity_portal.core.cache import reduce_query
from integrity_portal.core.public_cache import public_cache_key, public_cache_lookup, public_cache_set

from ..filters.register import MerchantApiFilter
from ..selectors.register import public_regions
from ..selectors.search import SearchQuery, serial_plan
from ..selectors.search_api import SearchKeys, open_data_keys, public_merchants_open_data_values
from .serializers import MerchantSerializer, RegionSerializer


class MerchantCursorPagination(DefaultCursorPagination):
    ordering = "-id"


API_PARAMS = (
    *MerchantApiFilter.base_filters,
    "cursor",
    MerchantCursorPagination.page_size_query_param,
    "format",
)
# Parameters that leave a request with ``search`` as its one filter (``MerchantViewSet.filter_queryset``).
_SEARCH_FIELD = MerchantApiFilter.base_filters["search"].field
SEARCH_ONLY_PARAMS = frozenset({"search", "cursor", MerchantCursorPagination.page_size_query_param, "format"})


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
    renderer_classes = [RenderedJSONRenderer, BrowsableAPIRenderer]

    def get_queryset(self):
        """A list filters and pages the register's keys, and the page's evaluation reads the page's rows as
        dicts in the same query (``selectors.search_api``): whatever the filters, the joins cost one page of
        rows, never every match. One entity is read as the same dict."""
        if self.action == "list":
            return open_data_keys()
        return public_merchants_open_data_values()

    def filter_queryset(self, queryset):
        """A search with no other filter skips the filterset (built per request, its deep copies and form
        cost more than the search's SQL): the value is cleaned by the ``CharFilter``'s own form field —
        stripped, at most ``SEARCH_MAX_LENGTH`` characters, no NUL — and anything else goes through the
        filterset, which answers 400 as before. The pagination then gets ``SearchKeys``: its page is one
        statement (``selectors.search_api.SearchRows``), and no ORM query is built unless something else asks."""
        params = self.request.query_params
        value = params.get("search")
        if self.action != "list" or value is None or not SEARCH_ONLY_PARAMS.issuperset(params):
            return super().filter_queryset(queryset)
        try:
            value = _SEARCH_FIELD.clean(value)  # the filter's own field: one set of rules for both paths
        except ValidationError:
            return super().filter_queryset(queryset)
        query = SearchQuery(value)
        return SearchKeys(queryset, query) if query else queryset

    def paginate_queryset(self, queryset):
        # The search queries run without parallel workers (``serial_plan``); the pagination's slice is
        # evaluated here, and reads the page's rows (dicts with ``id``, which the cursor links read).
        with serial_plan(queryset.db):
            return super().paginate_queryset(queryset)

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
        # A search's answers are a key space without end: stored from the second request within the TTL,
        # and a first request is not looked up (``public_cache_lookup``), as the directory's searches; nor is
        # its Last-Modified recorded (``ConditionalGetMixin``): almost every search is asked once.
        admit_after = 2 if "search" in request.query_params else 1
        version, hit, admitted = public_cache_lookup(key, admit_after=admit_after)
        request.record_last_modified = admitted
        if hit is not None:
            return HttpResponse(hit, content_type="application/json") if as_json else Response(hit)
        response = action(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        if not as_json:
            if admitted:
                public_cache_set(key, version, parsed(response.data))
            return response
        body = request.accepted_renderer.render(
            response.data, request.accepted_media_type, self.get_renderer_context()
        )
        if admitted:
            public_cache_set(key, version, body)
        return HttpResponse(body, content_type="application/json")

    def list(self, request, *args, **kwargs):
        return self._cached(request, self._list)

    def _list(self, request):
        """``ListModelMixin.list``; a page the database rendered (``RenderedRow`` s, PostgreSQL) skips the
        serializer: its rows are already the serializer's JSON."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        if page and isinstance(page[0], RenderedRow):
            return self.get_paginated_response(RenderedRows(page))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

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
