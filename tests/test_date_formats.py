"""Dates go through Django's localisation: 2026年12月2日 in Chinese, 2 December 2026 in English, and no
template hard-codes a Chinese date format."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

TEMPLATE = Template('{{ d|date:"DATE_FORMAT" }}')
D = datetime.date(2026, 12, 2)


def test_date_format_per_language():
    with translation.override("zh-hans"):
        assert TEMPLATE.render(Context({"d": D})) == "2026年12月2日"
    with translation.override("en"):
        assert TEMPLATE.render(Context({"d": D})) == "2 December 2026"
        assert translation.gettext("评定日期 %(d)s") % {"d": TEMPLATE.render(Context({"d": D}))} == (
            "Rated on 2 December 2026"
        )


def test_no_template_hard_codes_a_chinese_date_format():
    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(p.relative_to(root))
        for p in root.glob("**/templates/**/*.html")
        if ".venv" not in p.parts and "年n月j日" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
