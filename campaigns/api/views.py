"""Open data (commendations, public, cursor-paginated) and the authenticated application endpoints."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from integrity_portal.core.api_conditional import ConditionalGetMixin
from integrity_portal.core.ratelimit import phone_ident
from integrity_portal.core.throttling import ScopedClientThrottle, request_field
from merchants.selectors import member_merchant_or_404

from .. import selectors, services
from ..filters import ApplicationFilter, CommendationFilter
from .serializers import (
    ApplicationCreateSerializer,
    ApplicationSerializer,
    CommendationSerializer,
    ObjectionCreateSerializer,
    ObjectionReceiptSerializer,
    ReviewSerializer,
)


class IdCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class CommendationViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    """Published commendation lists, one row per commended merchant (文明诚信市场、企业、商户)."""

    serializer_class = CommendationSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = IdCursorPagination
    filterset_class = CommendationFilter

    def get_queryset(self):
        return selectors.public_commendation_entries()


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Merchants see and submit their own applications; staff see their region's and record reviews."""

    serializer_class = ApplicationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = IdCursorPagination
    filterset_class = ApplicationFilter

    def get_queryset(self):
        return selectors.applications_for_user(self.request.user)

    @extend_schema(request=ApplicationCreateSerializer, responses=ApplicationSerializer)
    def create(self, request):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = member_merchant_or_404(request.user, data.validated_data["merchant_id"])
        campaign = selectors.campaign_announced(data.validated_data["campaign"])
        if campaign is None:
            raise Http404
        application = services.application_submit(
            campaign=campaign,
            merchant=merchant,
            actor=request.user,
            statement=data.validated_data["statement"],
            category=data.validated_data.get("category") or None,
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    def _review(self, request, pk, fn):
        application = self.get_object()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fn(application, data.validated_data)
        return Response(ApplicationSerializer(application).data)

    @extend_schema(request=ReviewSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="district-review")
    def district_review(self, request, pk=None):
        return self._review(
            request,
            pk,
            lambda app, d: services.application_review_district(
                application=app, decision=d["decision"], reason=d["reason"], actor=request.user
            ),
        )

    @extend_schema(request=ReviewSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="city-review")
    def city_review(self, request, pk=None):
        return self._review(
            request,
            pk,
            lambda app, d: services.application_review_city(
                application=app,
                decision=d["decision"],
                reason=d["reason"],
                actor=request.user,
                inspection_score=d.get("inspection_score"),
                survey_score=d.get("survey_score"),
            ),
        )


class ObjectionCreateView(APIView):
    """File an objection (异议) against a candidate during publicity. Anonymous, rate-limited; the
    response is only the receipt — the objector's name and phone are never returned or published."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedClientThrottle]
    throttle_scope = "objection"

    def throttle_idents(self, request) -> list[str]:
        """The same per-phone count as the HTML objection form."""
        return [phone_ident(request_field(request, "phone"))]

    @extend_schema(request=ObjectionCreateSerializer, responses={201: ObjectionReceiptSerializer})
    def post(self, request):
        data = ObjectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = services.objection_file(
            application=selectors.public_candidate(data.validated_data["application"]),
            name=data.validated_data["name"],
            phone=data.validated_data["phone"],
            content=data.validated_data["content"],
            actor=request.user,
        )
        return Response(ObjectionReceiptSerializer(objection).data, status=status.HTTP_201_CREATED)
