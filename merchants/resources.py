"""Excel/CSV import and export of the merchant register (django-import-export).

Columns carry the Chinese headers clerks already use. Import only creates new
entities and checks every row before anything is written: a file with one bad
row is refused as a whole, and the preview names each bad row and why. Values
are accepted as Chinese labels (市场, 餐饮, 存续, 是/否) or as codes.
"""

from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from integrity_portal.core.errors import DomainError
from integrity_portal.core.exports import EscapedExportResourceMixin
from integrity_portal.core.scoping import user_covers_region

from .models import Industry, Merchant, MerchantKind, MerchantStatus, Region
from .validators import normalize_uscc, validate_uscc

_PARENTHESISED = re.compile(r"[（(]([^（()）]+)[)）]")


def short_label(label) -> str:
    """``"Catering (餐饮)"`` → ``"餐饮"``; labels without a Chinese part are returned whole."""
    text = str(label)
    found = _PARENTHESISED.search(text)
    return found.group(1).strip() if found else text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns 410802 into 410802.0
    return str(value).strip()


class ChoiceLabelWidget(widgets.Widget):
    """A TextChoices field read from its code, its full label or the Chinese term in it."""

    def __init__(self, choices, *, what: str, default: str | None = None):
        super().__init__()
        self.choices = choices
        self.what = what
        self.default = default
        self.lookup: dict[str, str] = {}
        for value, label in choices.choices:
            for key in (value, str(label), short_label(label)):
                self.lookup[key.strip().lower()] = value

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            if self.default is not None:
                return self.default
            raise ValueError(_("%(what)s不能为空。") % {"what": self.what})
        try:
            return self.lookup[text.lower()]
        except KeyError:
            allowed = "、".join(short_label(label) for _v, label in self.choices.choices)
            raise ValueError(
                _("%(what)s“%(value)s”无效，可填：%(allowed)s。")
                % {"what": self.what, "value": text, "allowed": allowed}
            ) from None

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        return short_label(self.choices(value).label)


class YesNoWidget(widgets.Widget):
    TRUE = {"是", "1", "true", "yes", "y", "√", "✓"}
    FALSE = {"否", "0", "false", "no", "n", ""}

    def __init__(self, *, what: str):
        super().__init__()
        self.what = what

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(
            _("%(what)s应填“是”或“否”，而不是“%(value)s”。") % {"what": self.what, "value": _text(value)}
        )

    def render(self, value, obj=None, **kwargs):
        return _("是") if value else _("否")


class RequiredTextWidget(widgets.Widget):
    def __init__(self, *, what: str, max_length: int, required: bool = True, upper: bool = False):
        super().__init__()
        self.what, self.max_length, self.required, self.upper = what, max_length, required, upper

    def clean(self, value, row=None, **kwargs):
        # A line break inside an Excel cell (Alt+Enter) or a tab becomes a space; any other control
        # character is refused as a form field refuses it (PostgreSQL refuses NUL outright).
        text = " ".join(_text(value).replace("\t", " ").splitlines()) if value is not None else ""
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise ValueError(_("%(what)s含有不可见的控制字符，请删除后重新导入。") % {"what": self.what})
        if self.upper:
            text = text.upper()
        if not text:
            if self.required:
                raise ValueError(_("%(what)s不能为空。") % {"what": self.what})
            return None
        if len(text) > self.max_length:
            raise ValueError(
                _("%(what)s最多%(max)d个字符，当前%(n)d个。")
                % {"what": self.what, "max": self.max_length, "n": len(text)}
            )
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


USCC_MESSAGES = {
    "uscc_length": "统一社会信用代码应为18位，当前为{n}位。",
    "uscc_forbidden_letter": "统一社会信用代码不使用字母 I、O、S、V、Z。",
    "uscc_charset": "统一社会信用代码只能包含数字和大写字母。",
    "uscc_division": "统一社会信用代码第3–8位应为6位行政区划代码。",
    "uscc_check": "统一社会信用代码校验位错误（第18位应为{expected}）。",
}


class UsccWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        code = normalize_uscc(_text(value))
        if not code:
            return None
        try:
            validate_uscc(code)
        except ValidationError as exc:
            from .validators import uscc_check_char

            template = USCC_MESSAGES.get(exc.code, "统一社会信用代码无效。")
            expected = uscc_check_char(code[:17]) if exc.code == "uscc_check" else ""
            raise ValueError(_(template).format(n=len(code), expected=expected)) from None
        return code

    def render(self, value, obj=None, **kwargs):
        return value or ""


class ScopedRegionWidget(widgets.Widget):
    """A region code that must exist and lie within the importing user's own region."""

    def __init__(self, *, user=None):
        super().__init__()
        self.user = user

    def clean(self, value, row=None, **kwargs):
        code = _text(value)
        if not code:
            raise ValueError(_("区划代码不能为空。"))
        region = Region.objects.filter(pk=code).first()
        if region is None:
            raise ValueError(_("区划代码“%(code)s”不存在。") % {"code": code})
        if not user_covers_region(self.user, region.code):
            raise ValueError(
                _("区划代码“%(code)s”（%(name)s）不在您的辖区内。") % {"code": code, "name": region.name}
            )
        return region

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


