"""Template helpers of the directory page (``merchants/merchant_list.html``): cheap to render on every search.

A search page is rarely served from the page cache (docs/SEARCH.md), so what it renders on every request
counts. Its filter form's region select has an option per region (~300); rendering it took longer than the
search query itself. The selects depend on the selected value, the language and the region tree only — not
on the query — so each is rendered once per process and reused (docs/BENCHMARKS.md §7).
"""

from __future__ import annotations

from django import forms, template
from django.conf import settings
from django.utils.translation import get_language

from .. import regions as region_tree

register = template.Library()

#: Rendered selects by (language, field, id, selected value); emptied when the region tree is reloaded.
_SELECTS: dict[tuple, str] = {}
_SELECTS_TREE: list = [None]
#: Bound on the entries (a valid value is one of the choices, so this is never reached in practice).
_SELECTS_MAX = 4000


@register.filter
def cached_widget(field):
    """The field's HTML (``{{ field }}``), from a per-process cache for a valid select (a ``ChoiceField``
    whose value is one of its choices and that has no error); anything else is rendered as usual.

    The cache is emptied when the region tree changes (``merchants.regions`` reloads it after a region edit)."""
    if settings.DEBUG or field.errors or not isinstance(field.field, forms.ChoiceField):
        return str(field)
    tree = region_tree._tree()
    if _SELECTS_TREE[0] is not tree:  # a region was edited (or first use): the options may differ
        _SELECTS.clear()
        _SELECTS_TREE[0] = tree
    value = field.value()
    key = (get_language(), field.html_name, field.auto_id, value if isinstance(value, str) else repr(value))
    html = _SELECTS.get(key)
    if html is None:
        html = str(field)
        if len(_SELECTS) < _SELECTS_MAX:
            _SELECTS[key] = html
    return html
