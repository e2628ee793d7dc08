"""Template helpers for markup that must work under the site's Content-Security-Policy.

``style-src 'self'`` refuses ``style="…"`` attributes, so a bar's width is a class from
``static/css/widths.css`` (``pct-0`` … ``pct-100``): ``class="pct-{{ value|pct }}"``.
"""

from django import template

register = template.Library()


@register.filter
def pct(value) -> int:
    """A percentage as an integer clamped to 0…100 (bad or missing input is 0)."""
    try:
        number = round(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, min(100, number))
