"""API shapes. Public serializers carry no personal data (objectors never appear anywhere in the API)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Application, Category, CommendationEntry, Objection, ReviewDecision


class CommendationSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="commendation_list.campaign.year")
    category = serializers.CharField(source="commendation_list.category")
    category_label = serializers.CharField(source="commendation_list.get_category_display")
    notice_number = serializers.CharField(source="commendation_list.notice_number")
    published_at = serializers.DateTimeField(source="commendation_list.published_at")
    merchant_id = serializers.IntegerField()
    merchant_name = serializers.CharField(source="merchant.name")
    uscc = serializers.CharField(source="merchant.uscc", allow_null=True)
    licence_number = serializers.CharField(source="merchant.licence_number", allow_null=True)
    region_code = serializers.CharField(source="merchant.region_id")
    region_name = serializers.CharField(source="merchant.region.name")

    class Meta:
        model = CommendationEntry
        fields = [
            "id",
            "year",
            "category",
            "category_label",
            "rank",
            "merchant_id",
            "merchant_name",
            "uscc",
            "licence_number",
            "region_code",
            "region_name",
            "total_score",
            "notice_number",
            "published_at",
            "red_list_until",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    campaign_title = serializers.CharField(source="campaign.title", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    merchant_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "campaign",
            "campaign_title",
            "merchant_id",
            "merchant_name",
            "category",
            "status",
            "status_label",
            "statement",
            "eligibility",
            "submitted_at",
            "inspection_score",
            "survey_score",
            "total_score",
            "rank",
            "rejection_reason",
        ]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    merchant_id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)
    statement = serializers.CharField(max_length=4000)


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    reason = serializers.CharField()
    inspection_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    survey_score = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)


class ObjectionCreateSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    content = serializers.CharField(max_length=2000)


class ObjectionReceiptSerializer(serializers.ModelSerializer):
    """What the objector gets back: the reference number and status only."""

    class Meta:
        model = Objection
        fields = ["reference", "status", "created_at"]
