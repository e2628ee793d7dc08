"""Core names no app: the apps plug into core's registries, core never reaches into them.

Every Python module under ``integrity_portal/core`` is parsed; no import (at module level or inside a
function) may name an app, and no string in code (docstrings and comments are prose and may) may name one
as a dotted path, an app label or a URL segment (``"merchants.Region"``, ``"complaints.*"``,
``"/notices/"``…): those would be a dependency hidden from the import check.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "integrity_portal" / "core"
APPS = ("merchants", "complaints", "campaigns")
# An app named as an import path / label ("merchants.", "merchants:"), a URL segment or the whole string.
NAMED = re.compile(r"(?:^|[/\"'\s])(?:" + "|".join(APPS) + r")(?:[.:/]|$)")
# The apps' own URL prefixes that are not app names (core's own "/accounts/two-factor/verify/" is fine).
URL_PREFIXES = ("/notices/", "/lists/", "/verify/")


def _core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        found += [f"line {node.lineno}: imports {n}" for n in names if n.split(".")[0] in APPS]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if NAMED.search(text) or text.startswith(URL_PREFIXES):
                found.append(f"line {node.lineno}: names an app in {text!r}")
    return found


def test_core_has_modules_to_check():
    assert len(_core_modules()) > 30


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_names_no_app(path):
    assert _offences(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "import merchants",
        "from complaints.models import Complaint",
        "def f():\n    from campaigns import selectors\n",
        "LABEL = 'merchants.Region'",
        "PATTERNS = ['complaints.*']",
        "PREFIXES = ('/notices/',)",
        "x = apps.get_model('campaigns', 'Campaign')",
    ],
)
def test_the_check_catches_an_app_named_in_code(tmp_path, source):
    module = tmp_path / "m.py"
    module.write_text(source, encoding="utf-8")
    assert _offences(module)


def test_the_check_lets_prose_name_apps(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""The merchants app registers a resolver."""\n# complaints.models too\nX = "商户"\n')
    assert _offences(module) == []
