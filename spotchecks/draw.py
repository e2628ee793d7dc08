"""The 双随机 draw as a pure function of (seed, frozen lists): anyone can run this file to recompute it.

This module imports nothing but the Python standard library (3.10+), so an auditor or a citizen can
copy it next to a plan's published record (``/spot-checks/<id>/`` verification file, or
``manage.py verify_draw PLAN --dump``) and run::

    python3 draw.py record.json

It prints ``OK`` or the first mismatch (exit status 1). The method, in words (docs/SPOT_CHECKS.md):

1. **Commitment.** At approval the bureau picks a secret random seed (32 bytes, shown as 64 hex
   digits) and publishes ``commitment = SHA-256(seed bytes)`` together with the frozen lists and
   ``frozen_digest = SHA-256(canonical JSON of the frozen lists)``. After the draw it reveals the seed;
   anyone checks ``SHA-256(bytes.fromhex(seed)) == commitment``.
2. **Frozen lists** (``frozen``): ``shares_bp`` (sampling share per credit class in basis points,
   1 % = 100), ``min_count``/``max_count`` (the plan's total, ``max_count`` may be null),
   ``merchants`` (class → district code → sorted merchant *tokens*), ``inspectors`` (district code →
   sorted inspector ids eligible there), ``exclusions`` (token → inspector ids who may not inspect
   that merchant: the one who inspected it last time and declared conflicts of interest).
   A merchant's token is ``SHA-256(f"{salt}:{merchant_id}")`` (first 20 hex digits) with a secret salt
   per merchant, so the published lists do not reveal any merchant's credit class; after the draw the
   salt of every *drawn* merchant is published (``openings``), which proves the token is that merchant.
3. **How many per class.** For class ``c`` with ``n`` eligible merchants and share ``bp`` basis points,
   ``k = ceil(bp × n / 10000)`` (integer arithmetic). If the total exceeds ``max_count``, one is taken
   away at a time from the class with the largest ``k`` (ties: A before B before C before D) until the
   total is ``max_count``; if it is below ``min_count``, one is added at a time to the riskiest class
   that still has undrawn merchants (D, then C, B, A) until the total is ``min_count`` or nobody is left.
4. **Which merchants.** Within class ``c``, put its tokens (all districts) in ascending order as the list
   ``L`` of length ``n`` and shuffle its first ``k`` places (a partial Fisher–Yates shuffle): for
   ``i = 0, 1, …, k − 1`` let ``x`` be ``HMAC-SHA256(key=seed bytes, message=f"{c}:{i}")`` read as a
   big-endian integer, ``j = i + (x mod (n − i))``, and swap ``L[i]`` and ``L[j]``. The drawn merchants
   are ``L[0]``, …, ``L[k − 1]`` in that order. Output order: class A to D, each in that order.
5. **Which inspectors.** For a drawn merchant in district ``d``, the candidates are
   ``inspectors[d]`` minus ``exclusions[token]``, in ascending id order (``n`` of them). Let ``x`` be
   ``HMAC-SHA256(seed, f"{token}:inspectors")`` read as a big-endian integer. The first inspector is
   ``candidates[x mod n]``; remove it, and the second is ``remaining[(x div n) mod (n - 1)]``.
   Fewer than two candidates refuses the draw (the bureau checks this before publishing the commitment).

Unrated merchants are frozen in class B (sampled as B).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Iterable, Mapping

ALGORITHM = "ip-spotcheck-draw-v1"
CLASSES = ("A", "B", "C", "D")
TOKEN_HEX_DIGITS = 20


class DrawError(Exception):
    """The frozen lists cannot be drawn as they stand (``district`` names the district at fault)."""

    def __init__(self, message: str, *, district: str = "", token: str = ""):
        super().__init__(message)
        self.district = district
        self.token = token


def canonical_json(obj) -> bytes:
    """The bytes ``frozen_digest`` hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commitment(seed_hex: str) -> str:
    """SHA-256 of the seed's bytes (what is published before the draw)."""
    return sha256_hex(bytes.fromhex(seed_hex))


