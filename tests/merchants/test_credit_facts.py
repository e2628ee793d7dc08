"""Credit facts: contracts for campaigns, publicity rules, bad input, and stale marking by every event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed
from merchants.models import ListEntry, ListEntryKind, Merchant, PenaltyKind, PenaltyTier
from merchants.selectors.credit import (
    merchant_has_black_entry_in_force,
    merchant_has_commitment_in_force,
    merchant_has_serious_penalty_in_publicity,
)
from merchants.services import credit as svc
from merchants.services import recourse
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import MINOR, blacklist, inspect, penalise, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


def _stale(m) -> bool:
    return Merchant.objects.get(pk=m.pk).rating_stale


def _clear(m):
    Merchant.objects.filter(pk=m.pk).update(rating_stale=False)


def test_contract_black_entry_in_force(regions):
    m = MerchantFactory()
    assert not merchant_has_black_entry_in_force(merchant=m, as_of=today())
    entry = blacklist(m)
    assert merchant_has_black_entry_in_force(merchant=m, as_of=today())
    assert not merchant_has_black_entry_in_force(merchant=m, as_of=entry.valid_from - timedelta(days=1))
    svc.list_entry_remove(entry=entry, reason="法院撤销", actor=None)
    assert not merchant_has_black_entry_in_force(merchant=m, as_of=today())


def test_contract_serious_penalty_in_publicity(regions):
    m = MerchantFactory()
    penalise(m, tier=PenaltyTier.MODERATE)
    assert not merchant_has_serious_penalty_in_publicity(merchant=m, as_of=today())
    p = penalise(m, tier=PenaltyTier.SERIOUS)
    assert merchant_has_serious_penalty_in_publicity(merchant=m, as_of=today())
    assert not merchant_has_serious_penalty_in_publicity(
        merchant=m, as_of=p.publicity_until + timedelta(days=1)
    )
    svc.penalty_revoke(penalty=p, reason="复议撤销", actor=None)
    assert not merchant_has_serious_penalty_in_publicity(merchant=m, as_of=today())


def test_contract_commitment_in_force(regions):
    m = MerchantFactory()
    assert not merchant_has_commitment_in_force(merchant=m, as_of=today())
    c = svc.commitment_sign(merchant=m, kind="comprehensive", actor=None)
    assert merchant_has_commitment_in_force(merchant=m, as_of=today())
    assert not merchant_has_commitment_in_force(merchant=m, as_of=c.valid_until + timedelta(days=1))
    svc.commitment_revoke(commitment=c, reason="承诺失实", actor=None)
    assert not merchant_has_commitment_in_force(merchant=m, as_of=today())


def test_list_entry_add_red_is_idempotent_per_merchant_and_shares_notice_numbers(regions):
    a, b = MerchantFactory(), MerchantFactory()
    kwargs = {
        "kind": "commended",
        "reason": "2026年度文明诚信商户",
        "legal_basis": "《文明诚信经营示范创建活动方案》",
        "decision_number": "焦文明办〔2026〕8号",
        "valid_from": today(),
        "valid_until": today() + timedelta(days=365),
        "actor": None,
    }
    first = svc.list_entry_add_red(merchant=a, **kwargs)
    again = svc.list_entry_add_red(merchant=a, **kwargs)
    other = svc.list_entry_add_red(merchant=b, **kwargs)
    assert first.pk == again.pk and other.pk != first.pk
    assert ListEntry.objects.filter(decision_number="焦文明办〔2026〕8号").count() == 2
    assert _stale(a) and _stale(b)
    assert audit_entries_for(first).filter(action="list_entry.add_red").count() == 1


def test_penalty_without_legal_basis_or_number_and_duplicate_numbers_are_refused(regions):
    m = MerchantFactory()
    with pytest.raises(ValidationFailed, match="处罚依据"):
        svc.penalty_record(
            merchant=m,
            decision_number="X1",
            decided_on=today(),
            legal_basis=" ",
            kind="fine",
            tier="minor",
            actor=None,
        )
    with pytest.raises(ValidationFailed, match="文号"):
        svc.penalty_record(
            merchant=m,
            decision_number="",
            decided_on=today(),
            legal_basis="价格法",
            kind="fine",
            tier="minor",
            actor=None,
        )
    penalise(m, number="焦市监处罚〔2026〕99号")
    with pytest.raises(ValidationFailed, match="已存在"):
        penalise(MerchantFactory(), number="焦市监处罚〔2026〕99号")


def test_list_entry_without_legal_basis_is_refused(regions):
    with pytest.raises(ValidationFailed, match="列入依据"):
        svc.list_entry_add_black(
            merchant=MerchantFactory(),
            kind="serious_dishonesty",
            reason="x",
            legal_basis="",
            decision_number="N1",
            decided_by="局",
            valid_from=today(),
            actor=None,
        )
    assert not ListEntry.objects.exists()


def test_penalty_publicity_by_tier_and_warning_unpublished(regions):
    m = MerchantFactory()
    minor = penalise(m, tier=PenaltyTier.MINOR)
    moderate = penalise(m, tier=PenaltyTier.MODERATE)
    serious = penalise(m, tier=PenaltyTier.SERIOUS)
    warning = penalise(m, tier=PenaltyTier.MINOR, kind=PenaltyKind.WARNING)
    assert (minor.publicity_until - minor.publicity_from).days in range(89, 93)
    assert 90 <= (moderate.publicity_until - moderate.publicity_from).days <= 366
    assert 365 <= (serious.publicity_until - serious.publicity_from).days <= 3 * 366
    assert warning.published is False and warning.publicity_from is None
    assert minor.publicity_from <= minor.publish_by


def test_serious_dishonesty_entry_ends_after_three_years_and_expiry_task_keeps_history(regions):
    m = MerchantFactory()
    entry = blacklist(m, valid_from=today() - timedelta(days=3 * 365 + 2))
    assert entry.valid_until <= today()
    _clear(m)
    result = svc.list_entries_expire()
    entry.refresh_from_db()
    assert result["expired"] == 1 and entry.ended_at is not None and "届满" in entry.end_reason
    assert ListEntry.objects.filter(pk=entry.pk).exists() and _stale(m)
    assert audit_entries_for(entry).filter(action="list_entry.expire").exists()
    assert svc.list_entries_expire() == {"expired": 0, "proposed": 0}


def test_abnormal_operation_after_three_years_opens_a_proposal_not_an_entry(regions):
    """Full coverage in tests/merchants/test_list_proposals.py."""
    m = MerchantFactory()
    old = blacklist(
        m, kind=ListEntryKind.ABNORMAL_OPERATION, valid_from=today() - timedelta(days=3 * 365 + 5)
    )
    result = svc.list_entries_expire()
    old.refresh_from_db()
    assert result["proposed"] == 1 and old.escalated_to is None and old.ended_at is None
    assert not ListEntry.objects.filter(kind=ListEntryKind.SERIOUS_DISHONESTY).exists()
    assert svc.list_entries_expire()["proposed"] == 0


def test_expire_task_runs_the_service(regions):
    from merchants.tasks import expire_list_entries

    blacklist(MerchantFactory(), valid_from=today() - timedelta(days=3 * 365 + 2))
    assert expire_list_entries.delay().get()["expired"] == 1


def test_removing_an_entry_twice_is_refused(regions):
    e = blacklist(MerchantFactory())
    svc.list_entry_remove(entry=e, reason="已整改", actor=None)
    with pytest.raises(TransitionNotAllowed):
        svc.list_entry_remove(entry=e, reason="已整改", actor=None)


def _events():
    """Each event, as a function of a merchant, that must leave the merchant flagged stale."""

    def repair_approved(m):
        p = penalise(m, tier=PenaltyTier.MODERATE, days_ago=200)
        from merchants.models import Penalty

        Penalty.objects.filter(pk=p.pk).update(publicity_from=today() - timedelta(days=120))
        p.refresh_from_db()
        req = svc.repair_request_submit(
            merchant=m,
            penalty=p,
            application="已整改到位，补交材料",
            pledge_text="守法经营",
            pledge_signed=True,
            evidence_files=[SimpleUploadedFile("a.pdf", pdf_bytes())],
            actor=None,
        )
        _clear(m)
        svc.repair_request_decide(request=req, approve=True, reason="材料齐全", actor=None)

    def appeal_decided(m):
        inspect(m)
        ratings_recompute(merchant_ids=[m.pk])
        m.refresh_from_db()
        appeal = recourse.appeal_file(merchant=m, grounds="检查记录与事实不符，请求复核。", actor=None)
        _clear(m)
        recourse.appeal_decide(appeal=appeal, upheld=False, reason="维持", actor=make_staff())

    def reinspection_done(m):
        inspect(m, price_marking=MINOR)
        req = recourse.reinspection_request(merchant=m, improvements="已补齐全部价签并培训店员。", actor=None)
        recourse.reinspection_schedule(request=req, visit_on=today(), actor=None)
        visit = inspect(m, days_ago=0)
        _clear(m)
        recourse.reinspection_complete(request=req, inspection=visit, actor=None)

    def commitment_revoked(m):
        c = svc.commitment_sign(merchant=m, kind="price", actor=None)
        _clear(m)
        svc.commitment_revoke(commitment=c, reason="虚假承诺", actor=None)

    def penalty_revoked(m):
        p = penalise(m)
        _clear(m)
        svc.penalty_revoke(penalty=p, reason="复议撤销", actor=None)

    def entry_removed(m):
        e = blacklist(m)
        _clear(m)
        svc.list_entry_remove(entry=e, reason="已履行", actor=None)

    return {
        "inspection": lambda m: inspect(m),
        "penalty": lambda m: penalise(m),
        "black_entry": lambda m: blacklist(m),
        "commitment": lambda m: svc.commitment_sign(merchant=m, kind="service", actor=None),
        "commitment_revoked": commitment_revoked,
        "penalty_revoked": penalty_revoked,
        "entry_removed": entry_removed,
        "repair_approved": repair_approved,
        "appeal_decided": appeal_decided,
        "reinspection_done": reinspection_done,
    }


@pytest.mark.parametrize("event", list(_events()))
def test_every_fact_event_marks_the_rating_stale(regions, event):
    m = MerchantFactory()
    _events()[event](m)
    assert _stale(m), event


def test_policy_activation_marks_everyone_stale(regions):
    from merchants.models import RatingPolicy
    from merchants.services.rating_policy import default_rules, rating_policy_activate, rating_policy_active

    m = MerchantFactory()
    rating_policy_active()
    _clear(m)
    v2 = RatingPolicy.objects.create(version=2, name="v2", rules=default_rules())
    rating_policy_activate(policy=v2, actor=None)
    assert _stale(m) and rating_policy_active().pk == v2.pk
    assert RatingPolicy.objects.filter(is_active=True).count() == 1
    assert audit_entries_for(v2).filter(action="rating_policy.activate").exists()
