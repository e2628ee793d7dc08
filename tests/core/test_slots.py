"""``core.slots``: a template rendered once with markers, filled per request, escapes each value for its place."""

from __future__ import annotations

from html import escape
from urllib.parse import quote_plus

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from integrity_portal.core.slots import SlotError, SlotTemplate, slot

HOSTILE = "\"><script>alert(1)</script> & 城南'五金"


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_a_filled_template_equals_the_template_rendered_with_the_values():
    source = '<a href="/x/?q={{ q|urlencode }}" title="{{ q }}">{{ q }}</a><p>{{ body }}</p>'
    # urlencode here stands for QueryDict.urlencode (quote_plus); compare with what quote_plus writes
    source = source.replace("{{ q|urlencode }}", "{{ encoded }}")
    marked = _render(source, q=slot("q"), encoded=quote_plus(str(slot("q"))), body=slot("body"))
    template = SlotTemplate(marked, ["q", "body"])
    body = mark_safe("<b>bold</b>")
    filled = template.fill({"q": HOSTILE, "body": body})
    assert filled == _render(source, q=HOSTILE, encoded=quote_plus(HOSTILE), body=body)
    assert "<script>" not in filled  # escaped in the attribute and the text, encoded in the URL
    assert f'title="{escape(HOSTILE)}"' in filled and f"?q={quote_plus(HOSTILE)}" in filled
    assert "<b>bold</b>" in filled  # safe HTML is filled in as it is


def test_a_value_holding_a_marker_is_filled_in_as_text_not_scanned_again():
    template = SlotTemplate(_render("<i>{{ a }}</i><b>{{ b }}</b>", a=slot("a"), b=slot("b")), ["a", "b"])
    assert template.fill({"a": str(slot("b")), "b": "x"}) == f"<i>{slot('b')}</i><b>x</b>"


def test_a_marker_the_template_transforms_is_refused():
    with pytest.raises(SlotError):
        SlotTemplate(_render("{{ q|slice:':2' }}", q=slot("q")), ["q"])
    with pytest.raises(SlotError):
        SlotTemplate(_render("{{ q|upper }}", q=slot("q")), ["q"])


def test_a_missing_marker_is_refused_unless_optional():
    with pytest.raises(SlotError):
        SlotTemplate("no markers here", ["q"])
    template = SlotTemplate(f"<p>{slot('q')}</p>", ["q", "extra"], optional=("extra",))
    assert template.fill({"q": "<", "extra": "unused"}) == "<p>&lt;</p>"
