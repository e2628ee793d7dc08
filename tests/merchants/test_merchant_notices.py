"""Notices to a merchant's members about its credit record (issue #16 item 3, merchants/notices.py).

Each event sends exactly the expected notices (recipient, channel, kind, count) from the service that
makes the change, inside its transaction: a second run sends nothing twice, a rollback leaves none, a
merchant without an account gets one undeliverable row, and the stars-changed notice follows only the
merchants whose stars moved, without a query per recomputed merchant.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from integrity_portal.core.audit import audit_entries_for
from merchants import notices as merchant_notices
from merchants.models import Merchant, PenaltyKind, PenaltyTier, Rating
from merchants.services import recourse
from merchants.services.credit import repair_request_decide, repair_request_submit
from merchants.services.rating import ratings_recompute
from notifications.fanout import render_notice
from notifications.kinds import notice_kind
from notifications.models import Notice, NoticeProfile, NoticeStatus
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff
from tests.merchants.credit_factories import MINOR, SERIOUS, blacklist, inspect, penalise, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db

LEGAL = {"inbox", "sms", "email"}


def _member(merchant, *, phone="13800138000", language=""):
    user = UserFactory(email=f"owner{merchant.pk}@example.cn")
    MembershipFactory(user=user, merchant=merchant)
    NoticeProfile.objects.create(user=user, phone=phone, language=language)
    return user


@pytest.fixture
def merchant(regions):
    return MerchantFactory()


@pytest.fixture
def owner(merchant):
    return _member(merchant)


def _sent(kind: str, merchant=None) -> list[tuple]:
    """(recipient, channel, key) of every notice of ``kind`` (of ``merchant``'s events)."""
    rows = Notice.objects.filter(kind=kind)
    if merchant is not None:
        rows = rows.filter(region_code=merchant.region_id)
    return sorted((n.recipient_id, n.channel, n.key) for n in rows)


def _expect(user, channels, key: str) -> list[tuple]:
    return sorted((user.pk, channel, key) for channel in channels)


# --- inspection, penalty ------------------------------------------------------------------------------


def test_inspection_recorded_sends_inbox_and_email_to_the_member(merchant, owner):
    inspection = inspect(merchant, price_marking=MINOR)
    key = f"inspection:{merchant.pk}:{inspection.pk}"
    assert _sent("inspection_recorded") == _expect(owner, ("inbox", "email"), key)
    email = Notice.objects.get(kind="inspection_recorded", channel="email")
    assert email.address == owner.email and email.status == NoticeStatus.QUEUED
    assert "明码标价（一般问题）" in email.body and "责令整改" in email.body
    assert Notice.objects.get(kind="inspection_recorded", channel="inbox").status == NoticeStatus.SENT


def test_published_penalty_is_a_legal_notice_on_every_channel_and_a_warning_sends_nothing(merchant, owner):
    penalty = penalise(merchant)
    key = f"penalty:{merchant.pk}:{penalty.pk}:published"
    assert _sent("penalty_published") == _expect(owner, LEGAL, key)
    sms = Notice.objects.get(kind="penalty_published", channel="sms")
    assert sms.address == "13800138000" and penalty.decision_number not in sms.body
    assert penalty.decision_number in Notice.objects.get(kind="penalty_published", channel="email").body
    penalise(merchant, kind=PenaltyKind.WARNING, tier=PenaltyTier.MINOR)
    assert Notice.objects.filter(kind="penalty_published").count() == 3


def test_a_second_call_for_the_same_event_sends_nothing_twice(merchant, owner):
    penalty = penalise(merchant)
    again = merchant_notices.notify_penalty_published(penalty=penalty, actor=None)
    assert len(again) == 3 and Notice.objects.filter(kind="penalty_published").count() == 3


def test_a_rolled_back_event_leaves_no_notice(merchant, owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        penalise(merchant)
        inspect(merchant)
        assert Notice.objects.count() == 5
        raise RuntimeError("the event fails after the notices were written")
    assert not Notice.objects.exists()


def test_a_merchant_without_members_gets_one_undeliverable_row_audited(merchant):
    penalty = penalise(merchant)
    notice = Notice.objects.get(kind="penalty_published")
    assert (notice.status, notice.recipient_id, notice.address) == (NoticeStatus.UNDELIVERABLE, None, "")
    assert audit_entries_for(penalty).filter(action="notice.undeliverable").count() == 1


def test_notices_are_written_in_the_members_language(merchant):
    english = _member(merchant, language="en")
    chinese = _member(MerchantFactory(), language="zh-hans")
    MembershipFactory(user=chinese, merchant=merchant)
    penalise(merchant)
    en = Notice.objects.get(kind="penalty_published", channel="email", recipient=english)
    zh = Notice.objects.get(kind="penalty_published", channel="email", recipient=chinese)
    assert en.language == "en" and "The administrative penalty decision against you" in en.body
    assert "公示期" not in en.body and "一般" not in en.body  # the tier's label is translated too
    assert "行政处罚" in zh.body


# --- appeal, reply, re-inspection, repair --------------------------------------------------------------


@pytest.fixture
def rated(merchant, owner):
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    return merchant


@pytest.mark.parametrize(("upheld", "outcome"), [(True, "申诉成立"), (False, "申诉不成立")])
def test_appeal_decided(rated, owner, upheld, outcome):
    appeal = recourse.appeal_file(merchant=rated, grounds="检查当日记录有误。", actor=None)
    assert not Notice.objects.filter(kind="appeal_decided").exists()
    recourse.appeal_decide(appeal=appeal, upheld=upheld, reason="经复核认定", actor=make_staff())
    key = f"appeal:{rated.pk}:{appeal.pk}:decided"
    assert _sent("appeal_decided") == _expect(owner, LEGAL, key)
    email = Notice.objects.get(kind="appeal_decided", channel="email")
    assert outcome in email.subject and "经复核认定" in email.body
    assert "经复核认定" not in Notice.objects.get(kind="appeal_decided", channel="sms").body
    # The inbox links the member to the appeal page of their business.
    assert Notice.objects.get(kind="appeal_decided", channel="inbox").link == reverse(
        "portal_credit:appeal", args=[rated.pk]
    )


def test_reply_published_and_rejected_go_to_the_inbox_only(rated, owner):
    first = recourse.reply_submit(merchant=rated, text="我店已整改，欢迎监督。", actor=None)
    recourse.reply_publish(reply=first, actor=make_staff())
    second = recourse.reply_submit(merchant=rated, text="再次说明。", actor=None)
    recourse.reply_reject(reply=second, reason="含有不当言论", actor=make_staff())
    assert _sent("reply_decided") == sorted(
        [
            (owner.pk, "inbox", f"rating_reply:{rated.pk}:{first.pk}:published"),
            (owner.pk, "inbox", f"rating_reply:{rated.pk}:{second.pk}:rejected"),
        ]
    )
    assert "含有不当言论" in Notice.objects.get(key__endswith=":rejected").body


def test_reinspection_scheduled_done_and_refused(rated, owner):
    bad = MerchantFactory(region=rated.region)
    inspect(bad, price_marking=SERIOUS)
    req = recourse.reinspection_request(merchant=bad, improvements="价签已全部补齐。", actor=None)
    recourse.reinspection_refuse(request=req, reason="整改材料不全", actor=make_staff())
    assert Notice.objects.filter(kind="reinspection_decided").count() == 1  # bad has no account
    assert Notice.objects.get(kind="reinspection_decided").status == NoticeStatus.UNDELIVERABLE

    inspect(rated, days_ago=5, price_marking=MINOR)
    req = recourse.reinspection_request(merchant=rated, improvements="价签已全部补齐。", actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today(), actor=make_staff())
    visit = inspect(rated, days_ago=0)
    recourse.reinspection_complete(request=req, inspection=visit, actor=make_staff())
    keys = {n.key for n in Notice.objects.filter(kind="reinspection_decided", recipient=owner)}
    assert keys == {f"reinspection:{rated.pk}:{req.pk}:scheduled", f"reinspection:{rated.pk}:{req.pk}:done"}
    assert Notice.objects.filter(kind="reinspection_decided", recipient=owner).count() == 6


@pytest.mark.parametrize(("approve", "outcome"), [(True, "已准予修复"), (False, "不予修复")])
def test_repair_decided(merchant, owner, approve, outcome):
    entry = blacklist(merchant, valid_from=today() - timedelta(days=400))
    request = repair_request_submit(
        merchant=merchant,
        list_entry=entry,
        application="已全部整改并缴清罚款。",
        pledge_text="守法诚信经营。",
        pledge_signed=True,
        evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())],
        actor=None,
    )
    repair_request_decide(request=request, approve=approve, reason="经审核", actor=make_staff())
    key = f"repair:{merchant.pk}:{request.pk}:decided"
    assert _sent("repair_decided") == _expect(owner, LEGAL, key)
    assert outcome in Notice.objects.get(kind="repair_decided", channel="inbox").body


