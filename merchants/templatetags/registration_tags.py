"""``{{ number|registration_label }}``: 统一社会信用代码 for an 18-character code, 注册号 otherwise."""

from __future__ import annotations

from django import template

from ..validators import registration_number_label

register = template.Library()


@register.filter
def registration_label(number) -> str:
    return registration_number_label(str(number or ""))
