"""``/api/v1/``: the entry point of the API, listing its endpoints and where the schema and docs are.

Built from the URL configuration by drf-spectacular's endpoint enumerator (the same walk that builds the
schema), so a new endpoint is listed without editing this module; computed once per process.
"""

from __future__ import annotations

from functools import lru_cache

from drf_spectacular.generators import EndpointEnumerator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .api_conditional import ConditionalGetMixin

API_V1_PREFIX = "/api/v1/"


def _anonymous(view_class, method: str) -> bool:
    """Whether the endpoint answers this method without signing in (by its permission classes)."""
    classes = getattr(view_class, "permission_classes", ())
    if any(c is permissions.AllowAny for c in classes):
        return True
    return method in permissions.SAFE_METHODS and any(c is permissions.IsAuthenticatedOrReadOnly for c in classes)


@lru_cache(maxsize=1)
def api_v1_endpoints() -> tuple[dict, ...]:
    by_path: dict[str, dict] = {}
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith(API_V1_PREFIX) or path == API_V1_PREFIX:
            continue
        entry = by_path.setdefault(path, {"path": path, "methods": [], "anonymous": False})
        entry["methods"].append(method)
        view_class = getattr(callback, "cls", None)
        entry["anonymous"] = entry["anonymous"] or _anonymous(view_class, method)
    return tuple(by_path[path] for path in sorted(by_path))


class ApiEndpointSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="路径模板，{…} 为路径参数")
    methods = serializers.ListField(child=serializers.CharField())
    anonymous = serializers.BooleanField(help_text="无需登录即可调用（公开数据）")


class ApiRootView(ConditionalGetMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="接口目录",
        description="本版本的全部接口，以及 OpenAPI 文档、Swagger UI 与 Redoc 的地址。",
        tags=["meta"],
        responses=inline_serializer(
            "ApiRoot",
            {
                "version": serializers.CharField(),
                "schema": serializers.URLField(),
                "docs": serializers.URLField(),
                "redoc": serializers.URLField(),
                "endpoints": ApiEndpointSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        return Response(
            {
                "version": "v1",
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
                "redoc": reverse("api-redoc", request=request),
                "endpoints": list(api_v1_endpoints()),
            }
        )