# --- stars changed ------------------------------------------------------------------------------------


def test_first_rating_sends_nothing_a_change_sends_once_with_old_new_and_reason(merchant, owner):
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    old_stars = merchant.stars
    assert old_stars is not None and not Notice.objects.filter(kind="stars_changed").exists()

    penalise(merchant, tier=PenaltyTier.SERIOUS)
    result = ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    assert merchant.stars != old_stars and result.notified == 1
    key = f"rating:{merchant.pk}:{merchant.current_rating_id}"
    assert _sent("stars_changed") == _expect(owner, LEGAL, key)
    email = Notice.objects.get(kind="stars_changed", channel="email")
    assert f"{old_stars}星" in email.body and f"{merchant.stars}星" in email.body
    assert "公示中的严重处罚：0 → 1" in email.body
    assert Notice.objects.get(kind="stars_changed", channel="inbox").about == Rating.objects.get(
        pk=merchant.current_rating_id
    )

    again = ratings_recompute()
    assert again.changed == 0 and again.notified == 0
    assert Notice.objects.filter(kind="stars_changed").count() == 3


def test_a_rolled_back_recompute_leaves_no_notice(merchant, owner):
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    penalise(merchant, tier=PenaltyTier.SERIOUS)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert ratings_recompute(merchant_ids=[merchant.pk]).notified == 1
        raise RuntimeError
    assert not Notice.objects.filter(kind="stars_changed").exists()


