"""Rows the database already rendered as JSON, carried through REST framework and spliced into the body.

A list endpoint whose rows come as JSON text (an app's selector renders them in SQL, exactly as its
serializer's fields would) returns ``RenderedRows`` as the page's data: the pagination reads each row's ``id``
for its cursor links as from any object, and ``RenderedJSONRenderer`` writes the envelope (``next``,
``previous`` …) with REST framework's own encoder and the rows' text as it is — the same bytes
``JSONRenderer`` writes for the parsed rows, without parsing or encoding them in Python. Anything that needs
the rows as data (the browsable API, an indented answer) gets them parsed (``RenderedRows.parsed``).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from rest_framework.compat import SHORT_SEPARATORS
from rest_framework.renderers import JSONRenderer


class RenderedRow(NamedTuple):
    """One row: its primary key (what a cursor pagination on ``id`` reads) and its JSON text."""

    id: int
    json: str


class RenderedRows(list):
    """A page of ``RenderedRow``."""

    def parsed(self) -> list:
        return [json.loads(row.json) for row in self]


def parsed(data):
    """``data`` with any ``RenderedRows`` in it (at the top or one level down) parsed."""
    if isinstance(data, RenderedRows):
        return data.parsed()
    if isinstance(data, dict) and any(isinstance(v, RenderedRows) for v in data.values()):
        return {k: (v.parsed() if isinstance(v, RenderedRows) else v) for k, v in data.items()}
    return data


class RenderedJSONRenderer(JSONRenderer):
    """``JSONRenderer`` that splices ``RenderedRows`` (at the top or as a value of the top object)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows_key = None
        if isinstance(data, RenderedRows):
            rows_key = ""
        elif isinstance(data, dict):
            rows_key = next((k for k, v in data.items() if isinstance(v, RenderedRows)), None)
        # the rows are compact and keep non-ASCII characters (REST framework's defaults): otherwise parse them
        as_is = self.compact and not self.ensure_ascii
        if (
            rows_key is None
            or not as_is
            or self.get_indent(accepted_media_type or "", renderer_context or {})
        ):
            return super().render(parsed(data), accepted_media_type, renderer_context)
        rows = data if rows_key == "" else data[rows_key]
        items, colon = SHORT_SEPARATORS
        body = "[" + items.join(row.json for row in rows) + "]"
        if rows_key != "":
            body = (
                "{"
                + items.join(
                    self._encode(key) + colon + (body if key == rows_key else self._encode(value))
                    for key, value in data.items()
                )
                + "}"
            )
        # JSONRenderer escapes these two (valid JSON, but not valid JavaScript) in the whole body
        return body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()

    def _encode(self, value) -> str:
        """One value as ``JSONRenderer.render`` encodes it (which answers ``b""`` for a ``None`` body)."""
        return json.dumps(
            value,
            cls=self.encoder_class,
            ensure_ascii=self.ensure_ascii,
            allow_nan=not self.strict,
            separators=SHORT_SEPARATORS,
        )
