"""12315 / 12345 work orders: import of the platforms' exports, export of outcomes for re-entry.

Each platform exports its work orders with its own Chinese headers; ``PLATFORM_COLUMNS`` is the configured
mapping (header → field, documented in docs/PARTNERS.md). An import is previewed first: every row's
problems are listed (unknown columns, bad USCC, a date in the future, a ticket number twice in the file, a
merchant or district outside the importer's region, anything the intake rules refuse); nothing is imported
while any row has a problem. A ticket number already imported from the same platform is *skipped and
reported*, not an error (a platform re-exports open orders every day). The import files every row through
the complaints intake service in one transaction (channel = the platform, received time from the file).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.exports import table_content
from integrity_portal.core.scoping import visible_region_codes
from integrity_portal.core.table_import import Preview, RowResult, header_problems, row_values

from .models import Category, Channel, Complaint, ComplaintKind, SourcePlatform
from .services.intake import Submission, complaint_import_batch, submission_errors

#: Header in the platform's export → field of the import. The same header names are used for the
#: ticket number when outcomes are exported back (``OUTCOME_COLUMNS``).
PLATFORM_COLUMNS: dict[str, dict[str, str]] = {
    SourcePlatform.P12315: {
        "工单编号": "ticket",
        "工单类型": "kind",
        "诉求人": "name",
        "联系电话": "phone",
        "联系地址": "address",
        "被诉主体": "target_name",
        "统一社会信用代码": "uscc",
        "被诉主体地址": "target_address",
        "所属区划": "region_code",
        "问题类别": "category",
        "诉求内容": "description",
        "涉及金额": "amount",
        "消费日期": "harm_known_on",
        "受理时间": "received_at",
    },
    SourcePlatform.P12345: {
        "工单号": "ticket",
        "诉求类型": "kind",
        "来电人": "name",
        "来电号码": "phone",
        "来电人地址": "address",
        "被反映对象": "target_name",
        "统一社会信用代码": "uscc",
        "被反映对象地址": "target_address",
        "区划代码": "region_code",
        "问题分类": "category",
        "诉求内容": "description",
        "涉及金额": "amount",
        "事发日期": "harm_known_on",
        "来电时间": "received_at",
    },
}
#: Columns every file must have (by field).
REQUIRED_FIELDS = ("ticket", "kind", "description", "received_at")

#: The values of the kind column (both platforms): 投诉 / 举报.
KIND_VALUES = {"投诉": ComplaintKind.COMPLAINT, "举报": ComplaintKind.REPORT}
#: The values of the category column (the portal's Chinese labels); anything else is 其他.
CATEGORY_VALUES = {
    "价格": Category.PRICE,
    "缺斤短两": Category.SHORT_WEIGHT,
    "计量": Category.SHORT_WEIGHT,
    "虚假宣传": Category.FALSE_ADVERTISING,
    "商品质量": Category.QUALITY,
    "质量": Category.QUALITY,
    "食品安全": Category.FOOD_SAFETY,
    "服务": Category.SERVICE,
    "其他": Category.OTHER,
}

#: Outcome export per platform: header for ticket, outcome, closed date, reply text.
OUTCOME_COLUMNS: dict[str, tuple[str, str, str, str]] = {
    SourcePlatform.P12315: ("工单编号", "办理结果", "办结时间", "答复内容"),
    SourcePlatform.P12345: ("工单号", "办理结果", "办结时间", "回复内容"),
}

_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


def platform_or_error(platform: str) -> str:
    if platform not in PLATFORM_COLUMNS:
        raise ValidationFailed(_("请选择来源平台（12315 或 12345）。"), details={"platform": "unknown"})
    return platform


def parse_datetime(value: str) -> datetime | None:
    """A platform timestamp (``YYYY-MM-DD[ HH:MM[:SS]]``, ``/`` also accepted) as an aware datetime."""
    text = (value or "").strip().replace("T", " ")
    for fmt in _DATETIME_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return timezone.make_aware(naive)
    return None


def _row_submission(platform: str, values: dict[str, str], problems: list[str], regions: list[str] | None):
    from decimal import Decimal, InvalidOperation

    from merchants.models import Merchant
    from merchants.validators import uscc_problem

    kind = KIND_VALUES.get(values.get("kind", ""))
    if kind is None:
        problems.append(_("工单类型“%(v)s”无效，应为“投诉”或“举报”。") % {"v": values.get("kind", "")})
    received_at = parse_datetime(values.get("received_at", ""))
    if received_at is None:
        problems.append(_("受理时间“%(v)s”无法识别（应为 YYYY-MM-DD HH:MM）。") % {"v": values.get("received_at", "")})
    elif received_at > timezone.now():
        problems.append(_("受理时间 %(v)s 晚于现在。") % {"v": values["received_at"]})
    harm_known_on = received_at.date() if received_at else None
    if values.get("harm_known_on"):
        harm = parse_datetime(values["harm_known_on"])
        if harm is None:
            problems.append(_("日期“%(v)s”无法识别。") % {"v": values["harm_known_on"]})
        elif harm > timezone.now():
            problems.append(_("日期 %(v)s 晚于今天。") % {"v": values["harm_known_on"]})
        else:
            harm_known_on = timezone.localdate(harm)
    amount = None
    if values.get("amount"):
        try:
            amount = Decimal(values["amount"].replace(",", ""))
        except InvalidOperation:
            problems.append(_("涉及金额“%(v)s”不是数字。") % {"v": values["amount"]})
    merchant = None
    if values.get("uscc"):
        uscc, problem = uscc_problem(values["uscc"])
        if problem:
            problems.append(problem)
        else:
            merchant = Merchant.objects.filter(uscc=uscc).only("pk", "region_id").first()
    region_code = merchant.region_id if merchant else values.get("region_code", "")
    if regions is not None and region_code and region_code not in regions:
        problems.append(_("被投诉方（区划 %(r)s）不在您的辖区内。") % {"r": region_code})
    sub = Submission(
        kind=kind or ComplaintKind.COMPLAINT,
        category=CATEGORY_VALUES.get(values.get("category", ""), Category.OTHER),
        description=values.get("description", ""),
        channel=Channel.HOTLINE_12315 if platform == SourcePlatform.P12315 else Channel.HOTLINE_12345,
        name=values.get("name", ""),
        phone=values.get("phone", ""),
        address=values.get("address", ""),
        harm_known_on=harm_known_on,
        merchant_id=merchant.pk if merchant else None,
        target_name=values.get("target_name", ""),
        target_address=values.get("target_address", ""),
        region_code=region_code,
        amount=amount,
        consent=True,  # the platform collected the complainant's consent at its own intake
        language="zh-hans",
        source_platform=platform,
        platform_ticket=values.get("ticket", ""),
        received_at=received_at,
    )
    if kind is not None and received_at is not None:
        errors = submission_errors(sub)
        problems.extend(str(message) for message in errors.values())
    return sub


def preview_work_orders(*, variant: str, header: list[str], rows: list[list[str]], actor) -> Preview:
    """Every problem of every row of a ``variant`` (platform) file, and which rows are already imported
    (skipped); changes nothing. Each row's ``data`` is its intake Submission."""
    platform = platform_or_error(variant)
    mapping = PLATFORM_COLUMNS[platform]
    file_problems = header_problems(header, mapping, REQUIRED_FIELDS)
    regions = visible_region_codes(actor) if actor is not None else None  # None: a system job (seed_demo)
    ticket_column = next(h for h, f in mapping.items() if f == "ticket")
    tickets = [row[header.index(ticket_column)] for row in rows] if ticket_column in header else []
    already = set(
        Complaint.objects.filter(source_platform=platform, platform_ticket__in=[t for t in tickets if t]).values_list(
            "platform_ticket", flat=True
        )
    )
    seen: dict[str, int] = {}
    results = []
    for number, row in enumerate(rows, start=2):
        values = row_values(header, row, mapping)
        ticket = values.get("ticket", "")
        result = RowResult(line=number, key=ticket)
        results.append(result)
        if file_problems:
            continue
        if not ticket:
            result.problems.append(_("缺少工单编号。"))
        elif ticket in seen:
            result.problems.append(_("工单编号 %(t)s 与第 %(n)d 行重复。") % {"t": ticket, "n": seen[ticket]})
        else:
            seen[ticket] = number
        if ticket in already:
            result.skipped = True  # reported in the preview, never imported twice
        else:
            result.data = _row_submission(platform, values, result.problems, regions)
    return Preview(file_problems=file_problems, rows=results)


