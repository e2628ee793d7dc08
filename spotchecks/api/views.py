"""``/api/v1/spot-checks/``: the public plans (from approval on: commitment; after the draw: the seed) and the
results of published plans. Anonymous, read-only, throttled, with ETag/Last-Modified like the other open data."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from integrity_portal.core.api import DefaultCursorPagination
from integrity_portal.core.api_conditional import ConditionalGetMixin

from ..models import PlanStatus
from ..selectors import public_plan, public_plan_results, public_plan_summary, public_plans
from .serializers import SpotCheckPlanSerializer, SpotCheckResultSerializer


def plan_data(request, plan) -> dict:
    """The API's shape of one public plan, from ``public_plan_summary`` (and the plan's codes)."""
    summary = public_plan_summary(plan)
    published = plan.status == PlanStatus.PUBLISHED
    return {
        **summary,
        "plan_id": plan.pk,
        "region_name": summary["region"],
        "districts": [{"region_code": r.code, "region_name": r.full_name} for r in plan.districts.all()],
        "merchant_kinds": list(plan.merchant_kinds or []),
        "industries": list(plan.industries or []),
        "items": list(plan.items or []),
        "seed": summary["seed"] or None,
        "page_url": request.build_absolute_uri(reverse("spotchecks:plan_detail", args=[plan.pk])),
        "draw_record_url": request.build_absolute_uri(reverse("spotchecks:draw_record", args=[plan.pk])),
        "results_url": request.build_absolute_uri(reverse("api-spot-check-results", args=[plan.pk]))
        if published
        else None,
    }


def _plan_or_404(plan_id):
    plan = public_plan(plan_id)
    if plan is None:
        raise NotFound(_("抽查计划不存在或尚未批准公布。"))
    return plan


class _PublicRead(ConditionalGetMixin):
    """Anonymous read of public data, with ETag/Last-Modified; no filter parameters."""

    permission_classes = [permissions.AllowAny]
    filter_backends: list = []


class PlanCursorPagination(DefaultCursorPagination):
    ordering = "-id"


@extend_schema(
    summary="双随机抽查计划列表",
    description="批准后的抽查计划（草稿不公开），新的在前：抽查范围、各信用风险分类的抽查比例、种子承诺值；"
    "抽取后另有随机种子和抽取户数，公示后有 `results_url`。不含任何主体的信用风险分类。"
    "答复带 `ETag` 与 `Last-Modified`，条件请求未变化时返回 304。",
    tags=["open-data"],
)
class SpotCheckPlanListApi(_PublicRead, generics.ListAPIView):
    serializer_class = SpotCheckPlanSerializer
    pagination_class = PlanCursorPagination

    def get_queryset(self):
        return public_plans().order_by("-id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = self.get_serializer([plan_data(request, p) for p in page], many=True).data
        return self.get_paginated_response(data)


@extend_schema(summary="双随机抽查计划详情", tags=["open-data"])
class SpotCheckPlanDetailApi(_PublicRead, generics.RetrieveAPIView):
    serializer_class = SpotCheckPlanSerializer

    def get_queryset(self):  # for the schema; the object comes from the public selector
        return public_plans()

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(plan_data(request, _plan_or_404(kwargs["plan_id"]))).data)


class ResultPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema(
    summary="双随机抽查结果",
    description="已公示计划的检查结果，每个被抽中的主体一条（按名称排序）：名称、统一社会信用代码、检查日期、"
    "各检查事项结果和检查结论；已停业／注销的主体如实列出。计划尚未公示时返回 404。",
    tags=["open-data"],
)
class SpotCheckResultsApi(_PublicRead, generics.ListAPIView):
    serializer_class = SpotCheckResultSerializer
    pagination_class = ResultPagination

    def get_queryset(self):
        plan = _plan_or_404(self.kwargs["plan_id"])
        if plan.status != PlanStatus.PUBLISHED:
            raise NotFound(_("该抽查计划的检查结果尚未公示。"))
        rows = public_plan_results(plan)
        for row in rows:
            row["uscc"] = row["uscc"] or None
            row["outcome"] = row["outcome"] or None
            for item in row["items"]:
                item["finding"] = item["finding"] or None
        return rows
