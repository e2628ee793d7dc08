"""One phone rule for every public form (complaints and objections used to disagree on +86)."""

from __future__ import annotations

import pytest

from integrity_portal.core.phones import is_valid_phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
        "0086-138-1234-5678",
        "(138)12345678",
    ],
)
def test_a_mainland_mobile_however_typed_becomes_its_11_digits(typed):
    assert normalize_phone(typed) == "13812345678"
    assert is_valid_phone(normalize_phone(typed))


@pytest.mark.parametrize(
    "typed,stored",
    [("0371-12345678", "0371-12345678"), ("037112345678", "037112345678"), ("010 1234 5678", "01012345678")],
)
def test_a_landline_with_area_code_is_accepted_as_typed(typed, stored):
    assert normalize_phone(typed) == stored
    assert is_valid_phone(stored)


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "12812345678", "+8612812345678", "+85213812345678", "1381234567a", "00861381234567"],
)
def test_anything_else_is_refused(typed):
    assert not is_valid_phone(normalize_phone(typed))


def test_masking_keeps_the_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "12***"
