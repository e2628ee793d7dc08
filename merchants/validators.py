"""Unified social credit code (统一社会信用代码) per GB 32100-2015.

18 characters from ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, S, V, Z). Character 1
is the registration authority, 2 the entity type, 3–8 the GB/T 2260
administrative division, 9–17 the organisation code, and 18 a check character:
with weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28, the check is
(31 − Σ mod 31) mod 31 mapped back through the same alphabet.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FORBIDDEN_LETTERS = "IOSVZ"
_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper()


def validate_uscc(value: str) -> None:
    """Raise ValidationError naming the first rule the code breaks."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)},
            code="uscc_length",
        )
    bad = sorted({ch for ch in code if ch in FORBIDDEN_LETTERS})
    if bad:
        raise ValidationError(
            _("统一社会信用代码不使用字母I、O、S、V、Z（发现：%(chars)s）。")
            % {"chars": ", ".join(bad)},
            code="uscc_forbidden_letter",
        )
    invalid = sorted({ch for ch in code if ch not in _VALUE})
    if invalid:
        raise ValidationError(
            _("只能包含数字和大写字母（发现非法字符：%(chars)s）。") % {"chars": " ".join(invalid)},
            code="uscc_charset",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("第3至8位应为6位行政区划代码（当前为：%(div)s）。")
            % {"div": code[2:8]},
            code="uscc_division",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("校验码错误：第18位应为%(expected)s，而不是%(found)s。")
            % {"expected": expected, "found": code[17]},
            code="uscc_check",
        )


def org_code_check_char(body8: str) -> str:
    """GB 11714 organisation-code check character, used to build realistic demo codes."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    c9 = 11 - sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def build_uscc(*, authority: str, entity_type: str, division: str, org_body8: str) -> str:
    """Compose a valid USCC from its parts (demo data and tests)."""
    first17 = authority + entity_type + division + org_body8 + org_code_check_char(org_body8)
    return first17 + uscc_check_char(first17)


def registration_number_label(number: str) -> str:
    """What to call a business's registration number: only an 18-character code is a 统一社会信用代码;
    anything else (the 15-digit number of the old register, a local licence number) is a 注册号.
    The one helper behind the plaque, the lists and the profiles (template filter ``registration_label``)."""
    return _("统一社会信用代码") if len(normalize_uscc(number)) == 18 else _("注册号")


def uscc_problem(value: str) -> tuple[str, str | None]:
    """(the normalised code, why it is not a valid USCC or None) — for imports that list every row's problems."""
    code = normalize_uscc(value)
    try:
        validate_uscc(code)
    except ValidationError as exc:
        return code, _("统一社会信用代码 %(c)s 无效：%(m)s") % {"c": code, "m": exc.messages[0]}
    return code, None
