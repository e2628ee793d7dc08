"""The ``spot_checks`` open-data dataset (docs/OPEN_DATA.md): the results of every published 双随机 plan, one
row per drawn merchant. Public columns only — no credit class, no inspector, no personal data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from merchants.models import FindingLevel, InspectionOutcome, OpenDataDataset
from merchants.open_data import Column, register_open_data_dataset

from .models import TaskStatus
from .selectors_public import open_data_spot_check_rows

_ITEM = _("该项检查结果；为空表示本计划未检查该项或未检查")

SPOT_CHECK_COLUMNS = (
    Column("plan_id", "计划编号", "Plan ID", "integer", _("与开放接口 /api/v1/spot-checks/ 一致")),
    Column("plan_title", "计划名称", "Plan title", "string"),
    Column("plan_year", "年度", "Year", "integer"),
    Column("plan_period", "期次", "Period", "string"),
    Column("plan_region_code", "制定单位区划代码", "Issuing region code", "string", _("GB/T 2260 六位行政区划代码")),
    Column("plan_region_name", "制定单位辖区", "Issuing region", "string"),
    Column("published_on", "公示日期", "Published on", "date"),
    Column("merchant_id", "主体编号", "Merchant ID", "integer", _("本平台的主体编号，与开放接口一致")),
    Column("name", "名称", "Name", "string"),
    Column("uscc", "统一社会信用代码", "Unified social credit code", "string"),
    Column("licence_number", "注册号", "Licence number", "string"),
    Column("region_code", "区划代码", "Region code", "string", _("主体所在区县的 GB/T 2260 六位行政区划代码")),
    Column("region_name", "辖区名称", "Region name", "string"),
    Column("result_status", "抽查状态", "Result status", "string", choices=TaskStatus),
    Column("inspected_on", "检查日期", "Inspected on", "date", _("主体已停业／注销时为空")),
    Column("price_marking", "明码标价", "Price marking", "string", _ITEM, choices=FindingLevel),
    Column("metrology", "计量（公平秤）", "Metrology", "string", _ITEM, choices=FindingLevel),
    Column("advertising", "虚假宣传", "Advertising", "string", _ITEM, choices=FindingLevel),
    Column("food_safety", "食品安全", "Food safety", "string", _ITEM, choices=FindingLevel),
    Column("premises", "经营场所", "Premises", "string", _ITEM, choices=FindingLevel),
    Column("outcome", "检查结论", "Outcome", "string", choices=InspectionOutcome),
)

DESCRIPTION = _(
    "已公示的双随机抽查计划的检查结果，每个被抽中的市场主体一行（主体在本辖区内）。不含信用风险分类和检查人员信息。"
)


def register() -> None:
    register_open_data_dataset(
        OpenDataDataset.SPOT_CHECKS,
        columns=SPOT_CHECK_COLUMNS,
        description=DESCRIPTION,
        rows=open_data_spot_check_rows,
    )