def frozen_digest(frozen: Mapping) -> str:
    return sha256_hex(canonical_json(frozen))


def merchant_token(salt_hex: str, merchant_id: int) -> str:
    """The published stand-in for a merchant: ``SHA-256(f"{salt}:{id}")``, first 20 hex digits."""
    return sha256_hex(f"{salt_hex}:{int(merchant_id)}".encode())[:TOKEN_HEX_DIGITS]


def _keyed(seed: bytes, message: str) -> bytes:
    """HMAC-SHA256(seed, message); compared as bytes, which orders exactly as the hex digests do."""
    return hmac.digest(seed, message.encode("utf-8"), "sha256")


def class_counts(
    sizes: Mapping[str, int], shares_bp: Mapping[str, int], min_count: int = 0, max_count: int | None = None
) -> dict[str, int]:
    """How many to draw per class (step 3 of the method)."""
    # Integer ceiling, exact for any size (math.ceil of a float could round 3*100/10000 the wrong way).
    counts = {c: min(sizes.get(c, 0), -(-int(shares_bp.get(c, 0)) * sizes.get(c, 0) // 10000)) for c in CLASSES}
    if max_count is not None:
        while sum(counts.values()) > max_count:
            largest = max(CLASSES, key=lambda c: (counts[c], -CLASSES.index(c)))
            counts[largest] -= 1
    while sum(counts.values()) < (min_count or 0):
        room = [c for c in reversed(CLASSES) if counts[c] < sizes.get(c, 0)]
        if not room:
            break
        counts[room[0]] += 1
    return counts


def draw(seed_hex: str, frozen: Mapping) -> list[dict]:
    """The drawn merchants: ``[{"token", "class", "district", "inspectors": [first, second]}, ...]``."""
    seed = bytes.fromhex(seed_hex)
    merchants = frozen.get("merchants", {})
    inspectors = frozen.get("inspectors", {})
    exclusions = frozen.get("exclusions", {})
    district_of: dict[str, str] = {}
    pools: dict[str, list[str]] = {}
    for c in CLASSES:
        pool = []
        for district, tokens in (merchants.get(c) or {}).items():
            for token in tokens:
                district_of[token] = district
                pool.append(token)
        pools[c] = pool
    counts = class_counts(
        {c: len(p) for c, p in pools.items()}, frozen.get("shares_bp", {}), frozen.get("min_count", 0), frozen.get("max_count")
    )
    result = []
    for c in CLASSES:
        if not counts[c]:
            continue
        for token in shuffled_prefix(seed, c, sorted(pools[c]), counts[c]):
            district = district_of[token]
            excluded = set(exclusions.get(token, ()))
            candidates = sorted(i for i in inspectors.get(district, ()) if i not in excluded)
            if len(candidates) < 2:
                raise DrawError(f"fewer than two eligible inspectors in district {district}", district=district, token=token)
            result.append(
                {"token": token, "class": c, "district": district, "inspectors": inspector_pair(seed, token, candidates)}
            )
    return result


def _number(seed: bytes, message: str) -> int:
    return int.from_bytes(_keyed(seed, message), "big")


def shuffled_prefix(seed: bytes, cls: str, tokens: list[str], k: int) -> list[str]:
    """The first ``k`` places of a Fisher–Yates shuffle of ``tokens`` (ascending), step 4 of the method."""
    order = list(tokens)
    n = len(order)
    for i in range(min(k, n)):
        j = i + _number(seed, f"{cls}:{i}") % (n - i)
        order[i], order[j] = order[j], order[i]
    return order[:k]


def inspector_pair(seed: bytes, token: str, candidates: list[int]) -> list[int]:
    """Two different inspectors out of ``candidates`` (ascending ids, at least two), step 5 of the method."""
    x = _number(seed, f"{token}:inspectors")
    n = len(candidates)
    first = candidates[x % n]
    remaining = [i for i in candidates if i != first]
    return [first, remaining[(x // n) % (n - 1)]]


def short_of_inspectors(frozen: Mapping) -> list[str]:
    """Districts where some eligible merchant would have fewer than two inspectors (checked before approval)."""
    inspectors = frozen.get("inspectors", {})
    exclusions = frozen.get("exclusions", {})
    short = set()
    for by_district in (frozen.get("merchants") or {}).values():
        for district, tokens in by_district.items():
            roster = set(inspectors.get(district, ()))
            if len(roster) < 2:
                if tokens:
                    short.add(district)
                continue
            if any(len(roster - set(exclusions.get(t, ()))) < 2 for t in tokens if t in exclusions):
                short.add(district)
    return sorted(short)


def verify(record: Mapping, *, tasks: Iterable[Mapping] | None = None) -> list[str]:
    """Check a published record; return the mismatches (empty = OK), first one first.

    ``record``: ``{"algorithm", "commitment", "frozen_digest", "frozen", "seed", "drawn", "openings"}`` where
    ``drawn`` is the published result (same shape as :func:`draw`) and ``openings`` maps each drawn token
    to ``{"merchant": id, "salt": hex}``. ``tasks`` (optional) are ``{"merchant", "inspectors"}`` rows
    actually assigned, compared with the drawn ones through the openings.
    """
    problems: list[str] = []
    if record.get("algorithm") != ALGORITHM:
        return [f"unknown algorithm {record.get('algorithm')!r} (this script implements {ALGORITHM})"]
    seed = record.get("seed") or ""
    try:
        if commitment(seed) != record.get("commitment"):
            problems.append("the revealed seed does not match the published commitment")
    except ValueError:
        return ["the seed is not a hexadecimal string (not revealed yet?)"]
    frozen = record.get("frozen") or {}
    if frozen_digest(frozen) != record.get("frozen_digest"):
        problems.append("the frozen lists do not match the published frozen_digest")
    try:
        expected = draw(seed, frozen)
    except DrawError as exc:
        return [*problems, f"the draw cannot be made: {exc}"]
    published = list(record.get("drawn") or [])
    for i, (want, got) in enumerate(zip(expected, published, strict=False)):
        if dict(want) != dict(got):
            problems.append(f"draw #{i + 1}: expected {want}, published {dict(got)}")
            break
    if len(expected) != len(published):
        problems.append(f"expected {len(expected)} drawn merchants, published {len(published)}")
    openings = record.get("openings")
    if openings is None:  # the public record: who the tokens are is checked by auditors (openings)
        return problems
    by_merchant = {}
    for row in expected:
        opening = openings.get(row["token"])
        if opening is None:
            problems.append(f"drawn token {row['token']} has no opening (merchant id and salt)")
            continue
        if merchant_token(opening["salt"], opening["merchant"]) != row["token"]:
            problems.append(f"the opening of token {row['token']} does not hash to it")
        by_merchant[int(opening["merchant"])] = row
    if tasks is not None:
        seen = set()
        for task in tasks:
            merchant = int(task["merchant"])
            row = by_merchant.get(merchant)
            if row is None:
                problems.append(f"merchant {merchant} has a task but was not drawn")
            elif list(task["inspectors"]) != row["inspectors"]:
                problems.append(f"merchant {merchant}: inspectors {list(task['inspectors'])}, drawn {row['inspectors']}")
            seen.add(merchant)
        for merchant in sorted(set(by_merchant) - seen):
            problems.append(f"merchant {merchant} was drawn but has no task")
    return problems


def main(argv: list[str]) -> int:  # pragma: no cover - exercised through verify_draw
    if len(argv) != 2:
        print("usage: python3 draw.py RECORD.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        record = json.load(fh)
    problems = verify(record, tasks=record.get("tasks"))
    if problems:
        print(f"MISMATCH: {problems[0]}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv))
