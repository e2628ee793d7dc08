"""Phone numbers people type into the public forms (complainants, reporters, objectors): one rule.

Accepted: an 11-digit mainland mobile (1[3-9]…), optionally written with +86 or 0086 in front, and a
landline with its area code (``0371-12345678``, ``037112345678``). Spaces, brackets and a dash inside a
mobile are ignored. ``normalize_phone`` stores every mobile as its 11 digits, so the same person is found
by one exact match (tracking, personal-data requests) however they typed it.
"""

from __future__ import annotations

import re

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_SPACING = re.compile(r"[\s()（）]")
_PREFIXED_MOBILE = re.compile(r"^(?:\+86|0086)-?(1[3-9]\d-?\d{4}-?\d{4})$")
_DASHED_MOBILE = re.compile(r"^1[3-9]\d-?\d{4}-?\d{4}$")


def normalize_phone(value: str | None) -> str:
    """Spacing removed; a mobile as its 11 digits (+86/0086 and dashes dropped); anything else as typed."""
    phone = _SPACING.sub("", value or "")
    prefixed = _PREFIXED_MOBILE.match(phone)
    if prefixed:
        phone = prefixed.group(1)
    if _DASHED_MOBILE.match(phone):
        phone = phone.replace("-", "")
    return phone


def is_valid_phone(value: str) -> bool:
    """For a value already normalised: a mainland mobile or a landline with area code."""
    return bool(MOBILE_RE.match(value) or LANDLINE_RE.match(value))


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``: what staff lists and logs show (never a whole number)."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:2] + "*" * (len(value) - 2)
    return value[:3] + "****" + value[-4:]
