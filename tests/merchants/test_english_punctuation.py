"""English pages use ASCII punctuation between template values (label: value, (note)): the full-width
forms stay in Chinese only."""

from __future__ import annotations

import re

import pytest

from merchants.models import PenaltyTier
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import inspect, penalise

pytestmark = pytest.mark.django_db

# A full-width mark next to English text or a number (untranslated Chinese sentences aside).
MIXED = re.compile(r"[A-Za-z0-9)][：（），]|[：（），][A-Za-z0-9(]")


def _main(body: str) -> str:
    return body.split("<main", 1)[1].split("</main>", 1)[0]


def test_profile_in_english_has_no_full_width_punctuation(client, regions):
    m = MerchantFactory(name="Punctuation Test Shop", address="Minzhu Road 1", legal_representative="Zhang San")
    inspect(m, price_marking="minor")
    penalise(m, tier=PenaltyTier.MINOR)
    ratings_recompute()
    client.cookies["django_language"] = "en"
    main = _main(client.get(f"/merchants/{m.pk}/").content.decode())
    assert "Rated on" in main
    assert [main[max(0, m.start() - 60) : m.end() + 20] for m in MIXED.finditer(main)] == []
    assert ": 1<" in main  # "Inspections in the last two years: 1", an ASCII colon

    client.cookies["django_language"] = "zh-hans"
    main_zh = _main(client.get(f"/merchants/{m.pk}/").content.decode())
    assert "：" in main_zh
