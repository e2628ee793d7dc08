"""The English catalogue is complete and compiled, and the site switches between Chinese and English.

Source strings are Chinese; English exists only in locale/en. A msgid left empty or fuzzy silently
falls back to Chinese on the English site, so the catalogue itself is checked here."""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]|%[sd]|%%|\{[A-Za-z_0-9]*\}|</?[A-Za-z][^>]*>")


def _parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr forms and flags (no polib in the deps)."""
    entries: list[dict] = []
    current: dict | None = None
    field: tuple | None = None

    def new_entry() -> dict:
        return {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "line": 0}

    pending_flags: set[str] = set()
    pending_context: str | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#~"):
            pytest.fail(f"{path.name}:{lineno}: obsolete entry left in the catalogue")
        elif line.startswith("#") or not line:
            continue
        elif line.startswith("msgctxt "):
            # pgettext's context (e.g. "punctuation"): the compiled catalogue keys the entry by it.
            pending_context = ast.literal_eval(line[8:])
        elif line.startswith("msgid "):
            current = new_entry()
            current["flags"], pending_flags = pending_flags, set()
            current["msgctxt"], pending_context = pending_context, None
            current["msgid"] = ast.literal_eval(line[6:])
            current["line"] = lineno
            entries.append(current)
            field = ("msgid",)
        elif line.startswith("msgid_plural "):
            current["msgid_plural"] = ast.literal_eval(line[13:])
            field = ("msgid_plural",)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current["msgstr"][index] = ast.literal_eval(line[line.index("]") + 2 :])
            field = ("msgstr", index)
        elif line.startswith("msgstr "):
            current["msgstr"][0] = ast.literal_eval(line[7:])
            field = ("msgstr", 0)
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                current["msgstr"][field[1]] += value
            else:
                current[field[0]] += value
    return entries


@pytest.fixture(scope="module")
def english_entries() -> list[dict]:
    path = LOCALE_DIR / "django.po"
    assert path.exists(), "locale/en/LC_MESSAGES/django.po is missing; run makemessages -l en"
    entries = [e for e in _parse_po(path) if e["msgid"] != ""]
    assert len(entries) > 500
    return entries


def test_english_catalogue_has_no_untranslated_or_fuzzy_entries(english_entries):
    problems = []
    for e in english_entries:
        where = f"django.po:{e['line']} {e['msgid'][:40]!r}"
        if "fuzzy" in e["flags"]:
            problems.append(f"{where}: fuzzy")
        expected_forms = 2 if e["msgid_plural"] is not None else 1
        forms = [e["msgstr"].get(i, "") for i in range(expected_forms)]
        if not all(f.strip() for f in forms):
            problems.append(f"{where}: untranslated")
    assert problems == []


def test_english_translations_keep_placeholders_and_markup(english_entries):
    problems = []
    for e in english_entries:
        wanted = Counter(PLACEHOLDER.findall(e["msgid"]))
        for form in e["msgstr"].values():
            if Counter(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"django.po:{e['line']} {e['msgid'][:40]!r} -> {form[:60]!r}")
    assert problems == []


def test_compiled_english_catalogue_matches_po(english_entries):
    """A stale django.mo would serve old or missing English even though the .po is complete."""
    mo_path = LOCALE_DIR / "django.mo"
    assert mo_path.exists(), "django.mo is missing; run compilemessages"
    with mo_path.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = []
    for e in english_entries:
        context = e["msgctxt"]
        if e["msgid_plural"] is None:
            compiled = (
                catalogue.pgettext(context, e["msgid"]) if context is not None else catalogue.gettext(e["msgid"])
            )
            if compiled != e["msgstr"][0]:
                stale.append(e["msgid"][:40])
        else:
            compiled = (
                catalogue.npgettext(context, e["msgid"], e["msgid_plural"], 2)
                if context is not None
                else catalogue.ngettext(e["msgid"], e["msgid_plural"], 2)
            )
            if compiled != e["msgstr"][1]:
                stale.append(e["msgid"][:40])
    assert stale == []


def test_english_uses_the_agreed_domain_terms():
    with translation.override("en"):
        assert translation.gettext("统一社会信用代码") == "Unified social credit code (USCC)"
        assert translation.gettext("不予受理") == "Reject"
        assert translation.gettext("失信被执行人") == "Judgment defaulter"
        assert translation.gettext("尚未评级") == "Not yet rated"
        many = translation.ngettext("共 %(total)s 个市场主体", "共 %(total)s 个市场主体", 3) % {"total": 3}
        one = translation.ngettext("共 %(total)s 个市场主体", "共 %(total)s 个市场主体", 1) % {"total": 1}
    assert (one, many) == ("1 market entity", "3 market entities")
    with translation.override("zh-hans"):
        assert translation.gettext("不予受理") == "不予受理"


def test_home_page_defaults_to_chinese(client, regions):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in html
    assert "主体查询" in html and "我要投诉" in html
    assert "Entity search" not in html and "File a complaint" not in html


def test_home_page_in_english_by_cookie(client, regions):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in html
    assert "Entity search" in html and "File a complaint" in html and "Black list" in html
    assert "主体查询" not in html and "我要投诉" not in html


def test_home_page_in_english_by_accept_language(client, regions):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Check before you buy, shop with confidence" in html


def test_language_switcher_sets_english_and_back(client, regions):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/complaints/track/"})
    assert response.status_code == 302
    assert response["Location"] == "/complaints/track/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert "Entity search" in html and "主体查询" not in html

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    html = client.get("/").content.decode()
    assert "主体查询" in html and "Entity search" not in html


def test_language_switcher_ignores_unknown_language(client, regions):
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert "主体查询" in client.get("/").content.decode()


def test_directory_star_filter_speaks_the_visitors_language(client, regions):
    english = client.get("/merchants/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">4 stars<" in english and "4 星" not in english
    chinese = client.get("/merchants/").content.decode()
    assert ">4 星<" in chinese


def test_profile_dates_follow_the_visitors_language(client, regions):
    """The profile wrote "2017年6月22日" to English visitors: dates go through the locale's DATE_FORMAT."""
    import datetime

    from tests.factories import MerchantFactory

    merchant = MerchantFactory(region_id="410802", registered_on=datetime.date(2017, 6, 22))
    english = client.get(f"/merchants/{merchant.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # English DATE_FORMAT is "j F Y" (integrity_portal/formats/en/formats.py, tests/test_date_formats.py).
    assert "22 June 2017" in english and "2017年6月22日" not in english
    chinese = client.get(f"/merchants/{merchant.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2017年6月22日" in chinese
