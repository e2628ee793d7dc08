"""Open-data red/black lists and the merchant's own rating and appeals (authenticated portal API).

The list endpoints expose public columns only (no legal representative, no personal
data); the portal endpoints never include the internal credit-risk class.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from integrity_portal.core.api import DefaultCursorPagination, api_field_names
from integrity_portal.core.api_conditional import ConditionalGetMixin
from integrity_portal.core.errors import ValidationFailed

from ..filters.lists import BlackListApiFilter, RedListApiFilter
from ..models import (
    BLACK_KINDS,
    INSPECTION_ITEMS,
    RED_KINDS,
    FindingLevel,
    Inspection,
    InspectionOutcome,
    ListEntry,
    ListName,
    MerchantStatus,
    Rating,
    RatingAppeal,
)
from ..selectors.credit import (
    inspections_for_staff,
    list_entries_public,
    list_filter_errors,
    merchant_has_black_entry_in_force,
    merchant_rating_history,
    rating_breakdown,
)
from ..selectors.portal import member_appeals, member_current_rating
from ..selectors.ratings import rating_explanation
from ..selectors.register import member_merchant_or_404, merchants_for_staff
from ..services.credit import inspection_record
from ..services.recourse import appeal_file, raise_rating_suggestions


class ListEntrySerializer(serializers.ModelSerializer):
    merchant_id = serializers.IntegerField(read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    uscc = serializers.CharField(source="merchant.uscc", read_only=True, allow_null=True)
    licence_number = serializers.CharField(source="merchant.licence_number", read_only=True, allow_null=True)
    region_code = serializers.CharField(source="merchant.region_id", read_only=True)
    region_name = serializers.CharField(source="merchant.region.name", read_only=True)
    list = serializers.ChoiceField(choices=ListName.choices, source="list_name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "merchant_id",
            "merchant_name",
            "uscc",
            "licence_number",
            "region_code",
            "region_name",
            "list",
            "kind",
            "kind_label",
            "reason",
            "legal_basis",
            "decision_number",
            "decided_by",
            "valid_from",
            "valid_until",
        ]
        read_only_fields = fields


class EntryCursorPagination(DefaultCursorPagination):
    ordering = "-id"


class _ListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = ListEntrySerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = EntryCursorPagination
    # The parameters are documented (as enums) by the list's FilterSet; get_queryset checks and applies them.
    filter_backends = [DjangoFilterBackend]
    list_name = ""
    kinds: tuple = ()

    def get_queryset(self):
        region = self.request.query_params.get("region_code") or None
        kind = self.request.query_params.get("kind") or None
        errors = list_filter_errors(region=region, kind=kind, kinds=self.kinds)
        if errors:
            with api_field_names():  # the selector names the page's parameter "region"
                raise ValidationFailed(next(iter(errors.values())), details=errors)
        return list_entries_public(
            list_name=self.list_name, as_of=timezone.localdate(), region_code=region, kind=kind
        ).order_by("-id")


@extend_schema(summary="红名单（在列）", tags=["open-data"])
class RedListApi(_ListView):
    filterset_class = RedListApiFilter
    list_name = ListName.RED
    kinds = tuple(RED_KINDS)


@extend_schema(summary="黑名单（在列）", tags=["open-data"])
class BlackListApi(_ListView):
    filterset_class = BlackListApiFilter
    list_name = ListName.BLACK
    kinds = tuple(BLACK_KINDS)


class RatingSerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True, allow_null=True)
    rated_at = serializers.DateTimeField(source="computed_at", read_only=True, help_text="评定作出的时间")

    class Meta:
        model = Rating
        fields = [
            "id",
            "stars",
            "trading",
            "service",
            "credit",
            "total",
            "black_listed",
            "rated_at",
            "policy_version",
        ]
        read_only_fields = fields


class BreakdownFactSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)


class BreakdownSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["trading", "service", "credit"])
    label = serializers.CharField()
    demerits = serializers.IntegerField()
    max = serializers.IntegerField()
    percent = serializers.IntegerField()
    facts = BreakdownFactSerializer(many=True)


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()
    stars = serializers.IntegerField()
    gain = serializers.IntegerField()


class MyRatingSerializer(serializers.Serializer):
    """The documented shape of ``MyRatingApi`` (the view builds the dict; this only describes it)."""

    merchant_id = serializers.IntegerField()
    rating_state = serializers.ChoiceField(choices=["rated", "not_rated", "deregistered"])
    explanation = serializers.ListField(child=serializers.CharField())
    under_appeal = serializers.BooleanField()
    new_rating_pending = serializers.BooleanField(help_text="有影响评级的新情况，系统将很快重新评定")
    rated_at = serializers.DateTimeField(allow_null=True, help_text="当前评定作出的时间；尚未评定时为 null")
    current = RatingSerializer(allow_null=True)
    breakdown = BreakdownSerializer(many=True)
    suggestions = SuggestionSerializer(many=True)
    history = RatingSerializer(many=True)


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatingAppeal
        fields = [
            "id",
            "rating",
            "grounds",
            "status",
            "filed_at",
            "decide_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = [
            "id",
            "rating",
            "status",
            "filed_at",
            "decide_by",
            "decided_at",
            "decision_reason",
        ]


class MyRatingApi(APIView):
    """The member's merchant: current rating, breakdown, what would raise it, recent history."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="本单位的星级评定（含评分构成与提升建议）", tags=["portal"], responses=MyRatingSerializer
    )
    def get(self, request, merchant_id: int):
        merchant = member_merchant_or_404(request.user, merchant_id)
        rating = member_current_rating(viewer=request.user, merchant=merchant)
        deregistered = merchant.status == MerchantStatus.DEREGISTERED
        explanation = rating_explanation(
            rating,
            deregistered=deregistered,
            black_listed=merchant_has_black_entry_in_force(merchant=merchant, as_of=timezone.localdate()),
        )
        return Response(
            {
                "merchant_id": merchant.pk,
                # Same states as the open-data API (rated / not_rated / deregistered) and the same plain
                # words as the portal page (selectors.ratings.rating_explanation).
                "rating_state": "deregistered"
                if deregistered
                else ("not_rated" if rating is None or rating.stars is None else "rated"),
                "explanation": explanation["lines"],
                "under_appeal": merchant.rating_under_appeal,
                "new_rating_pending": merchant.rating_stale,
                "rated_at": RatingSerializer().fields["rated_at"].to_representation(rating.computed_at)
                if rating
                else None,
                "current": RatingSerializer(rating).data if rating else None,
                "breakdown": rating_breakdown(rating),
                "suggestions": [
                    {k: s[k] for k in ("label", "stars", "gain")}
                    for s in raise_rating_suggestions(merchant=merchant)
                ],
                "history": RatingSerializer(merchant_rating_history(merchant=merchant), many=True).data,
            }
        )


