"""API shapes. Which personal data each audience sees is decided here by field lists, never by a flag."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrity_portal.core.phones import mask_phone

from .. import selectors, services
from ..forms import ACTION_CHOICES, KIND_CHOICES
from ..models import (
    Category,
    Channel,
    Complaint,
    ComplaintKind,
    MerchantReply,
    ProposalStatus,
    RejectReason,
    Status,
    TerminationReason,
)
from ..services.common import mask_name


class SubmissionSerializer(serializers.Serializer):
    # Enums in the schema (named per concept in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]); the service
    # still checks the combination (e.g. a report without a target).
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(max_length=5000)
    anonymous = serializers.BooleanField(default=False)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # No default in the schema: "" is no e-mail address (``format: email`` with ``default: ''`` is an invalid
    # OpenAPI document); an absent field is read as "" below.
    email = serializers.EmailField(required=False, allow_blank=True)
    harm_known_on = serializers.DateField(required=False, allow_null=True, default=None)
    merchant_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    target_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    target_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    region_code = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    use_odr = serializers.BooleanField(default=False)
    consent = serializers.BooleanField(default=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def submission(self, channel: str = Channel.PORTAL) -> services.Submission:
        d = self.validated_data
        return services.Submission(
            kind=d["kind"],
            category=d["category"],
            description=d["description"],
            channel=channel,
            anonymous=d["anonymous"],
            name=d["name"],
            phone=d["phone"],
            address=d["address"],
            email=d.get("email", ""),
            harm_known_on=d["harm_known_on"],
            merchant_id=d["merchant_id"],
            target_name=d["target_name"],
            target_address=d["target_address"],
            region_code=d["region_code"],
            amount=d["amount"],
            use_odr=d["use_odr"],
            consent=d["consent"],
            attachments=d["attachments"],
        )


class SubmittedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplaintKind.choices)
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    due_on = serializers.DateField()


class TrackingRequestSerializer(serializers.Serializer):
    tracking_code = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20)


class ProposalDecisionSerializer(TrackingRequestSerializer):
    reply_id = serializers.IntegerField()
    accept = serializers.BooleanField()


class RatingSerializer(TrackingRequestSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReplyOutSerializer(serializers.ModelSerializer):
    proposal_status = serializers.ChoiceField(choices=ProposalStatus.choices, read_only=True)

    class Meta:
        model = MerchantReply
        fields = ["id", "body", "proposal", "proposal_status", "created_at", "decided_at"]


class TimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    to_status = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()


class _ChoiceStrings(serializers.ModelSerializer):
    """The merchant and region under the API's names (``merchant_id``, ``region_code``; docs/API.md)."""

    merchant_id = serializers.IntegerField(read_only=True, allow_null=True)
    region_code = serializers.CharField(source="region_id", read_only=True, allow_null=True)


class TrackedSerializer(_ChoiceStrings):
    """What the complainant sees after proving code + phone: status, deadline, timeline, replies."""

    status_label = serializers.CharField(source="get_status_display")
    target = serializers.CharField(source="target_display")
    days_left = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "kind",
            "status",
            "status_label",
            "category",
            "target",
            "received_at",
            "due_on",
            "days_left",
            "reject_reason",
            "termination_reason",
            "agreement",
            "satisfaction",
            "timeline",
            "replies",
        ]

    def get_days_left(self, obj) -> int | None:
        return selectors.days_left(obj)

    def get_timeline(self, obj) -> list[dict]:
        return TimelineSerializer(selectors.complaint_timeline(obj), many=True).data

    def get_replies(self, obj) -> list[dict]:
        return ReplyOutSerializer(obj.replies.all(), many=True).data if obj.kind == "complaint" else []


class StaffListSerializer(_ChoiceStrings):
    complainant_phone = serializers.SerializerMethodField()
    target = serializers.CharField(source="target_display")

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tracking_code",
            "kind",
            "status",
            "channel",
            "category",
            "region_code",
            "merchant_id",
            "target",
            "anonymous",
            "complainant_name",
            "complainant_phone",
            "received_at",
            "due_on",
            "deadline_provisional",
            "closed_at",
        ]

    def get_complainant_phone(self, obj) -> str:
        return mask_phone(obj.complainant_phone)


class StaffDetailSerializer(_ChoiceStrings):
    replies = ReplyOutSerializer(many=True, read_only=True)
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        exclude = ["created_by", "merchant", "region"]

    def get_days_left(self, obj) -> int | None:
        return selectors.days_left(obj)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTION_CHOICES)
    reject_reason = serializers.ChoiceField(choices=RejectReason.choices, required=False)
    termination_reason = serializers.ChoiceField(choices=TerminationReason.choices, required=False)
    region_code = serializers.CharField(required=False, allow_blank=True)
    merchant_id = serializers.IntegerField(required=False)
    agreement = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MerchantComplaintSerializer(_ChoiceStrings):
    """No phone, address, ID or e-mail of the complainant; the name only masked."""

    complainant = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
    replies = ReplyOutSerializer(many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "merchant_id",
            "status",
            "status_label",
            "category",
            "description",
            "amount",
            "received_at",
            "merchant_reply_due_on",
            "merchant_replied_at",
            "agreement",
            "complainant",
            "replies",
        ]

    def get_complainant(self, obj) -> str:
        return mask_name(obj.complainant_name)


class ReplyInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=3000)
    proposal = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OdrSerializer(serializers.Serializer):
    enrolled = serializers.BooleanField(help_text=_("加入（true）或退出（false）在线纠纷解决"))
