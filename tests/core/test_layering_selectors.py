"""Every read through a selector (docs/ARCHITECTURE.md, "Selectors read"): no view or API module reads
through a model's manager.

Every module of the pages and the API is parsed: a ``views``, ``api`` or ``templatetags`` package of an
app, or a module named ``views*.py`` / ``api*.py`` (core's included). None may touch ``.objects``, ``._default_manager`` or
``._base_manager``, nor call ``get_object_or_404`` / ``get_list_or_404`` with a model: the queryset a page
or an endpoint shows is built by a selector that takes the viewer and scopes it (public, merchant member,
staff region). Comments and docstrings are prose and may name ``Model.objects``; only code counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = (ROOT / "merchants", ROOT / "complaints", ROOT / "campaigns", ROOT / "integrity_portal" / "core")
MANAGER_ATTRS = {"objects", "_default_manager", "_base_manager"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}

#: Modules allowed to read through a manager, each with the reason written down. Keep it empty.
ALLOWED: dict[str, str] = {}


def _is_view_or_api(path: Path, app: Path) -> bool:
    parts = path.relative_to(app).parts
    if "migrations" in parts or "tests" in parts:
        return False
    return any(p in ("views", "api", "templatetags") for p in parts[:-1]) or path.name.startswith(("views", "api"))


def _modules() -> list[Path]:
    return sorted(p for app in APP_DIRS for p in app.rglob("*.py") if _is_view_or_api(p, app))


def _offences(source: str, filename: str = "<source>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRS:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in SHORTCUTS:
                found.append(f"line {node.lineno}: {name}()")
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_pages_and_the_api_have_modules_to_check():
    names = {_rel(p) for p in _modules()}
    for expected in (
        "complaints/views/public.py",
        "complaints/api/views.py",
        "merchants/views/portal_credit.py",
        "merchants/views/credit.py",
        "merchants/api/credit.py",
        "campaigns/views.py",
        "campaigns/views_portal.py",
        "campaigns/api/views.py",
        "integrity_portal/core/views.py",
        "merchants/templatetags/findings_tags.py",
    ):
        assert expected in names
    assert not any("/selectors" in n or "/services" in n or "/migrations/" in n for n in names)


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_view_and_api_modules_read_only_through_selectors(path):
    if _rel(path) in ALLOWED:
        pytest.skip(ALLOWED[_rel(path)])
    assert _offences(path.read_text(encoding="utf-8"), filename=str(path)) == []


def test_every_allowed_module_exists_and_says_why():
    names = {_rel(p) for p in _modules()}
    for module, reason in ALLOWED.items():
        assert module in names and reason.strip()


@pytest.mark.parametrize(
    "source",
    [
        "def v(request):\n    return Merchant.objects.filter(pk=1)",
        "qs = Complaint.objects.none()",
        "user = get_user_model()._default_manager.get(pk=1)",
        "def v(request, pk):\n    return get_object_or_404(Campaign, pk=pk)",
        "from django import shortcuts\nshortcuts.get_list_or_404(Merchant)",
        "class V:\n    queryset = Application._base_manager.all()",
    ],
)
def test_the_check_catches_a_manager_read(source):
    assert _offences(source) != []


def test_comments_docstrings_and_strings_are_not_reads():
    source = (
        '"""Never ``Merchant.objects`` here."""\n'
        "# Complaint.objects.filter(...) would bypass the scoping\n"
        "def v(request):\n"
        '    """Reads ``Campaign.objects`` through the selector."""\n'
        '    return "objects"\n'
    )
    assert _offences(source) == []
