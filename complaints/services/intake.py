"""Intake (portal, hotline, window, mailbox), attachments, tracking and the complainant's own actions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integrity_portal.core import workdays
from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import DomainError, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.phones import is_valid_phone, normalize_phone
from integrity_portal.core.uploads import DOCUMENT_TYPES, check_upload

from ..audit_actions import RATE_BY_KIND, SEND_CODE_BY_KIND, SUBMIT_BY_KIND
from ..models import (
    CLOSED_STATUSES,
    TRACKING_ALPHABET,
    Attachment,
    Category,
    Channel,
    Complaint,
    ComplaintKind,
    ConsumerRightsStation,
    Status,
)
from .common import (
    ACCEPTANCE_DAYS,
    DECISION_DAYS,
    ODR_DAYS,
    deadlines,
    locked,
    notify_later,
    now,
    today,
)

MAX_ATTACHMENTS = 5
MIN_DESCRIPTION = 10
BOTH = "both"

#: What a complaint may carry: photos and documents (core.uploads checks the bytes, caps and renames).
ATTACHMENT_TYPES = DOCUMENT_TYPES


@dataclass
class Submission:
    """What a complainant or an intake clerk filled in; ``kind`` may be ``"both"`` to split it."""

    kind: str
    category: str
    description: str
    channel: str = Channel.PORTAL
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    address: str = ""
    id_number: str = ""
    email: str = ""
    harm_known_on: date | None = None
    merchant_id: int | None = None
    target_name: str = ""
    target_address: str = ""
    region_code: str = ""
    amount: Decimal | None = None
    use_odr: bool = False
    #: The consumer-rights station taking the complaint (channel ``station``; services.stations sets it).
    station_id: int | None = None
    consent: bool = False
    attachments: list = field(default_factory=list)
    #: The complainant's language for notices; empty means the active language of an online
    #: submission (the form the complainant used), else the portal's default.
    language: str = ""
    # A work order imported from a national platform (complaints/work_orders.py): the platform, its
    # ticket number and the time the platform received it (deadlines count from that day).
    source_platform: str = ""
    platform_ticket: str = ""
    received_at: datetime | None = None


def submission_errors(sub: Submission) -> dict[str, str]:
    """Every rule a submission breaks, by field, all at once (the form shows them in one pass)."""
    return _check(sub)[0]


def _validate(sub: Submission):
    errors, merchant, region = _check(sub)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), details=errors)
    checked = [
        check_upload(upload, allowed=ATTACHMENT_TYPES, field="attachments") for upload in sub.attachments
    ]
    return merchant, region, checked


def _check(sub: Submission):
    from merchants.models import Merchant, Region, RegionLevel

    errors: dict[str, str] = {}
    kinds = {ComplaintKind.COMPLAINT, ComplaintKind.REPORT, BOTH}
    if sub.kind not in kinds:
        errors["kind"] = _("请选择投诉或举报。")
    if sub.category not in Category.values:
        errors["category"] = _("请选择问题类别。")
    if sub.channel not in Channel.values:
        errors["channel"] = _("请选择受理渠道。")
    wants_complaint = sub.kind in (ComplaintKind.COMPLAINT, BOTH)
    sub.phone = normalize_phone(sub.phone)
    sub.name, sub.address = sub.name.strip(), sub.address.strip()
    if wants_complaint:
        if sub.anonymous:
            errors["anonymous"] = _("投诉须实名，不受理匿名投诉；匿名反映违法线索请选择“举报”。")
        if not sub.name:
            errors["name"] = _("投诉须填写姓名。")
        if not sub.address:
            errors["address"] = _("投诉须填写联系地址。")
        if not sub.phone:
            errors["phone"] = _("投诉须填写手机号码。")
        if sub.harm_known_on is None:
            errors["harm_known_on"] = _("请填写知道权益受损的日期。")
    if sub.phone and not is_valid_phone(sub.phone):
        errors["phone"] = _("请输入有效的手机号码（11位）或固定电话。")
    if not sub.anonymous and not wants_complaint and not sub.phone:
        errors["phone"] = _("实名举报须填写手机号码，以便告知处理结果；也可选择匿名举报。")
    if sub.harm_known_on is not None:
        if sub.harm_known_on > today():
            errors["harm_known_on"] = _("日期不能晚于今天。")
        elif wants_complaint and sub.harm_known_on < workdays.add_years(today(), -3):
            errors["harm_known_on"] = _("自知道权益受损之日起已超过三年，依法不予受理投诉。")
    if len((sub.description or "").strip()) < MIN_DESCRIPTION:
        errors["description"] = _("请至少用 %(n)d 个字描述问题。") % {"n": MIN_DESCRIPTION}
    if sub.amount is not None and sub.amount < 0:
        errors["amount"] = _("金额不能为负数。")
    if not sub.anonymous and not sub.consent:
        errors["consent"] = _("请同意市场监管部门为办理本件处理您的个人信息。")
    merchant = None
    if sub.merchant_id:
        merchant = Merchant.objects.select_related("region").filter(pk=sub.merchant_id).first()
        if merchant is None:
            errors["merchant"] = _("未找到该经营者，请重新搜索或直接填写名称和地址。")
    elif not (sub.target_name.strip() and sub.target_address.strip()):
        errors["target_name"] = _("找不到经营者时，请填写被投诉方的名称和地址。")
    region = None
    if merchant is not None:
        region = merchant.region
    elif sub.region_code:
        region = Region.objects.filter(code=sub.region_code, level=RegionLevel.DISTRICT).first()
    if region is None and "merchant" not in errors:
        errors["region"] = _("请选择被投诉方所在的区县。")
    station = _intake_station(sub, errors)
    # A station settles at source: a complaint it takes about one of its stalls may go to settlement first
    # even when the stall has not joined ODR (docs/PARTNERS.md).
    station_settles = station is not None and station.covers(merchant)
    if sub.use_odr and (
        merchant is None or not (merchant.odr_enrolled or station_settles) or sub.kind == ComplaintKind.REPORT
    ):
        errors["use_odr"] = _("该经营者未加入在线纠纷解决（ODR），不能选择先行和解。")
    if len(sub.attachments) > MAX_ATTACHMENTS:
        errors["attachments"] = _("最多上传 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS}
    return errors, merchant, region


def _intake_station(sub: Submission, errors: dict):
    """The active station of a ``station`` intake; the channel and the station go together."""
    if sub.station_id is None:
        if sub.channel == Channel.STATION:
            errors["channel"] = _("经消费维权服务站受理的投诉须由服务站登记。")
        return None
    station = ConsumerRightsStation.objects.filter(pk=sub.station_id, active=True).first()
    if station is None or sub.channel != Channel.STATION:
        errors["channel"] = _("该消费维权服务站不存在或已停用。")
        return None
    return station


def _notice_language(sub: Submission) -> str:
    """The language the complainant used: stated, or the active one of an online form; never an unknown code."""
    language = sub.language or (translation.get_language() if sub.channel == Channel.PORTAL else "") or ""
    return language if language in dict(settings.LANGUAGES) else ""


class AlreadySubmitted(DomainError):
    """The same submission (same one-time form token or Idempotency-Key, same content) was filed before.

    ``complaints`` are the rows it created: the caller shows what the first answer showed to whoever holds
    that token and that content (a double click, a retried request), and files nothing new."""

    status_code = 409
    code = "already_submitted"

    def __init__(self, complaints: list[Complaint]):
        super().__init__(_("该投诉举报已提交，请勿重复提交。"))
        self.complaints = complaints


def _submission_keys(sub: Submission, token: str, kinds: list[str]) -> dict[str, str]:
    """One stored key per row to create: a hash of the caller's token, the content and the kind.

    The content is part of the key, so a replay finds the first rows only when it repeats the whole
    submission (phone, name, text…): guessing or reusing another caller's token reveals nothing, and a
    token reused with different content simply files that content once. Only hashes are stored."""
    token = (token or "").strip()
    if not token:
        return {}
    files = [(getattr(f, "name", ""), getattr(f, "size", 0)) for f in sub.attachments]
    content = repr(
        (
            sub.kind, sub.category, sub.description.strip(), sub.channel, sub.anonymous, sub.name.strip(),
            normalize_phone(sub.phone), sub.address.strip(), sub.id_number.strip(), sub.email.strip(),
            str(sub.harm_known_on), sub.merchant_id, sub.target_name.strip(), sub.target_address.strip(),
            sub.region_code, str(sub.amount), sub.use_odr, files,
        )
    )
    return {
        kind: hashlib.sha256("\x1f".join((token, content, kind)).encode()).hexdigest() for kind in kinds
    }


def _already_filed(keys: dict[str, str]) -> list[Complaint]:
    if not keys:
        return []
    return list(Complaint.objects.filter(submission_key__in=keys.values()).order_by("id"))


def _build(sub: Submission, kind: str, *, merchant, region, actor: User | None, submission_key: str | None = None) -> Complaint:
    received_at = sub.received_at or now()
    day = timezone.localdate(received_at) if sub.received_at else today()
    reporter_anonymous = kind == ComplaintKind.REPORT and sub.anonymous
    complaint = Complaint(
        kind=kind,
        channel=sub.channel,
        anonymous=reporter_anonymous,
        complainant_name="" if reporter_anonymous else sub.name,
        complainant_phone="" if reporter_anonymous else sub.phone,
        complainant_address="" if reporter_anonymous else sub.address,
        complainant_id_number="" if reporter_anonymous else sub.id_number.strip(),
        complainant_email="" if reporter_anonymous else sub.email.strip(),
        consent_personal_data=bool(sub.consent) and not reporter_anonymous,
        harm_known_on=sub.harm_known_on,
        merchant=merchant,
        station_id=sub.station_id,
        target_name="" if merchant else sub.target_name.strip(),
        target_address="" if merchant else sub.target_address.strip(),
        region=region,
        category=sub.category,
        description=sub.description.strip(),
        amount=sub.amount if kind == ComplaintKind.COMPLAINT else None,
        received_at=received_at,
        created_by=acting_user(actor),
        language=_notice_language(sub),
        submission_key=submission_key,
        source_platform=sub.source_platform,
        platform_ticket=sub.platform_ticket.strip(),
    )
    if kind == ComplaintKind.COMPLAINT and sub.use_odr:
        complaint.status = Status.ODR
        counted = deadlines(
            complaint, odr_due_on=(day, ODR_DAYS), due_on=(day, ODR_DAYS), merchant_reply_due_on=(day, ODR_DAYS)
        )
    elif kind == ComplaintKind.COMPLAINT:
        complaint.status = Status.RECEIVED
        counted = deadlines(complaint, due_on=(day, ACCEPTANCE_DAYS))
    else:
        complaint.status = Status.RECEIVED
        counted = deadlines(complaint, due_on=(day, DECISION_DAYS))
    for name, value in counted.items():
        setattr(complaint, name, value)
    complaint.save()
    return complaint


def complaint_submit(*, submission: Submission, actor: User | None = None, idempotency_key: str = "") -> list[Complaint]:
    """File a complaint, a report, or both (split into one of each). Returns what was created.

    With ``idempotency_key`` (the public form's one-time token, the API's Idempotency-Key header) the same
    submission is filed once: a repeat raises AlreadySubmitted with the first rows, also when two requests
    race (the unique ``submission_key`` decides, the loser finds the winner's rows)."""
    kinds = [ComplaintKind.COMPLAINT, ComplaintKind.REPORT] if submission.kind == BOTH else [submission.kind]
    keys = _submission_keys(submission, idempotency_key, kinds)
    if existing := _already_filed(keys):
        raise AlreadySubmitted(existing)
    merchant, region, checked = _validate(submission)
    try:
        created = _create(submission, kinds, keys, merchant=merchant, region=region, checked=checked, actor=actor)
    except IntegrityError:
        if existing := _already_filed(keys):
            raise AlreadySubmitted(existing) from None
        raise
    return created


def complaint_import_batch(*, submissions: list[Submission], actor: User | None) -> list[Complaint]:
    """File a checked batch of platform work orders at once: all rows or none (one transaction).

    Each row goes through the same checks and the same ``_build``/audit as any intake; the first row that
    fails raises ValidationFailed and nothing of the batch is kept. The caller (the work-order import)
    has already shown every row's problems in its preview."""
    created: list[Complaint] = []
    with transaction.atomic(durable=True):
        for sub in submissions:
            if sub.kind == BOTH or not sub.platform_ticket.strip() or not sub.source_platform:
                raise ValidationFailed(_("导入的工单须有平台和工单编号。"))
            merchant, region, checked = _validate(sub)
            created += _file(sub, [sub.kind], {}, merchant=merchant, region=region, checked=checked, actor=actor)
    return created


def _create(submission, kinds, keys, *, merchant, region, checked, actor: User | None) -> list[Complaint]:
    # Outermost (durable): the rows are committed when this returns, so the tracking code shown and the
    # notice queued name a complaint that exists, and a racing duplicate (waiting on the unique
    # submission key) is answered at once; a caller's transaction would hold both until it ends.
    with transaction.atomic(durable=True):
        return _file(submission, kinds, keys, merchant=merchant, region=region, checked=checked, actor=actor)


def _file(submission, kinds, keys, *, merchant, region, checked, actor: User | None) -> list[Complaint]:
    created = [
        _build(submission, kind, merchant=merchant, region=region, actor=actor, submission_key=keys.get(kind))
        for kind in kinds
    ]
    if len(created) == 2:
        created[0].related, created[1].related = created[1], created[0]
        for c in created:
            c.save(update_fields=["related"])
    for complaint in created:
        for upload, found in zip(submission.attachments, checked, strict=True):
            upload.seek(0)
            Attachment.objects.create(
                complaint=complaint,
                file=upload,  # named upload<detected ext> by check_upload: stored under that extension
                original_name=found.original_name,
                content_type=found.content_type,
                size=found.size,
            )
        audit_log(
            actor=actor,
            action=SUBMIT_BY_KIND[complaint.kind],
            target=complaint,
            to_status=complaint.status,
            data={
                "channel": complaint.channel,
                "split": len(created) == 2,
                **({"station": complaint.station_id} if complaint.station_id else {}),
                **(
                    {"source_platform": complaint.source_platform, "platform_ticket": complaint.platform_ticket}
                    if complaint.platform_ticket
                    else {}
                ),
            },
        )
        # The complainant is told the tracking code at once; a complaint sent straight to the
        # merchant for direct settlement (ODR) tells its members, with their answer deadline.
        notify_later(complaint.pk, "received")
        if complaint.status == Status.ODR and complaint.merchant_id:
            from ..notices import notify_merchant_assigned

            notify_merchant_assigned(complaint=complaint, days=ODR_DAYS, actor=actor)
    return created


def normalize_tracking_code(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch in TRACKING_ALPHABET)


def complaint_rate_refusal(complaint: Complaint) -> TransitionNotAllowed | None:
    """Why the complainant may not rate ``complaint`` now (None: they may). One rule for the service and
    for the pages that decide whether to offer the rating form (``complaint_can_rate``)."""
    if complaint.status not in CLOSED_STATUSES:
        return TransitionNotAllowed(_("办结后才能评价。"))
    if complaint.satisfaction is not None:
        return TransitionNotAllowed(_("您已评价过，不能重复评价。"))
    return None


def complaint_can_rate(complaint: Complaint) -> bool:
    """Whether the complainant may rate now: closed and not rated yet (the rating is given once)."""
    return complaint_rate_refusal(complaint) is None


def complaint_rate(*, complaint: Complaint, score: int, comment: str = "", actor: User | None = None) -> Complaint:
    """The complainant rates the handling once, after it is closed."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(_("评分须为 1 到 5 星。"), details={"score": "range"})
    with transaction.atomic():
        c = locked(complaint)
        refusal = complaint_rate_refusal(c)
        if refusal is not None:
            raise refusal
        c.satisfaction, c.satisfaction_comment, c.rated_at = score, comment.strip()[:300], now()
        c.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
        audit_log(actor=actor, action=RATE_BY_KIND[c.kind], target=c, data={"score": score})
        from .common import mark_rating_stale

        mark_rating_stale(c, "complaint rated")
    return c


def complaint_send_tracking_code(*, complaint: Complaint, actor: User | None = None) -> None:
    """Re-send the tracking code to the complainant's own phone/e-mail (never to anyone else)."""
    if complaint.anonymous or not complaint.complainant_phone:
        raise ValidationFailed(_("匿名举报没有联系方式，无法发送查询码。"))
    entry = audit_log(actor=actor, action=SEND_CODE_BY_KIND[complaint.kind], target=complaint)
    notify_later(complaint.pk, "tracking_code", key=f"tracking_code:{entry.pk}")  # each request is sent
