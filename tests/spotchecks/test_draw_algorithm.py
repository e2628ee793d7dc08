"""The pure draw (``spotchecks/draw.py``): counts per class, clipping, determinism, pairs, refusals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from spotchecks import draw as d

SEED = "ab" * 32


def _frozen(**overrides):
    frozen = {
        "algorithm": d.ALGORITHM,
        "shares_bp": {"A": 500, "B": 1000, "C": 3000, "D": 7000},
        "min_count": 0,
        "max_count": None,
        "merchants": {
            c: {"410802": sorted(f"{c.lower()}{i:04d}" for i in range(n))}
            for c, n in (("A", 100), ("B", 50), ("C", 20), ("D", 10))
        },
        "inspectors": {"410802": [1, 2, 3, 4]},
        "exclusions": {},
    }
    frozen.update(overrides)
    return frozen


def test_the_module_imports_only_the_standard_library():
    tree = ast.parse(Path(d.__file__).read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {"__future__", "hashlib", "hmac", "json", "sys", "collections"}


def test_counts_are_the_integer_ceiling_of_the_share():
    assert d.class_counts({"A": 100, "B": 50, "C": 20, "D": 10}, {"A": 500, "B": 1000, "C": 3000, "D": 7000}) == {
        "A": 5, "B": 5, "C": 6, "D": 7,
    }
    assert d.class_counts({"A": 1, "B": 3}, {"A": 1, "B": 3333}) == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert d.class_counts({"A": 0}, {"A": 500}) == {"A": 0, "B": 0, "C": 0, "D": 0}


def test_max_takes_from_the_largest_class_and_min_adds_to_the_riskiest():
    sizes = {"A": 100, "B": 50, "C": 20, "D": 10}
    shares = {"A": 500, "B": 1000, "C": 3000, "D": 7000}
    # 23 → 20: D 7→6, then C (tie with D, C first) 6→5, then D 6→5.
    assert d.class_counts(sizes, shares, max_count=20) == {"A": 5, "B": 5, "C": 5, "D": 5}
    assert sum(d.class_counts(sizes, shares, max_count=3).values()) == 3
    assert d.class_counts(sizes, shares, min_count=30) == {"A": 5, "B": 5, "C": 10, "D": 10}
    assert d.class_counts({"A": 2}, {"A": 0}, min_count=5) == {"A": 2, "B": 0, "C": 0, "D": 0}


def test_same_seed_same_draw_other_seed_other_draw():
    first, again = d.draw(SEED, _frozen()), d.draw(SEED, _frozen())
    assert first == again
    other = d.draw("cd" * 32, _frozen())
    assert [r["token"] for r in other] != [r["token"] for r in first]
    assert [r["class"] for r in other] == [r["class"] for r in first]


def test_pairs_differ_and_avoid_exclusions():
    frozen = _frozen(exclusions={t: [1, 2] for t in _frozen()["merchants"]["D"]["410802"]})
    for row in d.draw(SEED, frozen):
        assert row["inspectors"][0] != row["inspectors"][1]
        if row["class"] == "D":
            assert set(row["inspectors"]) == {3, 4}


def test_fewer_than_two_candidates_is_a_draw_error_naming_the_district():
    with pytest.raises(d.DrawError) as exc:
        d.draw(SEED, _frozen(inspectors={"410802": [1]}))
    assert exc.value.district == "410802"
    assert d.short_of_inspectors(_frozen(inspectors={"410802": [1]})) == ["410802"]
    tokens = _frozen()["merchants"]["A"]["410802"][:1]
    assert d.short_of_inspectors(_frozen(exclusions={tokens[0]: [1, 2, 3]})) == ["410802"]


def test_commitment_and_token_are_plain_sha256():
    import hashlib

    assert d.commitment(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    assert d.merchant_token("00ff", 42) == hashlib.sha256(b"00ff:42").hexdigest()[:20]
