"""Import of black-list entries decided elsewhere (经营异常名录, 严重违法失信名单 exported from the national
enterprise credit information publicity system, or another department's list), matched by USCC.

Upload → preview (every row's problems: unknown columns, bad USCC, a merchant not in the register or outside
the importer's region, a date in the future, the same decision twice in the file) → confirm: all rows or none,
in one transaction, each through ``list_entry_add_black`` (audited, ratings marked stale) with its
``source`` and ``source_reference``. A decision already entered for that merchant is skipped and reported.
Column mapping: ``LIST_COLUMNS`` (docs/PARTNERS.md).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.scoping import visible_region_codes
from integrity_portal.core.table_import import Preview, RowResult, header_problems, row_values

from .models import ListEntry, ListEntryKind, ListEntrySource, ListName, Merchant
from .services.credit import list_entry_add_black
from .validators import normalize_uscc, uscc_problem

#: Header of the exported list → field.
LIST_COLUMNS = {
    "统一社会信用代码": "uscc",
    "企业名称": "name",
    "名单类别": "kind",
    "列入原因": "reason",
    "列入依据": "legal_basis",
    "决定书文号": "decision_number",
    "作出决定机关": "decided_by",
    "列入日期": "valid_from",
}
REQUIRED_FIELDS = ("uscc", "kind", "reason", "legal_basis", "decision_number", "decided_by", "valid_from")
#: Values of 名单类别.
KIND_VALUES = {
    "经营异常名录": ListEntryKind.ABNORMAL_OPERATION,
    "严重违法失信名单": ListEntryKind.SERIOUS_DISHONESTY,
    "失信被执行人": ListEntryKind.JUDGMENT_DEFAULTER,
}
SOURCES = [ListEntrySource.GSXT, ListEntrySource.OTHER]


def _parse_date(value: str) -> date | None:
    text = (value or "").strip().replace("/", "-").split(" ")[0]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _check_row(values: dict, problems: list[str], regions: list[str] | None):
    for field in REQUIRED_FIELDS:
        if not values.get(field):
            header = next(h for h, f in LIST_COLUMNS.items() if f == field)
            problems.append(_("“%(col)s”不能为空。") % {"col": header})
    kind = KIND_VALUES.get(values.get("kind", ""))
    if values.get("kind") and kind is None:
        problems.append(_("名单类别“%(v)s”无效。") % {"v": values["kind"]})
    valid_from = _parse_date(values.get("valid_from", ""))
    if values.get("valid_from") and valid_from is None:
        problems.append(_("列入日期“%(v)s”无法识别（应为 YYYY-MM-DD）。") % {"v": values["valid_from"]})
    elif valid_from and valid_from > timezone.localdate():
        problems.append(_("列入日期 %(v)s 晚于今天。") % {"v": values["valid_from"]})
    merchant = None
    if values.get("uscc"):
        uscc, problem = uscc_problem(values["uscc"])
        if problem:
            problems.append(problem)
        else:
            merchant = Merchant.objects.filter(uscc=uscc).first()
            if merchant is None:
                problems.append(_("统一社会信用代码 %(c)s 不在本系统的市场主体名录中。") % {"c": uscc})
            elif regions is not None and merchant.region_id not in regions:
                problems.append(_("市场主体 %(c)s 不在您的辖区内。") % {"c": uscc})
    return {"merchant": merchant, "kind": kind, "valid_from": valid_from}


def preview_list_import(*, variant: str, header: list[str], rows: list[list[str]], actor) -> Preview:
    """Every row's problems, and which decisions are already entered (skipped); changes nothing."""
    if variant not in SOURCES:
        raise ValidationFailed(_("请选择名单来源。"))
    file_problems = header_problems(header, LIST_COLUMNS, REQUIRED_FIELDS)
    regions = visible_region_codes(actor)
    seen: dict[tuple[str, str], int] = {}
    results = []
    for number, row in enumerate(rows, start=2):
        values = row_values(header, row, LIST_COLUMNS)
        uscc, decision = normalize_uscc(values.get("uscc", "")), values.get("decision_number", "")
        result = RowResult(line=number, key=f"{uscc} {decision}".strip())
        results.append(result)
        if file_problems:
            continue
        if (uscc, decision) in seen:
            result.problems.append(_("与第 %(n)d 行是同一决定。") % {"n": seen[(uscc, decision)]})
        else:
            seen[(uscc, decision)] = number
        checked = _check_row(values, result.problems, regions)
        merchant = checked["merchant"]
        if merchant is not None and ListEntry.objects.filter(
            merchant=merchant, list_name=ListName.BLACK, decision_number=decision
        ).exists():
            result.skipped = True
        result.data = {**values, **checked}
    return Preview(file_problems=file_problems, rows=results)


def import_list_entries(*, variant: str, header: list[str], rows: list[list[str]], actor) -> tuple[list, Preview]:
    """Enter every new decision, or none (re-checked first; ValidationFailed while any row is bad)."""
    preview = preview_list_import(variant=variant, header=header, rows=rows, actor=actor)
    if not preview.ok:
        raise preview.refusal()
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    created = []
    with transaction.atomic():
        for row in preview.importable:
            data = row.data
            created.append(
                list_entry_add_black(
                    merchant=data["merchant"],
                    kind=data["kind"],
                    reason=data["reason"],
                    legal_basis=data["legal_basis"],
                    decision_number=data["decision_number"],
                    decided_by=data["decided_by"],
                    valid_from=data["valid_from"],
                    actor=actor,
                    source=variant,
                    source_reference=_("%(at)s 导入，第 %(n)d 行") % {"at": stamp, "n": row.line},
                )
            )
    return created, preview
