"""Scoring under the default policy: each element, the cap, the black-list zero, not-yet-rated."""

from __future__ import annotations

import pytest

from merchants.services.rating_policy import FACT_COLUMNS, IDX, Scorer, default_rules


def vec(**kw):
    v = [0] * len(FACT_COLUMNS)
    v[IDX["inspections"]] = 1
    v[IDX["commitments_in_force"]] = 1
    for k, val in kw.items():
        v[IDX[k]] = val
    return v


@pytest.fixture
def scorer():
    return Scorer(default_rules())


def test_clean_record_with_commitment_gets_five_stars_and_class_a(scorer):
    s = scorer.score(vec())
    assert (s.stars, s.total, s.credit_class) == (5, 0, "A")


def test_trading_element_counts_recent_findings_more_than_older(scorer):
    recent = scorer.score(vec(trading_minor_recent=1))
    older = scorer.score(vec(trading_minor_older=1))
    assert recent.trading == 5 and older.trading == 2
    assert scorer.score(vec(trading_serious_recent=1)).trading == 10
    assert scorer.score(vec(trading_recent=2, trading_older=1)).trading == 12


def test_trading_element_is_capped_at_its_maximum(scorer):
    assert scorer.score(vec(trading_serious_recent=9)).trading == 30


def test_service_element_scores_unanswered_late_unmediated_and_low_satisfaction(scorer):
    s = scorer.score(
        vec(complaints_unanswered=1, complaints_late=1, complaints_closed=3, complaints_mediated=1)
    )
    assert s.service == 5 + 2 + 2 * 2
    low = scorer.score(vec(satisfaction_sum=4, satisfaction_count=2))
    ok = scorer.score(vec(satisfaction_sum=8, satisfaction_count=2))
    assert low.service == 5 and ok.service == 0
    assert scorer.score(vec(premises_serious=1)).service == 5


def test_credit_element_scores_commitment_penalties_psa_and_bonus(scorer):
    assert scorer.score(vec(commitments_in_force=0)).credit == 5
    assert scorer.score(vec(commitments_revoked=1)).credit == 10
    assert scorer.score(vec(penalties_minor=1)).credit == 5
    assert scorer.score(vec(penalties_moderate=1)).credit == 10
    assert scorer.score(vec(penalties_serious=1)).credit == 20
    assert scorer.score(vec(psa_noncompliant=1)).credit == 5
    assert scorer.score(vec(commitments_in_force=0, commended_3y=1)).credit == 0
    assert scorer.score(vec(commended_3y=1)).credit == 0  # never below zero


@pytest.mark.parametrize(
    ("total_parts", "stars"),
    [
        ({"trading_minor_recent": 1}, 5),  # 5
        ({"trading_minor_recent": 1, "complaints_unanswered": 1, "commitments_in_force": 0}, 5),  # 15, max 5
        ({"trading_serious_recent": 1, "complaints_unanswered": 2}, 4),  # 20, max 10
        ({"trading_serious_recent": 1, "complaints_unanswered": 2, "penalties_moderate": 1}, 3),  # 30
        ({"trading_serious_recent": 1, "complaints_unanswered": 3, "penalties_moderate": 1}, 2),  # 35 max 15
        ({"trading_serious_recent": 2, "complaints_unanswered": 3, "penalties_moderate": 1}, 1),  # 45 max 20
        ({"trading_serious_recent": 3, "complaints_unanswered": 3, "penalties_moderate": 1}, 0),  # 55
    ],
)
def test_total_maps_to_fhrs_bands(scorer, total_parts, stars):
    assert scorer.score(vec(**total_parts)).stars == stars


def test_worst_element_caps_the_stars(scorer):
    # total 10 would be 5 stars, but one element at 10 allows at most 4
    s = scorer.score(vec(trading_serious_recent=1))
    assert (s.total, s.stars, s.capped) == (10, 4, True)
    # total 20 in one element: 20 > 15 caps to 1 star
    s = scorer.score(vec(penalties_serious=1))
    assert (s.total, s.stars, s.capped) == (20, 1, True)


def test_black_list_entry_in_force_gives_zero_stars_and_class_d(scorer):
    s = scorer.score(vec(black_in_force=1))
    assert (s.stars, s.black_listed, s.credit_class) == (0, True, "D")


def test_black_list_gives_zero_even_without_any_other_record(scorer):
    v = [0] * len(FACT_COLUMNS)
    v[IDX["black_in_force"]] = 1
    assert scorer.score(v).stars == 0


def test_merchant_without_inspection_or_complaint_is_not_yet_rated(scorer):
    v = [0] * len(FACT_COLUMNS)
    v[IDX["commitments_in_force"]] = 1
    s = scorer.score(v)
    assert s.stars is None and s.credit_class == ""


def test_credit_class_follows_risk(scorer):
    assert scorer.score(vec(trading_minor_recent=2, complaints_late=1)).credit_class == "B"  # 12
    assert scorer.score(vec(penalties_minor=1)).credit_class == "C"
    assert scorer.score(vec(penalties_serious=1)).credit_class == "D"
