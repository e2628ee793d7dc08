from django import template

from ..selectors import open_complaint_count as _open_count

register = template.Library()


@register.simple_tag
def open_complaint_count(merchant) -> int:
    return _open_count(merchant) if merchant is not None else 0