class MyAppealsApi(generics.ListCreateAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AppealSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no request user, no merchant
            return member_appeals(viewer=None, merchant=None)
        merchant = member_merchant_or_404(self.request.user, self.kwargs["merchant_id"])
        return member_appeals(viewer=self.request.user, merchant=merchant).order_by("-id")

    @extend_schema(summary="对本单位的评定提出申诉（评定后 21 日内）", tags=["portal"])
    def post(self, request, *args, **kwargs):
        merchant = member_merchant_or_404(request.user, self.kwargs["merchant_id"])
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeal = appeal_file(
            merchant=merchant, grounds=serializer.validated_data["grounds"], actor=request.user
        )
        return Response(AppealSerializer(appeal).data, status=201)


# --- staff: inspections -------------------------------------------------------------------


class CanRecordInspections(permissions.BasePermission):
    """Bureau staff whose role may record inspections (district branches, the city, inspectors)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_staff and user.has_perm("merchants.add_inspection")
        )


class InspectionInSerializer(serializers.Serializer):
    merchant_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    inspected_on = serializers.DateField()
    # User ids; whether they are on the roster of the merchant's region is the service's check
    # (``inspection_check_inspectors``), answered as a 400 naming the field.
    inspector_1 = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    inspector_2 = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    price_marking = serializers.ChoiceField(FindingLevel.choices, default=FindingLevel.PASS)
    metrology = serializers.ChoiceField(FindingLevel.choices, default=FindingLevel.PASS)
    advertising = serializers.ChoiceField(FindingLevel.choices, default=FindingLevel.PASS)
    food_safety = serializers.ChoiceField(FindingLevel.choices, default=FindingLevel.PASS)
    premises = serializers.ChoiceField(FindingLevel.choices, default=FindingLevel.PASS)
    outcome = serializers.ChoiceField(InspectionOutcome.choices)
    plan = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    published = serializers.BooleanField(default=True)


class InspectionOutSerializer(serializers.ModelSerializer):
    merchant_id = serializers.IntegerField(read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "merchant_id",
            "merchant_name",
            "inspected_on",
            "inspector_1",
            "inspector_2",
            "inspector_names",
            "plan",
            *(name for name, _label in INSPECTION_ITEMS),
            "outcome",
            "notes",
            "published",
            "created_at",
        ]
        read_only_fields = fields


class StaffInspectionsApi(generics.ListCreateAPIView):
    """Inspections of the caller's region; a new one is recorded only through ``inspection_record``."""

    permission_classes = [CanRecordInspections]
    pagination_class = EntryCursorPagination

    def get_serializer_class(self):
        return InspectionInSerializer if self.request.method == "POST" else InspectionOutSerializer

    def get_queryset(self):
        return inspections_for_staff(self.request.user).order_by("-id")

    @extend_schema(
        summary="录入现场检查记录（检查人员须为本辖区名册内的两名不同检查员，日期不得晚于今天）",
        tags=["staff"],
        request=InspectionInSerializer,
        responses={201: InspectionOutSerializer},
    )
    def post(self, request, *args, **kwargs):
        ser = InspectionInSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        merchant = merchants_for_staff(request.user).filter(pk=d.pop("merchant_id")).first()
        if merchant is None:
            raise NotFound(_("您的辖区内没有该市场主体。"))
        findings = {name: d.pop(name) for name, _label in INSPECTION_ITEMS}
        inspection = inspection_record(merchant=merchant, findings=findings, actor=request.user, **d)
        return Response(InspectionOutSerializer(inspection).data, status=201)
