"""OpenAPI post-processing of the register's parameters (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``).

A ``region_code`` query parameter accepts only a code of the region tree (an unknown one is a 400 with a
message): the schema lists them as an enum, read when the schema is built (the per-process region tree,
``merchants.regions``). django-filter's region choices are a callable, which drf-spectacular deliberately does
not call, so without this the schema would promise that any string is accepted.

Built where the database cannot be read (the schema fuzz test loads the schema while collecting, before any
test database exists), the codes are those of the shipped region tree, ``fixtures/regions.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import DatabaseError

from integrity_portal.core.api_schema import query_parameters

from .. import regions

REGION_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "regions.json"


def _region_codes() -> list[str]:
    try:
        codes = list(regions._tree()[1])
    except (DatabaseError, RuntimeError):  # RuntimeError: pytest-django's "database access not allowed"
        codes = []
    if not codes:
        rows = json.loads(REGION_FIXTURE.read_text(encoding="utf-8"))
        codes = [row["pk"] for row in rows if row.get("model") == "merchants.region"]
    return sorted(codes)


def region_code_enum(result, generator, request, public):
    codes = _region_codes()
    for parameter in query_parameters(result):
        if parameter.get("name") == "region_code":
            parameter["schema"] = {**parameter.get("schema", {}), "type": "string", "enum": codes}
    return result
