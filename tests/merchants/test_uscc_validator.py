"""The USCC validator (GB 32100-2015) accepts real-shaped codes and names the first rule a bad one breaks."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from merchants.validators import USCC_ALPHABET, build_uscc, uscc_check_char, validate_uscc

CJK = re.compile(r"[\u4e00-\u9fff]")

GOOD = [
    build_uscc(authority="9", entity_type="1", division="410802", org_body8="MA44X7R1"),
    build_uscc(authority="9", entity_type="2", division="410811", org_body8="00000001"),
    build_uscc(authority="9", entity_type="3", division="620502", org_body8="12345678"),
    "91350100M000100Y43",  # a published real-world code (福建)
]


def _error(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_uscc(code)
    return info.value


@pytest.mark.parametrize("code", GOOD)
def test_valid_codes_pass(code):
    validate_uscc(code)


def test_lower_case_and_spaces_are_normalised():
    validate_uscc(f"  {GOOD[0].lower()} ")


def _with(code: str, pos: int, ch: str) -> str:
    return code[:pos] + ch + code[pos + 1 :]


def _fix_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize(
    ("mutated", "error_code"),
    [
        (GOOD[0][:17], "uscc_length"),
        (GOOD[0] + "1", "uscc_length"),
        ("", "uscc_length"),
        (_with(GOOD[0], 10, "I"), "uscc_forbidden_letter"),
        (_with(GOOD[0], 10, "O"), "uscc_forbidden_letter"),
        (_with(GOOD[0], 10, "S"), "uscc_forbidden_letter"),
        (_with(GOOD[0], 10, "V"), "uscc_forbidden_letter"),
        (_with(GOOD[0], 10, "Z"), "uscc_forbidden_letter"),
        (_with(GOOD[0], 12, "-"), "uscc_charset"),
        (_with(GOOD[0], 12, "中"), "uscc_charset"),
        (_fix_check(_with(GOOD[0], 4, "A")[:17]), "uscc_division"),
        (_with(GOOD[0], 17, USCC_ALPHABET[(USCC_ALPHABET.index(GOOD[0][17]) + 1) % 31]), "uscc_check"),
        (_with(GOOD[0], 9, "B" if GOOD[0][9] != "B" else "C"), "uscc_check"),
    ],
)
def test_mutated_code_fails_with_specific_error_in_chinese(mutated, error_code):
    error = _error(mutated)
    assert error.code == error_code
    assert CJK.search(error.messages[0]), error.messages[0]


def test_check_error_names_the_expected_character():
    bad = _with(GOOD[0], 17, "0" if GOOD[0][17] != "0" else "1")
    message = _error(bad).messages[0]
    assert GOOD[0][17] in message


def test_build_uscc_puts_division_code_in_characters_3_to_8():
    code = build_uscc(authority="9", entity_type="2", division="150302", org_body8="MA000001")
    assert code[2:8] == "150302"
    validate_uscc(code)
