"""A policy whose bands overlap, leave gaps or have unordered caps cannot be activated."""

from __future__ import annotations

import copy

import pytest

from integrity_portal.core.errors import ValidationFailed
from merchants.models import RatingPolicy
from merchants.services.rating_policy import (
    default_rules,
    rating_policy_activate,
    rating_policy_active,
    rules_validate,
)

pytestmark = pytest.mark.django_db


def _rules(**band_changes):
    rules = copy.deepcopy(default_rules())
    for stars, change in band_changes.items():
        band = next(b for b in rules["bands"] if b["stars"] == int(stars[1:]))
        band.update(change)
    return rules


def test_default_rules_are_valid():
    assert rules_validate(default_rules())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"s4": {"min_total": 15}}, "重叠"),
        ({"s4": {"min_total": 18}}, "空档"),
        ({"s3": {"max_element": 5}}, "单项扣分上限"),
        ({"s0": {"max_total": 99}}, "不设上限"),
        ({"s5": {"min_total": 1}}, "空档"),
    ],
)
def test_bad_bands_are_refused(changes, message):
    with pytest.raises(ValidationFailed, match=message):
        rules_validate(_rules(**changes))


def test_missing_star_level_and_bad_numbers_are_refused():
    rules = default_rules()
    rules["bands"] = rules["bands"][:-1]
    with pytest.raises(ValidationFailed, match="0 至 5"):
        rules_validate(rules)
    rules = default_rules()
    rules["trading"]["max"] = -1
    with pytest.raises(ValidationFailed, match="非负整数"):
        rules_validate(rules)
    rules = default_rules()
    rules["publicity_months"]["serious"] = 48
    with pytest.raises(ValidationFailed, match="公示期"):
        rules_validate(rules)


def test_invalid_policy_cannot_be_activated_and_the_old_one_stays(regions):
    active = rating_policy_active()
    bad = RatingPolicy.objects.create(version=9, name="bad", rules=_rules(s4={"min_total": 18}))
    with pytest.raises(ValidationFailed):
        rating_policy_activate(policy=bad, actor=None)
    assert rating_policy_active().pk == active.pk


def test_admin_form_refuses_overlapping_bands(regions, client):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    import json

    response = client.post(
        "/admin/merchants/ratingpolicy/add/",
        {"version": 5, "name": "x", "rules": json.dumps(_rules(s4={"min_total": 15})), "notes": ""},
    )
    assert response.status_code == 200 and "重叠" in response.content.decode()
    assert not RatingPolicy.objects.filter(version=5).exists()