COLUMN_NAMES = {
    "name": "名称",
    "uscc": "统一社会信用代码",
    "licence_number": "登记号",
    "kind": "类型",
    "industry": "行业",
    "legal_representative": "法定代表人",
    "address": "地址",
    "region": "区划代码",
    "is_large_venue": "大型场所",
    "is_time_honored": "老字号",
    "status": "状态",
}


class MerchantResource(EscapedExportResourceMixin, resources.ModelResource):
    name = fields.Field("name", COLUMN_NAMES["name"], RequiredTextWidget(what="名称", max_length=120))
    uscc = fields.Field("uscc", COLUMN_NAMES["uscc"], UsccWidget())
    licence_number = fields.Field(
        "licence_number",
        COLUMN_NAMES["licence_number"],
        RequiredTextWidget(what="登记号", max_length=40, required=False, upper=True),
    )
    kind = fields.Field("kind", COLUMN_NAMES["kind"], ChoiceLabelWidget(MerchantKind, what="类型"))
    industry = fields.Field("industry", COLUMN_NAMES["industry"], ChoiceLabelWidget(Industry, what="行业"))
    legal_representative = fields.Field(
        "legal_representative",
        COLUMN_NAMES["legal_representative"],
        RequiredTextWidget(what="法定代表人", max_length=60),
    )
    address = fields.Field(
        "address", COLUMN_NAMES["address"], RequiredTextWidget(what="地址", max_length=200)
    )
    region = fields.Field("region", COLUMN_NAMES["region"], ScopedRegionWidget())
    is_large_venue = fields.Field(
        "is_large_venue", COLUMN_NAMES["is_large_venue"], YesNoWidget(what="大型场所")
    )
    is_time_honored = fields.Field(
        "is_time_honored", COLUMN_NAMES["is_time_honored"], YesNoWidget(what="老字号")
    )
    status = fields.Field(
        "status",
        COLUMN_NAMES["status"],
        ChoiceLabelWidget(MerchantStatus, what="状态", default=MerchantStatus.OPERATING),
    )

    class Meta:
        model = Merchant
        fields = tuple(COLUMN_NAMES)
        import_order = tuple(COLUMN_NAMES)
        export_order = tuple(COLUMN_NAMES)
        force_init_instance = True  # the import registers new entities; it never overwrites the register
        clean_model_instances = False  # every rule is checked below, with Chinese messages keyed by column
        use_transactions = True
        skip_unchanged = False
        report_skipped = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.fields["region"].widget.user = user
        self._seen: dict[str, int] = {}

    @classmethod
    def get_display_name(cls):
        return _("市场主体登记册")

    def before_import(self, dataset, **kwargs):
        if self.user is None and kwargs.get("user") is not None:
            self.user = kwargs["user"]
            self.fields["region"].widget.user = self.user
        self._seen = {}
        missing = [
            c
            for c in ("名称", "类型", "行业", "法定代表人", "地址", "区划代码")
            if c not in (dataset.headers or [])
        ]
        if missing:
            raise ValidationError(_("文件缺少以下列：%(cols)s") % {"cols": "、".join(missing)})

    def import_instance(self, instance, row, **kwargs):
        """Re-key field errors by the Chinese column name so the preview reads like the file."""
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = {COLUMN_NAMES.get(k, k): v for k, v in exc.error_dict.items()}
            raise ValidationError(errors) from None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        row_number = self._current_row
        if "统一社会信用代码" not in errors and "登记号" not in errors:
            if not instance.uscc and not instance.licence_number:
                errors.setdefault(NON_FIELD_ERRORS, []).append(_("统一社会信用代码和登记号至少填写一项。"))
            for attr, column in (("uscc", "统一社会信用代码"), ("licence_number", "登记号")):
                value = getattr(instance, attr)
                if not value:
                    continue
                earlier = self._seen.get(f"{attr}:{value}")
                if earlier is not None:
                    errors[column] = [_("与文件第%(row)d行重复。") % {"row": earlier}]
                    continue
                self._seen[f"{attr}:{value}"] = row_number
                if Merchant.objects.filter(Q(uscc=value) | Q(licence_number=value)).exists():
                    errors[column] = [_("“%(value)s”已在登记册中。") % {"value": value}]
        if errors:
            raise ValidationError(errors)

    def import_row(self, row, instance_loader, **kwargs):
        self._current_row = kwargs.get("row_number") or 0
        return super().import_row(row, instance_loader, **kwargs)

    def do_instance_save(self, instance, is_create):
        from .services import merchant_save

        try:
            # Rows only register new entities (force_init_instance); were an existing one ever passed, only
            # the file's columns whose value differs would be written, never the rating columns.
            merchant_save(
                merchant=instance, actor=self.user, changed_fields=None if is_create else list(COLUMN_NAMES)
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # One bad row must roll back the whole file, on the confirm step as well as the preview.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )
