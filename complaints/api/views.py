"""API endpoints: anonymous submission and tracking (throttled), staff handling, merchant replies.

No anonymous endpoint lists complaints; the only public aggregate is the statistics endpoint.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from integrity_portal.core.api import api_field_names
from integrity_portal.core.api_conditional import ConditionalGetMixin
from integrity_portal.core.api_input import ObjectJSONParser
from integrity_portal.core.ratelimit import phone_ident
from integrity_portal.core.throttling import ScopedClientThrottle, request_field

from .. import selectors, services
from . import serializers as s
from .filters import StaffComplaintFilter


def _valid(serializer_class, request):
    """The request body bound to ``serializer_class`` and validated (a 400 otherwise)."""
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser


def _tracked(serializer_class, request):
    """The validated body and the complaint it proves access to (tracking code + phone)."""
    d = _valid(serializer_class, request).validated_data
    return d, selectors.complaint_for_tracking(tracking_code=d["tracking_code"], phone=d["phone"])


def _tracked_response(complaint) -> Response:
    complaint.refresh_from_db()
    return Response(s.TrackedSerializer(complaint).data)


class IsStaff(permissions.BasePermission):
    """Complaint handlers only: staff whose role grants complaint access (not, e.g., the civility office)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("complaints.view_complaint"))


class SubmitView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedClientThrottle]
    throttle_scope = "complaint_submit"
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]

    def throttle_idents(self, request) -> list[str]:
        """The same per-phone count as the HTML form, so one number cannot be flooded from many addresses."""
        return [phone_ident(request_field(request, "phone"))]

    @extend_schema(
        request=s.SubmissionSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="选填，客户端生成的随机串。同一密钥且内容完全相同的重复提交只登记一次，"
                "返回首次的结果（200）；内容不同则另行登记。",
            )
        ],
        responses={201: s.SubmittedSerializer(many=True), 200: s.SubmittedSerializer(many=True)},
    )
    def post(self, request):
        ser = _valid(s.SubmissionSerializer, request)
        key = request.headers.get("Idempotency-Key", "")
        try:
            with api_field_names():
                created = services.complaint_submit(
                    submission=ser.submission(), actor=request.user, idempotency_key=key
                )
        except services.AlreadySubmitted as exc:
            # Same key and the same content: the first answer again (it carried only these codes), nothing filed.
            response = Response(s.SubmittedSerializer(exc.complaints, many=True).data, status=status.HTTP_200_OK)
            response["Idempotent-Replayed"] = "true"
            return response
        return Response(s.SubmittedSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


# Anonymous endpoints that prove access to one complaint by tracking code + phone. No docstring:
# the schema would show it as the description of every subclass without one of its own.
class TrackingView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedClientThrottle]
    throttle_scope = "tracking"


class TrackView(TrackingView):
    @extend_schema(request=s.TrackingRequestSerializer, responses={200: s.TrackedSerializer})
    def post(self, request):
        ser = _valid(s.TrackingRequestSerializer, request)
        complaint = selectors.complaint_for_tracking(**ser.validated_data)
        return Response(s.TrackedSerializer(complaint).data)


class TrackDecideView(TrackingView):
    """The complainant accepts or rejects the merchant's proposal, proving code + phone again."""

    @extend_schema(request=s.ProposalDecisionSerializer, responses={200: s.TrackedSerializer})
    def post(self, request):
        d, complaint = _tracked(s.ProposalDecisionSerializer, request)
        services.complaint_decide_proposal(
            complaint=complaint, reply_id=d["reply_id"], accept=d["accept"], actor=request.user
        )
        return _tracked_response(complaint)


class TrackRateView(TrackingView):
    @extend_schema(request=s.RatingSerializer, responses={200: s.TrackedSerializer})
    def post(self, request):
        d, complaint = _tracked(s.RatingSerializer, request)
        services.complaint_rate(
            complaint=complaint, score=d["score"], comment=d["comment"], actor=request.user
        )
        return _tracked_response(complaint)


class StatisticsView(ConditionalGetMixin, APIView):
    """Aggregate counts only (by kind, category, channel, outcome, district)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: dict})
    def get(self, request):
        today = timezone.localdate()
        stats = selectors.statistics(start=today - timedelta(days=365), end=today)
        totals = {
            k: (float(v) if v is not None and k == "satisfaction_avg" else v)
            for k, v in stats["totals"].items()
        }
        return Response({**stats, "totals": totals})


class StaffComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStaff]
    filterset_class = StaffComplaintFilter
    ordering = "-id"

    def get_queryset(self):
        return selectors.complaints_for_staff(self.request.user).order_by("-id")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.StaffDetailSerializer
        if self.action == "transition":
            return s.TransitionSerializer
        return s.StaffListSerializer

    @extend_schema(request=s.TransitionSerializer, responses={200: s.StaffDetailSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        complaint = self.get_object()
        if not request.user.has_perm("complaints.change_complaint"):
            raise Http404
        ser = _valid(s.TransitionSerializer, request)
        params = {k: v for k, v in ser.validated_data.items() if v not in (None, "")}
        if "region_code" in params:  # the API's name for the service's region
            params["region"] = params.pop("region_code")
        with api_field_names():
            services.complaint_apply_action(complaint=complaint, actor=request.user, **params)
        complaint.refresh_from_db()
        return Response(s.StaffDetailSerializer(complaint).data)


class MerchantComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.MerchantComplaintSerializer

    def get_queryset(self):
        return (
            selectors.complaints_for_merchant_user(self.request.user)
            .prefetch_related("replies")
            .order_by("-id")
        )

    @extend_schema(request=s.ReplyInSerializer, responses={201: s.ReplyOutSerializer})
    @action(detail=True, methods=["post"], serializer_class=s.ReplyInSerializer)
    def reply(self, request, pk=None):
        complaint = self.get_object()
        ser = _valid(s.ReplyInSerializer, request)
        reply = services.complaint_merchant_reply(
            complaint=complaint, actor=request.user, **ser.validated_data
        )
        return Response(s.ReplyOutSerializer(reply).data, status=status.HTTP_201_CREATED)


class OdrView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.OdrSerializer, responses={200: s.OdrSerializer})
    def post(self, request, merchant_id: int):
        from merchants.selectors import member_merchant_or_404

        merchant = member_merchant_or_404(request.user, merchant_id)
        ser = _valid(s.OdrSerializer, request)
        services.merchant_odr_enroll(
            merchant=merchant, actor=request.user, enrolled=ser.validated_data["enrolled"]
        )
        return Response({"enrolled": merchant.odr_enrolled})