def test_bulk_recompute_notifies_only_changed_merchants_without_a_query_per_merchant(
    regions, django_assert_max_num_queries
):
    merchants = [MerchantFactory() for _ in range(12)]
    for m in merchants:
        inspect(m)
    ratings_recompute()
    told, untold = merchants[0], merchants[1]
    owner = _member(told)
    for m in (told, untold):
        penalise(m, tier=PenaltyTier.SERIOUS)
    before = {m.pk: Merchant.objects.get(pk=m.pk).stars for m in merchants}
    # Three notices for the member (about 10 queries) and one undeliverable row: the rest is the
    # recompute's own constant number of queries, whatever the number of unchanged merchants.
    with django_assert_max_num_queries(60):
        result = ratings_recompute()
    changed = {m.pk for m in merchants if Merchant.objects.get(pk=m.pk).stars != before[m.pk]}
    assert changed == {told.pk, untold.pk} and result.notified == 2
    assert {n.recipient_id for n in Notice.objects.filter(kind="stars_changed")} == {owner.pk, None}
    assert (
        Notice.objects.filter(kind="stars_changed", status=NoticeStatus.UNDELIVERABLE, recipient=None).count()
        == 1
    )
    assert Notice.objects.filter(kind="stars_changed").count() == 4


# --- texts ----------------------------------------------------------------------------------------------

LONGEST = {
    "merchant": "焦作市解放区某某某某某某某某某某某某某某商贸有限责任公司",
    "old": merchant_notices.stars_text(5),
    "new": merchant_notices.stars_text(None),
    "date": today(),
    "reason": "x",
    "total": 100,
    "trading": 30,
    "service": 30,
    "credit": 40,
    "outcome": "申诉不成立",
    "findings": "x",
    "number": "焦市监处罚〔2026〕12345号",
    "decided_on": today(),
    "penalty_kind": "吊销许可证件、营业执照",
    "tier": "简易程序／轻微",
    "publicity_from": today(),
    "publicity_until": today(),
    "filed_on": today(),
    "next_step": "x",
    "submitted_on": today(),
    "detail": "x",
    "requested_on": today(),
    "record": "x",
}


@pytest.mark.parametrize("kind", [k.code for k in merchant_notices.KINDS])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_text_renders_and_sms_fits_seventy_chinese_characters(kind, language):
    outcomes = ["发现违法线索，立案查处", "申诉不成立", "不予修复", "不予受理", "已准予修复"]
    for outcome in outcomes:
        text = render_notice(notice_kind(kind), {**LONGEST, "outcome": outcome}, language)
        subject, body, sms = text.subject, text.body, text.sms
        assert subject and body and sms
        if language == "zh-hans":
            assert len(sms) <= 70, (kind, sms)
        assert LONGEST["merchant"] not in sms  # SMS names nobody, not even the business


def test_every_kind_has_an_english_translation():
    with translation.override("en"):
        for kind in merchant_notices.KINDS:
            for text in (kind.label, kind.subject, kind.body, kind.sms):
                assert not any("\u4e00" <= ch <= "\u9fff" for ch in str(text)), (kind.code, str(text))
