"""The manifest of the nightly open-data files: one row per published file.

A file is listed (and served) only once it was written completely and renamed into place, so a row always
names a whole file; a run that fails leaves the previous row, and its file, as they were.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .register import Region


class OpenDataDataset(models.TextChoices):
    REGISTER = "register", _("市场主体名录及诚信星级")
    RED_LIST = "red_list", _("红名单")
    BLACK_LIST = "black_list", _("黑名单")
    SPOT_CHECKS = "spot_checks", _("双随机抽查结果")  # rows from spotchecks (merchants.open_data registry)


class OpenDataFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    JSON = "json", "JSON"


class OpenDataFile(models.Model):
    """One published file: a dataset of one city or district in one format."""

    region = models.ForeignKey(
        Region, verbose_name=_("辖区"), on_delete=models.CASCADE, related_name="open_data_files"
    )
    dataset = models.CharField(_("数据集"), max_length=20, choices=OpenDataDataset.choices)
    format = models.CharField(_("格式"), max_length=5, choices=OpenDataFormat.choices)
    path = models.CharField(_("存储路径"), max_length=255, help_text=_("相对于开放数据目录。"))
    size = models.BigIntegerField(_("文件大小（字节）"))
    row_count = models.IntegerField(_("记录数"))
    sha256 = models.CharField("SHA-256", max_length=64)
    generated_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("开放数据文件")
        verbose_name_plural = _("开放数据文件")
        ordering = ["region", "dataset", "format"]
        constraints = [
            models.UniqueConstraint(fields=["region", "dataset", "format"], name="opendatafile_unique_scope")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.dataset}.{self.format}"
