"""Templates rendered once with markers in the place of some values, then filled per request.

Why: Django's template language costs a few microseconds per node, and a page that is different for almost
every request (a search: the query and its results) renders the same few hundred nodes each time around a
handful of values. Rendering the page once with a *marker* in place of each of those values and splitting it
there leaves literal text and holes; filling the holes is a few string joins (docs/SEARCH.md "Rendering").

The markup stays in the template, with its translations and tags; only the values move. A value is escaped
for the place its marker was found in:

* the marker itself (text or an attribute value, autoescaped by the template): ``html.escape(value)`` (what
  Django's ``escape`` does, without its lazy-string wrapper), or the value
  as it is when it is already safe HTML (``SafeString``, e.g. another rendered fragment);
* the marker URL-encoded by the template (``QueryDict.urlencode``, as in ``request.get_full_path`` after
  ``core.cache.reduce_query``): ``escape(quote_plus(value))``, what the same code would have written.

A marker found in any other form (cut, upper-cased, JSON-escaped…) means the template transforms that value:
``SlotError`` is raised and the caller renders the page as usual. The markers are built from Unicode
private-use characters, which no template writes; a value is never scanned for markers, so a visitor's
query that contains one is filled in as any other text.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote_plus

from django.utils.safestring import SafeString, mark_safe

_OPEN, _CLOSE = "\ue000", "\ue001"
_STRAY = re.compile("[\ue000\ue001]|" + re.escape(quote_plus(_OPEN)) + "|" + re.escape(quote_plus(_CLOSE)))


class SlotError(ValueError):
    """The rendered template does not hold a marker as a plain or URL-encoded value."""


def slot(name: str) -> SafeString:
    """The marker of the value ``name``, to put in a template's context in place of the value (safe, so a
    value that is itself HTML — a rendered fragment — can be filled in without escaping)."""
    return mark_safe(f"{_OPEN}{name}{_CLOSE}")  # noqa: S308 (private-use characters and a Python name only)


class SlotTemplate:
    """A rendered text split at its markers: literal parts and, between them, (name, URL-encoded) holes."""

    __slots__ = ("filled", "holes", "parts")

    def __init__(self, rendered: str, names, *, optional=()):
        """``names``: the markers the text may hold; each must be found, except those in ``optional`` (values
        a template shows only in some cases)."""
        names = list(names)
        forms = {}
        for name in names:
            forms[str(slot(name))] = (name, False)
            forms[quote_plus(str(slot(name)))] = (name, True)
        pattern = re.compile("|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)))
        self.parts: list[str] = []
        self.holes: list[tuple[str, bool]] = []
        position = 0
        for match in pattern.finditer(rendered):
            self.parts.append(rendered[position : match.start()])
            self.holes.append(forms[match.group()])
            position = match.end()
        self.parts.append(rendered[position:])
        for part in self.parts:
            if _STRAY.search(part):
                raise SlotError("a marker was transformed by the template")
        missing = set(names) - set(optional) - {name for name, _ in self.holes}
        if missing:
            raise SlotError(f"markers not found: {', '.join(sorted(missing))}")
        self.filled = [
            (name, encoded, part) for (name, encoded), part in zip(self.holes, self.parts[1:], strict=True)
        ]

    def fill(self, values: dict) -> str:
        """The text with each hole filled with its value, escaped for its place."""
        out = [self.parts[0]]
        append = out.append
        for name, encoded, part in self.filled:
            value = values[name]
            if encoded:
                append(escape(quote_plus(str(value))))
            elif isinstance(value, SafeString):
                append(value)
            else:
                append(escape(str(value)))
            append(part)
        return "".join(out)