def import_work_orders(*, variant: str, header: list[str], rows: list[list[str]], actor) -> tuple[list, Preview]:
    """Import every new row, or none: re-checks the file (the register may have changed since the preview)
    and raises ValidationFailed while any row has a problem. Returns (created complaints, the preview)."""
    preview = preview_work_orders(variant=variant, header=header, rows=rows, actor=actor)
    if not preview.ok:
        raise preview.refusal()
    try:
        created = complaint_import_batch(submissions=[r.data for r in preview.importable], actor=actor)
    except IntegrityError:  # a ticket imported meanwhile by someone else: nothing of this file is kept
        raise ValidationFailed(_("部分工单已被他人同时导入，未导入任何工单；请重新预览。")) from None
    return created, preview


def outcome_rows(complaints) -> list[list]:
    """One row per work order: ticket number, outcome (status in Chinese), closed date, reply text."""
    rows = []
    with translation.override("zh-hans"):
        for c in complaints:
            closed = timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M:%S") if c.closed_at else ""
            reply = c.outcome_note or c.agreement or ""
            rows.append([c.platform_ticket, str(c.get_status_display()), closed, reply])
    return rows


def outcomes_export(*, platform: str, complaints, fmt: str) -> bytes:
    """The outcome file for re-entry into ``platform`` (CSV or XLSX, cells escaped by core.exports)."""
    platform = platform_or_error(platform)
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed(_("导出格式须为 CSV 或 XLSX。"))
    selected = [c for c in complaints if c.source_platform == platform and c.platform_ticket]
    return table_content(fmt, OUTCOME_COLUMNS[platform], outcome_rows(selected), title=f"{platform}")
