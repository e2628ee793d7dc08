"""What the open-data files hold: their columns and the data dictionary that explains them.

One definition for the files (header, JSON keys), the data dictionary inside them and the one on
``/open-data/``. Only public register facts: a column is added here deliberately, never by taking a
model's fields, so the legal representative (a natural person for individual businesses), staff-only
credit classes and anything about complainants can never slip into a file (docs/OPEN_DATA.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Industry, ListEntryKind, MerchantKind, MerchantStatus, OpenDataDataset


@dataclass(frozen=True)
class Column:
    key: str  # the JSON key and the CSV/XLSX header, the same names as the API's
    name_zh: str  # the column's Chinese name, in every language (not translated)
    name_en: str
    type: str  # string, integer, boolean, date
    description: str = ""
    choices: type | None = None  # a TextChoices whose codes the column holds

    def explained(self) -> str:
        text = str(self.description)
        if self.choices is not None:
            codes = "；".join(f"{value} {label}" for value, label in self.choices.choices)
            text = f"{text}（{codes}）" if text else codes
        return text


REGISTER_COLUMNS = (
    Column("merchant_id", "主体编号", "Merchant ID", "integer", _("本平台的主体编号，与开放接口一致")),
    Column("name", "名称", "Name", "string"),
    Column("uscc", "统一社会信用代码", "Unified social credit code", "string", _("18 位；个体摊位可能为空")),
    Column("licence_number", "注册号", "Licence number", "string", _("没有统一社会信用代码的个体摊位的注册号")),
    Column("kind", "主体类型", "Kind", "string", choices=MerchantKind),
    Column("industry", "行业", "Industry", "string", choices=Industry),
    Column("address", "地址", "Address", "string", _("经营场所地址")),
    Column("region_code", "区划代码", "Region code", "string", _("GB/T 2260 六位行政区划代码")),
    Column("region_name", "辖区名称", "Region name", "string"),
    Column("stars", "诚信星级", "Stars", "integer", _("0–5；为空表示尚未评级或已注销")),
    Column("rated_at", "评定日期", "Rating date", "date", _("当前星级的评定日期（YYYY-MM-DD）")),
    Column("rating_under_appeal", "申诉处理中", "Rating under appeal", "boolean", _("True 表示当前评定正在申诉处理中")),
    Column("status", "经营状态", "Status", "string", choices=MerchantStatus),
    Column("red_listed", "红名单在列", "On the red list", "boolean", _("文件生成当日有红名单记录在列")),
    Column("black_listed", "黑名单在列", "On the black list", "boolean", _("文件生成当日有黑名单记录在列（在列期间星级为 0）")),
)

LIST_COLUMNS = (
    Column("entry_id", "记录编号", "Entry ID", "integer"),
    Column("merchant_id", "主体编号", "Merchant ID", "integer", _("本平台的主体编号，与开放接口一致")),
    Column("name", "名称", "Name", "string"),
    Column("uscc", "统一社会信用代码", "Unified social credit code", "string"),
    Column("licence_number", "注册号", "Licence number", "string"),
    Column("region_code", "区划代码", "Region code", "string", _("GB/T 2260 六位行政区划代码")),
    Column("region_name", "辖区名称", "Region name", "string"),
    Column("kind", "类别", "Kind", "string", choices=ListEntryKind),
    Column("reason", "列入事由", "Reason", "string"),
    Column("legal_basis", "列入依据", "Legal basis", "string"),
    Column("decision_number", "决定书文号", "Decision number", "string"),
    Column("decided_by", "作出决定机关", "Deciding authority", "string"),
    Column("valid_from", "列入日期", "Listed on", "date"),
    Column("valid_until", "届满日期", "Valid until", "date", _("为空表示至移出为止")),
)

DATASET_COLUMNS = {
    OpenDataDataset.REGISTER: REGISTER_COLUMNS,
    OpenDataDataset.RED_LIST: LIST_COLUMNS,
    OpenDataDataset.BLACK_LIST: LIST_COLUMNS,
}

DATASET_DESCRIPTIONS = {
    OpenDataDataset.REGISTER: _("辖区内全部市场主体（含已注销，已注销者无当前星级）及其当前诚信星级。"),
    OpenDataDataset.RED_LIST: _("文件生成当日在列的红名单记录（文明诚信表彰、诚信典型）。五星级主体见名录中的星级。"),
    OpenDataDataset.BLACK_LIST: _("文件生成当日在列的黑名单记录（严重违法失信、失信被执行人、经营异常名录）。"),
}

# Datasets other apps add (spotchecks: ``spot_checks``): dataset → rows(region_code, as_of), registered in their
# ``AppConfig.ready()`` with their columns and description, so this app names no app that depends on it.
DATASET_ROWS: dict[str, Callable] = {}


def register_open_data_dataset(dataset: str, *, columns: tuple, description, rows: Callable) -> None:
    """Add a dataset to the nightly files: its columns (public facts only), description and row source."""
    DATASET_COLUMNS[dataset] = columns
    DATASET_DESCRIPTIONS[dataset] = description
    DATASET_ROWS[dataset] = rows


DICTIONARY_HEADER = (_("字段"), _("中文名称"), _("英文名称"), _("类型"), _("说明"))


def data_dictionary(dataset: str) -> list[dict]:
    """The data dictionary of ``dataset``: one entry per column, in the active language's words."""
    return [
        {
            "field": c.key,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "type": c.type,
            "description": c.explained(),
        }
        for c in DATASET_COLUMNS[dataset]
    ]
